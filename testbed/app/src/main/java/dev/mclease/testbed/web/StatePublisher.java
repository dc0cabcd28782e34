package dev.mclease.testbed.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.TourFault;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.history.TimelineRenderer;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet as the live page shows it, pushed to every open page as server-sent events: {@code state} (clusters,
 * candidates, controllers, lock store, faults) when it changes, {@code timeline} (the history's SVG) when the history
 * grew, {@code log} for each line the demo prints. Each cluster's MultiClusterLease is read twice a second with the
 * testbed's own client (not through the faulted links), for its status: leader, token, conditions, last echo.
 */
final class StatePublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StatePublisher.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BACKLOG = 60;

  private final Fleet fleet;
  private final FaultInjector injector;
  private final Supplier<Set<TourFault>> pageFaults;
  private final long startNanos = System.nanoTime();
  private final List<BlockingQueue<String>> clients = new CopyOnWriteArrayList<>();
  private final Deque<String> backlog = new ArrayDeque<>();
  private final Map<String, Echo> echoes = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "live-page");
    t.setDaemon(true);
    return t;
  });
  private volatile String lastState = "";
  private volatile String lastTimeline = "";
  private volatile int timelineEvents = -1;

  /** A cluster's last read status and when (on this process's monotonic clock) its echoed heartbeat last moved. */
  private record Echo(MultiClusterLeaseStatus status, String renewTime, long changedNanos) {
  }

  StatePublisher(Fleet fleet, FaultInjector injector, Supplier<Set<TourFault>> pageFaults) {
    this.fleet = fleet;
    this.injector = injector;
    this.pageFaults = pageFaults;
  }

  void start() {
    ticker.scheduleWithFixedDelay(this::readLeases, 0, 500, TimeUnit.MILLISECONDS);
    ticker.scheduleWithFixedDelay(this::publish, 100, 250, TimeUnit.MILLISECONDS);
  }

  /** A line for the page's log (the demo's announcements, the page's own actions). */
  void log(String line) {
    synchronized (backlog) {
      backlog.addLast(line);
      while (backlog.size() > BACKLOG) {
        backlog.removeFirst();
      }
    }
    send(event("log", text(line)));
  }

  /** The whole state now, as JSON. */
  String state() {
    ObjectNode s = JSON.createObjectNode();
    s.put("elapsedSeconds", Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0);
    s.put("timings", fleet.timings().toString());
    s.put("lease", fleet.namespace() + "/" + fleet.leaseName());
    List<CandidateNode> leaders = fleet.leaders();
    s.put("split", leaders.size() > 1);
    if (leaders.size() == 1) {
      CandidateNode l = leaders.get(0);
      s.putObject("leader").put("identity", l.identity()).put("cluster", l.clusterName())
          .put("token", l.fencingToken());
    } else {
      s.putNull("leader");
    }
    s.set("store", store());
    ArrayNode clusters = s.putArray("clusters");
    for (ClusterNode n : fleet.clusters()) {
      clusters.add(cluster(n));
    }
    Set<TourFault> mine = pageFaults.get();
    ArrayNode menu = s.putArray("faults");
    for (TourFault f : TourFault.values()) {
      menu.addObject().put("id", f.id()).put("label", f.label()).put("explanation", f.explanation())
          .put("active", mine.contains(f));
    }
    ArrayNode active = s.putArray("activeFaults");
    injector.activeDescriptions().forEach(active::add);
    return s.toString();
  }

  private ObjectNode store() {
    ObjectNode o = JSON.createObjectNode();
    o.put("kind", fleet.backend());
    o.put("describe", fleet.store().describe());
    boolean up = true;
    if ("etcd".equals(fleet.backend())) {
      ArrayNode members = o.putArray("members");
      for (int i = 0; i < fleet.etcd().size(); i++) {
        boolean running = fleet.etcd().isRunning(i);
        members.add(running);
        up &= running;
      }
    } else {
      up = injector.activeDescriptions().stream().noneMatch(d -> d.contains("lock store ("));
    }
    o.put("up", up);
    return o;
  }

  private ObjectNode cluster(ClusterNode n) {
    ObjectNode c = JSON.createObjectNode();
    c.put("name", n.name());
    ObjectNode ctl = c.putObject("controller");
    ctl.put("running", n.controller().isRunning());
    ctl.put("apiLink", link(List.of(n.controller().apiLink())));
    ctl.put("storeLink", link(n.controller().storeLinks()));
    Echo echo = echoes.get(n.name());
    ObjectNode lease = c.putObject("lease");
    if (echo != null && echo.status() != null) {
      MultiClusterLeaseStatus st = echo.status();
      lease.put("leader", st.getLeader());
      lease.put("leaderCluster", st.getLeaderCluster());
      if (st.getFencingToken() != null) {
        lease.put("token", st.getFencingToken());
      }
      lease.put("echoAgeSeconds", Math.round((System.nanoTime() - echo.changedNanos()) / 1e8) / 10.0);
      ArrayNode conds = lease.putArray("conditions");
      for (Condition cond : st.getConditions()) {
        conds.addObject().put("type", cond.getType()).put("status", cond.getStatus())
            .put("reason", cond.getReason()).put("message", cond.getMessage());
      }
    }
    ArrayNode cands = c.putArray("candidates");
    for (CandidateNode cand : n.candidates()) {
      ObjectNode o = cands.addObject();
      o.put("identity", cand.identity());
      boolean leader = cand.isLeader();
      var lock = cand.lock();
      boolean holder = cand.isRunning() && lock != null
          && cand.identity().equals(lock.localCandidate().orElse(null));
      o.put("state", !cand.isRunning() ? "down" : cand.isPaused() ? "paused" : leader ? "leader"
          : holder ? "local holder" : "standby");
      o.put("localHolder", holder);
      o.put("leader", leader);
      if (leader) {
        o.put("token", cand.fencingToken());
      }
      if (cand.isRunning() && lock != null) {
        lock.globalLeader().ifPresent(g -> o.put("globalLeader", g));
        lock.problem().ifPresent(p -> o.put("problem", p));
      }
    }
    return c;
  }

  private static String link(List<TcpProxy> proxies) {
    return proxies.stream().anyMatch(TcpProxy::isPartitioned) ? "cut" : "up";
  }

  private void readLeases() {
    for (ClusterNode n : fleet.clusters()) {
      try {
        MultiClusterLease mcl = n.cluster().client().resources(MultiClusterLease.class)
            .inNamespace(fleet.namespace()).withName(fleet.leaseName()).get();
        MultiClusterLeaseStatus st = mcl == null ? null : mcl.getStatus();
        String renew = st == null || st.getObservedRenewTime() == null ? null : st.getObservedRenewTime().getTime();
        Echo old = echoes.get(n.name());
        long changed = old != null && Objects.equals(old.renewTime(), renew) ? old.changedNanos() : System.nanoTime();
        echoes.put(n.name(), new Echo(st, renew, changed));
      } catch (RuntimeException e) {
        LOG.debug("reading the lease of {} for the live page", n.name(), e);
      }
    }
  }

  private void publish() {
    try {
      String s = state();
      if (!s.equals(lastState)) {
        lastState = s;
        send(event("state", s));
      }
      int size = fleet.history().events().size();
      if (size != timelineEvents) {
        timelineEvents = size;
        lastTimeline = event("timeline", text(TimelineRenderer.svg(fleet.history())));
        send(lastTimeline);
      }
    } catch (RuntimeException e) {
      LOG.debug("live page state", e);
    }
  }

  private void send(String event) {
    for (BlockingQueue<String> q : clients) {
      if (!q.offer(event)) {
        clients.remove(q); // a page that reads nothing: drop it, it reconnects
      }
    }
  }

  /** Serves one page's event stream until it goes away. */
  void serve(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(200, 0);
    BlockingQueue<String> q = new LinkedBlockingQueue<>(1000);
    q.add("retry: 1000\n\n");
    q.add(event("state", state()));
    if (!lastTimeline.isEmpty()) {
      q.add(lastTimeline);
    }
    synchronized (backlog) {
      backlog.forEach(line -> q.add(event("log", text(line))));
    }
    clients.add(q);
    try (OutputStream out = ex.getResponseBody()) {
      while (!ticker.isShutdown()) {
        String e = q.poll(15, TimeUnit.SECONDS);
        out.write((e != null ? e : ": keep-alive\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException | InterruptedException gone) {
      // the page was closed or the server is stopping
    } finally {
      clients.remove(q);
    }
  }

  private static String event(String name, String json) {
    return "event: " + name + "\ndata: " + json + "\n\n";
  }

  private static String text(String s) {
    return JSON.getNodeFactory().textNode(s).toString();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
