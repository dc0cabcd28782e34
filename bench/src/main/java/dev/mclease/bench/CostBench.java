package dev.mclease.bench;

import dev.mclease.bench.sut.BaselineElectorate;
import dev.mclease.bench.sut.MclElectorate;
import dev.mclease.bench.sut.ResourceMeter;
import dev.mclease.bench.sut.WriteCounter;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Timings;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost in steady state (a leader, every candidate running, no faults), over a window of {@code windowSeconds}:
 * <ul>
 *   <li>API writes per active candidate-minute, counted by {@link WriteCounter} (a watch on the objects:
 *       spec writes = candidates' heartbeats, status writes = controllers' echoes), divided by candidates ×
 *       minutes. Baseline: writes to the Lease by its 3 fabric8 electors.</li>
 *   <li>Backend requests per controller-minute: etcd's own {@code grpc_server_msg_received_total} (every unary
 *       request and every message on a stream: lease keep-alives, watch requests) read from its {@code /metrics}
 *       before and after, divided by controllers × minutes. Only the controllers talk to etcd. The baseline has no
 *       second store (its API server's own storage is not counted on either side).</li>
 *   <li>CPU and memory over the window ({@link ResourceMeter}), as millicores (CPU-ms per second of window): this
 *       JVM (ours: candidates and controllers, or fabric8's electors), the system's kube-apiservers, the etcd they
 *       store into and (MCL) the lock store's etcd; RSS of each at the end.</li>
 * </ul>
 * The JMH score of this benchmark is just the window; the figures go to the side results.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
public class CostBench {

  private static final Pattern GRPC = Pattern.compile(
      "^grpc_server_msg_received_total\\{([^}]*)}\\s+([0-9.eE+]+)$");
  private static final Pattern METHOD = Pattern.compile("grpc_method=\"([^\"]+)\"");

  @Param({"mcl", "baseline"})
  public String system;

  @Param({"fast"})
  public String timings;

  @Param({"20"})
  public int windowSeconds;

  private Timings t;
  private MclElectorate mcl;
  private BaselineElectorate baseline;
  private ResourceMeter meter;
  private final List<WriteCounter<?>> counters = new ArrayList<>();

  @Setup(Level.Trial)
  public void startSystem() {
    Quiet.apply();
    t = BenchTimings.named(timings);
    if ("mcl".equals(system)) {
      mcl = new MclElectorate(3, 1, "cost", t);
      mcl.awaitStableLeader(t.retryPeriod().multipliedBy(5), Duration.ofMinutes(2));
      for (ClusterNode n : mcl.fleet().clusters()) {
        counters.add(new WriteCounter<>(n.cluster().client().resources(MultiClusterLease.class),
            mcl.fleet().namespace(), MultiClusterLease::getSpec, MultiClusterLease::getStatus));
      }
      meter = new ResourceMeter(mcl.fleet().clusters().stream().map(ClusterNode::cluster).toList(),
          mcl.fleet().etcd().endpoints());
    } else {
      baseline = new BaselineElectorate(3, "cost", t).start();
      baseline.awaitStableLeader(t.retryPeriod().multipliedBy(5), Duration.ofMinutes(2));
      counters.add(new WriteCounter<>(baseline.cluster().client().leases(), baseline.namespace(), Lease::getSpec,
          l -> ""));
      meter = new ResourceMeter(List.of(baseline.cluster()), List.of());
    }
  }

  @Benchmark
  public double steadyState() throws Exception {
    long specBefore = counters.stream().mapToLong(WriteCounter::specWrites).sum();
    long statusBefore = counters.stream().mapToLong(WriteCounter::statusWrites).sum();
    long[][] perClusterBefore = perCluster();
    Map<String, Double> callsBefore = backendCalls();
    String leaderBefore = leaderCluster();
    Map<String, Double> etcdBefore = etcdRequests();
    double echoesBefore = echoes();
    ResourceMeter.Window window = meter.start();
    long t0 = System.nanoTime();
    TimeUnit.SECONDS.sleep(windowSeconds);
    double minutes = (System.nanoTime() - t0) / 60e9;
    Map<String, Double> resources = window.stop();
    long spec = counters.stream().mapToLong(WriteCounter::specWrites).sum() - specBefore;
    long status = counters.stream().mapToLong(WriteCounter::statusWrites).sum() - statusBefore;
    int candidates = 3;
    Map<String, Object> p = Map.of("system", system, "timings", timings, "window_s", windowSeconds);
    SideResults.record("cost", p, "candidate_writes_per_candidate_minute", spec / (candidates * minutes));
    SideResults.record("cost", p, "controller_writes_per_candidate_minute", status / (candidates * minutes));
    SideResults.record("cost", p, "api_writes_per_candidate_minute", (spec + status) / (candidates * minutes));
    SideResults.record("cost", p, "api_writes_per_fleet_minute", (spec + status) / minutes);
    if (mcl != null) {
      recordByRole(p, minutes, perClusterBefore, callsBefore, leaderBefore);
    }
    Map<String, Double> perSecond = new LinkedHashMap<>(resources);
    for (String role : ResourceMeter.ROLES) {
      Double cpu = resources.get(role + "_cpu_ms");
      if (cpu != null) {
        perSecond.put(role + "_millicores", cpu / (resources.get("window_ms") / 1000.0));
      }
    }
    SideResults.resources("cost", p, perSecond);
    if (mcl != null) {
      int controllers = mcl.fleet().clusters().size();
      Map<String, Double> etcdAfter = etcdRequests();
      double total = 0;
      for (Map.Entry<String, Double> e : etcdAfter.entrySet()) {
        double d = e.getValue() - etcdBefore.getOrDefault(e.getKey(), 0.0);
        if (d > 0) {
          total += d;
          SideResults.record("cost", Map.of("system", system, "timings", timings, "window_s", windowSeconds,
              "etcd_method", e.getKey()), "backend_requests_per_controller_minute", d / (controllers * minutes));
        }
      }
      SideResults.record("cost", p, "backend_requests_per_controller_minute", total / (controllers * minutes));
      SideResults.record("cost", p, "echoes_per_controller_minute",
          (echoes() - echoesBefore) / (controllers * minutes));
    }
    return minutes * 60e3;
  }

  /**
   * The writes and lock-store calls of the window split by writer: the leader's cluster (its candidate's heartbeats,
   * its controller's echoes) against each standby cluster (averaged), and each controller's calls by kind
   * ({@code mclease.backend.requests}). Skipped, with a line on stderr, when the leader moved during the window.
   */
  private void recordByRole(Map<String, Object> p, double minutes, long[][] before, Map<String, Double> callsBefore,
      String leaderBefore) {
    String leader = leaderCluster();
    if (leader == null || !leader.equals(leaderBefore)) {
      System.err.println("[cost] the leader moved during the window (" + leaderBefore + " -> " + leader
          + "): no split by writer");
      return;
    }
    long[][] after = perCluster();
    Map<String, Double> byRole = new TreeMap<>();
    List<ClusterNode> clusters = mcl.fleet().clusters();
    int standbys = clusters.size() - 1;
    for (int i = 0; i < clusters.size(); i++) {
      boolean lead = clusters.get(i).name().equals(leader);
      double share = lead ? 1 : 1.0 / standbys;
      String role = lead ? "leader" : "standby";
      byRole.merge("spec_writes_per_minute_" + role, (after[i][0] - before[i][0]) * share / minutes, Double::sum);
      byRole.merge("status_writes_per_minute_" + role, (after[i][1] - before[i][1]) * share / minutes, Double::sum);
    }
    Map<String, Double> calls = backendCalls();
    for (Map.Entry<String, Double> e : calls.entrySet()) {
      String[] clusterAndOp = e.getKey().split("\\|");
      boolean lead = clusterAndOp[0].equals(leader);
      double d = (e.getValue() - callsBefore.getOrDefault(e.getKey(), 0.0)) * (lead ? 1 : 1.0 / standbys);
      byRole.merge("backend_calls_per_minute_" + (lead ? "leader" : "standby") + "_" + clusterAndOp[1], d / minutes,
          Double::sum);
    }
    byRole.forEach((metric, value) -> SideResults.record("cost", p, metric, value));
  }

  /** Spec and status writes so far, per cluster in the fleet's order. */
  private long[][] perCluster() {
    long[][] out = new long[counters.size()][];
    for (int i = 0; i < counters.size(); i++) {
      out[i] = new long[] {counters.get(i).specWrites(), counters.get(i).statusWrites()};
    }
    return out;
  }

  private String leaderCluster() {
    return mcl == null ? null : mcl.fleet().leader().map(CandidateNode::clusterName).orElse(null);
  }

  /** Each controller's lock-store calls so far, keyed {@code cluster|op}. */
  private Map<String, Double> backendCalls() {
    Map<String, Double> out = new HashMap<>();
    if (mcl == null) {
      return out;
    }
    for (ClusterNode n : mcl.fleet().clusters()) {
      for (Counter c : n.controller().registry().find("mclease.backend.requests").counters()) {
        out.merge(n.name() + "|" + c.getId().getTag("op"), c.count(), Double::sum);
      }
    }
    return out;
  }

  private double echoes() {
    if (mcl == null) {
      return 0;
    }
    double sum = 0;
    for (ClusterNode n : mcl.fleet().clusters()) {
      for (Counter c : n.controller().registry().find("mclease.echoes").counters()) {
        sum += c.count();
      }
    }
    return sum;
  }

  /** etcd's received-message counters by gRPC method, summed over members. */
  private Map<String, Double> etcdRequests() throws IOException, InterruptedException {
    Map<String, Double> byMethod = new HashMap<>();
    if (mcl == null) {
      return byMethod;
    }
    HttpClient http = HttpClient.newHttpClient();
    for (String endpoint : mcl.fleet().etcd().endpoints()) {
      String body = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/metrics")).GET().build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : body.split("\n")) {
        Matcher m = GRPC.matcher(line.trim());
        if (m.matches()) {
          Matcher method = METHOD.matcher(m.group(1));
          String name = method.find() ? method.group(1) : "?";
          byMethod.merge(name, Double.parseDouble(m.group(2)), Double::sum);
        }
      }
    }
    return byMethod;
  }

  @TearDown(Level.Trial)
  public void stopSystem() {
    counters.forEach(WriteCounter::close);
    if (mcl != null) {
      mcl.close();
    }
    if (baseline != null) {
      baseline.close();
    }
  }
}
