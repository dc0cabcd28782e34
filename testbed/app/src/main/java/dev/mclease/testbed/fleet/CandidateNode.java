package dev.mclease.testbed.fleet;

import dev.mclease.client.Leadership;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.history.History;
import dev.mclease.testbed.time.SkewableClock;
import dev.mclease.testbed.time.SkewableNanoTime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One candidate replica: a fabric8 {@link LeaderElector} with a {@link MultiClusterLeaseLock}, talking to its
 * cluster's API server through its own {@link TcpProxy}, campaigning again after each loss, and recording
 * every leadership start, confirmation and stop into the fleet's {@link History}.
 */
public final class CandidateNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CandidateNode.class);

  private final String identity;
  private final String clusterName;
  private final Cluster cluster;
  private final String namespace;
  private final String leaseName;
  private volatile Timings timings;
  private final History history;
  private final TcpProxy apiProxy;
  private final SkewableClock clock = SkewableClock.system();
  private final SkewableNanoTime nanoTime = SkewableNanoTime.system();
  private final Consumer<CandidateNode> onChange;
  private final List<LeadershipHook> hooks = new CopyOnWriteArrayList<>();

  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean leading = new AtomicBoolean();
  /** fabric8 said onStartLeading and not yet onStopLeading; the history's START waits for the lock to agree. */
  private final AtomicBoolean elected = new AtomicBoolean();
  private final AtomicLong lastRecordedValidUntil = new AtomicLong(Long.MIN_VALUE);
  /** The clock rate of the last recorded confirmation; guarded by {@code recordMonitor}. */
  private double lastRecordedRate = 1.0;
  private final Object recordMonitor = new Object();
  private volatile ScheduledExecutorService recorder;
  private volatile KubernetesClient client;
  private volatile MultiClusterLeaseLock lock;
  private volatile GatedLock gate;
  private volatile CompletableFuture<?> election;
  private volatile long token = -1;
  /** Which process of this identity runs: 1 for the first start, one more for each restart under the same name. */
  private volatile int incarnation;

  CandidateNode(String identity, String clusterName, Cluster cluster, String namespace, String leaseName,
      Timings timings, History history, Consumer<CandidateNode> onChange) {
    this.identity = identity;
    this.clusterName = clusterName;
    this.cluster = cluster;
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.timings = timings;
    this.history = history;
    this.onChange = onChange;
    this.apiProxy = TcpProxy.start(identity + "->api", cluster.apiServer().getHost(), cluster.apiServer().getPort());
  }

  public String identity() {
    return identity;
  }

  public String clusterName() {
    return clusterName;
  }

  /** The proxy on this candidate's link to its API server, for partitions and latency. */
  public TcpProxy apiLink() {
    return apiProxy;
  }

  public SkewableClock clock() {
    return clock;
  }

  public SkewableNanoTime nanoTime() {
    return nanoTime;
  }

  public boolean isRunning() {
    return running.get();
  }

  public boolean isPaused() {
    GatedLock g = gate;
    return g != null && g.isPaused();
  }

  /**
   * Whether this candidate leads right now: it was told so ({@code onStartLeading}) and its lock still counts
   * it leader by its own monotonic judgement (a late {@code onStopLeading} does not extend leadership).
   */
  public boolean isLeader() {
    MultiClusterLeaseLock l = lock;
    return running.get() && leading.get() && !isPaused() && l != null && l.isLeader();
  }

  /** The fencing token of the current leadership, or -1. */
  public long fencingToken() {
    MultiClusterLeaseLock l = lock;
    return l == null ? -1 : l.fencingToken().orElse(-1);
  }

  public MultiClusterLeaseLock lock() {
    return lock;
  }

  /** The timings this candidate runs with (the fleet's unless {@link #timings(Timings)} changed them). */
  public Timings timings() {
    return timings;
  }

  /**
   * Runs this candidate with other candidate timings (L, D, R) from its next {@link #start()} on, as an operator who
   * tunes one deployment differently from the controllers would; the controller-side parts are ignored.
   */
  public void timings(Timings candidateTimings) {
    this.timings = java.util.Objects.requireNonNull(candidateTimings, "candidateTimings");
  }

  /** 1 for the first process of this identity, one more for every restart; 0 before the first start. */
  public int incarnation() {
    return incarnation;
  }

  /**
   * Work that runs while this candidate leads (e.g. a {@link FencedWriter}), told on the election thread. The order
   * against the history is what makes the work judgeable: {@code started} comes after the START is recorded, and
   * {@code stopped} before the STOP is, so whatever the work saw between the two lies inside the recorded
   * leadership.
   */
  public interface LeadershipHook {
    /** This candidate started leading with {@code token}; its START is in the history. */
    void started(CandidateNode node, long token);

    /** This candidate stops leading (or dies); its STOP is not in the history yet. */
    void stopped(CandidateNode node);
  }

  /** Adds work that runs while this candidate leads (see {@link LeadershipHook}). */
  public void addLeadershipHook(LeadershipHook hook) {
    hooks.add(java.util.Objects.requireNonNull(hook, "hook"));
  }

  /**
   * Blocks while this candidate is paused: a thread of a frozen process (a writer of its side effects) runs no
   * further than this until the process resumes.
   */
  public void awaitRunnable() throws InterruptedException {
    GatedLock g = gate;
    if (g != null) {
      g.awaitResumed();
    }
  }

  /**
   * Records the lock's deadline now, as the recorder does every 20 ms: a side effect that checks leadership calls
   * this after its check, so the history knows every deadline a check relied on.
   */
  public void recordConfirmationNow() {
    recordConfirmation();
  }

  /** Starts campaigning (a new process: fresh client, fresh lock, no memory of earlier heartbeats). */
  public synchronized void start() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    incarnation++;
    elected.set(false);
    client = cluster.newClient(apiProxy.uri(cluster.apiServer().getScheme()));
    lock = MultiClusterLeaseLock.builder(namespace, leaseName, identity)
        .leaseDuration(timings.leaseDuration())
        .renewDeadline(timings.renewDeadline())
        .retryPeriod(timings.retryPeriod())
        .clock(clock)
        .nanoTime(nanoTime)
        .build();
    gate = new GatedLock(lock);
    recorder = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, identity + "-recorder");
      t.setDaemon(true);
      return t;
    });
    recorder.scheduleWithFixedDelay(this::recordConfirmation, 0, 20, TimeUnit.MILLISECONDS);
    campaign();
  }

  private void campaign() {
    if (!running.get()) {
      return;
    }
    LeaderElectionConfig config = new LeaderElectionConfigBuilder()
        .withName(leaseName)
        .withLock(gate)
        .withLeaseDuration(timings.leaseDuration())
        .withRenewDeadline(timings.renewDeadline())
        .withRetryPeriod(timings.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading, leader -> { }))
        .build();
    LeaderElector elector = client.leaderElector().withConfig(config).build();
    CompletableFuture<?> future = elector.start();
    election = future;
    // fabric8's elector does not campaign again after a loss; a real replica would, so we do.
    future.whenComplete((v, t) -> {
      if (running.get() && election == future) {
        campaign();
      }
    });
  }

  private void startedLeading() {
    if (!running.get() || gate.isPaused()) {
      return;
    }
    elected.set(true);
    startOnceTheLockAgrees();
  }

  /**
   * Records the START once both hold: fabric8 said onStartLeading and the lock's snapshot says leader, with the
   * lock's token (as the candidate processes' LeadershipReporter does). fabric8 runs the callback on its executor
   * some time after the renewal that made it leader; when the lock's leadership had already lapsed by then, a START
   * with no token (-1) went into the history and the checker rightly refused it (split-brain.feature seed 107, once).
   * The recorder retries every 20 ms, so a leadership the lock confirms again within the same term is recorded.
   */
  private void startOnceTheLockAgrees() {
    synchronized (recordMonitor) {
      MultiClusterLeaseLock l = lock;
      if (!elected.get() || leading.get() || l == null || !running.get() || isPaused()) {
        return;
      }
      Leadership now = l.leadership();
      if (!now.leader()) {
        return;
      }
      token = now.fencingToken().orElse(-1);
      leading.set(true);
      history.start(identity, incarnation, clusterName, token);
    }
    recordConfirmation();
    hooks.forEach(h -> h.started(this, token));
    LOG.info("{} in {} started leading (token {})", identity, clusterName, token);
    onChange.accept(this);
  }

  private void stoppedLeading() {
    elected.set(false);
    if (leading.compareAndSet(true, false)) {
      hooks.forEach(h -> h.stopped(this));
      history.stop(identity, clusterName);
      LOG.info("{} in {} stopped leading", identity, clusterName);
      onChange.accept(this);
    }
  }

  /** Records the lock's own deadline, converted to the history's time base, whenever it moves. */
  private void recordConfirmation() {
    if (!leading.get() && elected.get()) {
      startOnceTheLockAgrees();
      return;
    }
    // one monitor for the recorder and side-effect writers: read and append together, so deadlines stay in order
    synchronized (recordMonitor) {
      try {
        MultiClusterLeaseLock l = lock;
        if (!leading.get() || l == null || isPaused() || !running.get()) {
          return;
        }
        long validUntil = l.validUntilNanos();
        double rate = nanoTime.rate();
        if (validUntil == Long.MIN_VALUE
            || (validUntil == lastRecordedValidUntil.get() && rate == lastRecordedRate)) {
          return;
        }
        lastRecordedValidUntil.set(validUntil);
        lastRecordedRate = rate;
        // The lock's deadline is on this candidate's own (possibly drifting) monotonic clock; the history holds what
        // the candidate believes in real time (the fleet's History runs on System.nanoTime): a clock at 0.9 counts
        // the rest of its confirmation in rest / 0.9 of real time. Recorded again when the rate changes, since the
        // latest CONFIRMED decides the interval's end. Unscaled, a slow clock's leadership looked shorter than it
        // was, and the checker could miss an overlap (the soak's fenced row caught writes past the recorded end).
        long remaining = nanoTime.realNanos(validUntil - nanoTime.getAsLong());
        history.confirmed(identity, clusterName, token, System.nanoTime() + remaining);
      } catch (RuntimeException e) {
        LOG.debug("recording confirmation of {} failed", identity, e);
      }
    }
  }

  /** Freezes the election thread at its next lock call, as SIGSTOP would; leadership runs out on its own. */
  public void pause() {
    GatedLock g = gate;
    if (g != null) {
      g.pause();
    }
  }

  public void resume() {
    GatedLock g = gate;
    if (g != null) {
      g.resume();
    }
  }

  /** Leaves the election gracefully: fabric8 releases the lock (spec.holderIdentity = ""). */
  public synchronized void release() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    // a frozen election thread holds fabric8's elector monitor inside a lock call: thaw it first, or the
    // release below (which needs that monitor) waits forever
    resume();
    CompletableFuture<?> f = election;
    if (f != null) {
      f.cancel(true);
    }
    stoppedLeading();
    shutdownResources(false);
  }

  /** Dies without a word: no release, no further heartbeats; the lease runs out after L. */
  public synchronized void kill() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    gate.kill();
    CompletableFuture<?> f = election;
    if (f != null) {
      f.cancel(true);
    }
    stoppedLeading();
    shutdownResources(true);
  }

  /**
   * A crashed process says nothing on its way out: its connections go first (closing the client ends the lock's
   * informer too), so the lock's best-effort release on close cannot reach the API server and only logs that it
   * could not. A graceful stop closes the lock first, which releases.
   */
  private void shutdownResources(boolean crash) {
    ScheduledExecutorService r = recorder;
    if (r != null) {
      r.shutdownNow();
    }
    MultiClusterLeaseLock l = lock;
    KubernetesClient c = client;
    if (crash && c != null) {
      c.close();
    }
    if (l != null) {
      l.close();
    }
    if (!crash && c != null) {
      c.close();
    }
  }

  @Override
  public void close() {
    kill();
    apiProxy.close();
  }

  @Override
  public String toString() {
    return clusterName + "/" + identity;
  }
}
