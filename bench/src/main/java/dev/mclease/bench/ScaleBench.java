package dev.mclease.bench;

import dev.mclease.bench.sut.ApiRequestCounter;
import dev.mclease.bench.sut.BaselineElectorate;
import dev.mclease.bench.sut.BenchClusters;
import dev.mclease.bench.sut.LightCandidates;
import dev.mclease.bench.sut.ResourceMeter;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * Scale: N leases per controller, one lightweight candidate per lease ({@link LightCandidates}: N
 * {@code MultiClusterLeaseLock}s polled by one scheduler of {@link #driverThreads} threads, not N fabric8 electors).
 * The operation starts every candidate's tick and ends when every lease has a leader. MultiClusterLease: a 3-cluster fleet,
 * all N candidates in cluster east, so east's controller contends for N keys in etcd and echoes N statuses (the
 * other two controllers are idle); the leases live in the fleet's namespace, the one its controllers watch.
 * Baseline: N Leases with {@code LeaseLock}s on one API server of the same kind ({@link BenchClusters}: a real
 * kube-apiserver), in a namespace of its own.
 *
 * <p>Heap: used JVM heap after a full GC with all N leases led, minus the same just before they started
 * (recorded as {@code heap_growth_mib}). Controllers and candidates share the JVM, so this is an upper bound for the
 * controller: it includes the N candidates' locks and informers. The kube-apiservers are processes of their own:
 * their CPU over the operation and their RSS are recorded beside the JVM's ({@link ResourceMeter}).
 *
 * <p>Steady state: after the operation, {@link #steadySeconds} more with every candidate ticking, recorded as bench
 * {@code scale_steady}: the API servers' requests on the leases' resource per lease-minute by verb, the CPU of every
 * process per lease, and how many leases are led at the window's end ({@link LightCandidates#ledNow()}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 0)
@Measurement(iterations = 1)
public class ScaleBench {

  @Param({"mcl", "baseline"})
  public String system;

  @Param({"1", "10", "100", "1000"})
  public int leases;

  /** Timings of candidates and controllers; the default R=2s keeps 1000 heartbeats a sane load for 2 cores. */
  @Param({"defaults"})
  public String timings;

  /** The longest an operation waits for all leases to be led. */
  @Param({"60"})
  public int timeoutSeconds;

  /**
   * Threads that tick the light candidates; each tick waits for its request, so this bounds the candidates' requests
   * in flight for both systems alike. 4 is the plan's (comparable with earlier runs); real candidates are separate
   * processes that send at once, and with 64 MultiClusterLease fell into a feedback (docs/performance.md).
   */
  @Param({"4"})
  public int driverThreads;

  /**
   * After all are led, a window of this many seconds with every candidate still ticking: what N led leases cost per
   * minute once nothing is being created (writes per lease-minute, CPU per lease, how many are still led at its end).
   * Not timed by JMH (it runs in the invocation's tear-down); 0 = none.
   */
  @Param({"30"})
  public int steadySeconds;

  private Timings t;
  private Fleet fleet;
  private BenchClusters.Handle baseline;
  private Cluster cluster;
  private String namespace;
  private ResourceMeter meter;
  private ApiRequestCounter requests;
  private Map<String, Double> requestsBefore;
  private ResourceMeter.Window window;
  private Map<String, Double> resources;
  private int round;
  private LightCandidates candidates;
  private double heapBefore;
  private boolean allWereLed;

  @Setup(Level.Trial)
  public void startSystem() {
    Quiet.apply();
    t = BenchTimings.named(timings);
    if ("mcl".equals(system)) {
      fleet = BenchClusters.fleet("scale").clusterCount(3).candidatesPerCluster(0).timings(t).build().start();
      cluster = fleet.cluster(fleet.clusterNames().get(0)).cluster();
      namespace = fleet.namespace();
      meter = new ResourceMeter(fleet.clusters().stream().map(ClusterNode::cluster).toList(),
          fleet.etcd().endpoints());
      requests = new ApiRequestCounter(fleet.clusters().stream().map(ClusterNode::cluster).toList(),
          "multiclusterleases");
    } else {
      baseline = BenchClusters.cluster(BaselineElectorate.CLUSTER);
      cluster = baseline.cluster();
      namespace = "scale-" + UUID.randomUUID().toString().substring(0, 8);
      cluster.ensureNamespace(namespace);
      meter = new ResourceMeter(List.of(cluster), List.of());
      requests = new ApiRequestCounter(List.of(cluster), "leases");
    }
    prime();
  }

  /**
   * One lease led and deleted before the first measured operation, for both systems: on real API servers the first
   * lease after a fork's start took about one retry period more than every later one (2.4 s against ~0.1 s for one
   * lease, R = 2 s), which would make the quick plan's single sample measure a start-up effect, not scale. What
   * that first lease took is recorded ({@code first_lease_ms}); cold start itself is {@code ColdStartBench}'s.
   */
  private void prime() {
    long t0 = System.nanoTime();
    try (LightCandidates one = new LightCandidates("mcl".equals(system), cluster, namespace, 1, "prime", t, 1)) {
      one.start().get(timeoutSeconds, TimeUnit.SECONDS);
      SideResults.record("scale", Map.of("system", system, "timings", timings), "first_lease_ms",
          (System.nanoTime() - t0) / 1e6);
    } catch (Exception e) {
      throw new IllegalStateException("the priming lease was not led within " + timeoutSeconds + " s", e);
    }
    deleteLeases();
  }

  @Setup(Level.Invocation)
  public void prepare() {
    round++;
    // before the heap's GC, never inside the window: rendering and parsing a kube-apiserver's /metrics (megabytes)
    // costs both sides hundreds of milliseconds, which taken right before t0 made one lease take 1.6 s instead of 0.1
    requestsBefore = requests.snapshot();
    heapBefore = usedHeapMib();
    candidates = new LightCandidates("mcl".equals(system), cluster, namespace, leases, "scale" + round, t,
        driverThreads);
  }

  @Benchmark
  public double allLed() throws Exception {
    window = meter.start();
    long t0 = System.nanoTime();
    double ms;
    allWereLed = false;
    try {
      ms = (candidates.start().get(timeoutSeconds, TimeUnit.SECONDS) - t0) / 1e6;
      allWereLed = true;
    } catch (TimeoutException e) {
      // not all led in time: the score is the cap, and the side results say how many were
      ms = (System.nanoTime() - t0) / 1e6;
      SideResults.record("scale", params(), "led_at_timeout", candidates.ledCount());
    }
    resources = window.stop();
    SideResults.record("scale", params(), "all_led_ms", ms);
    return ms;
  }

  @TearDown(Level.Invocation)
  public void measureAndStop() {
    SideResults.record("scale", params(), "heap_growth_mib", usedHeapMib() - heapBefore);
    if (resources != null) {
      SideResults.resources("scale", params(), resources);
      resources = null;
    }
    // what the API servers answered on the leases' resource from before the start until all were led (and the
    // candidates' own watch start), per lease and verb; taken after the window, so it costs the window nothing
    ApiRequestCounter.delta(requestsBefore, requests.snapshot()).forEach((verb, n) -> SideResults.record("scale",
        params(), "api_requests_per_lease_" + metricName(verb), n / leases));
    if (allWereLed && steadySeconds > 0) {
      steadyWindow();
    }
    candidates.close();
    deleteLeases();
  }

  /**
   * A fixed measurement window (a sleep is right here: nothing is awaited, the window's length is the measurement's
   * unit). The request snapshots are taken outside the CPU window, as for the operation, and the minutes counted
   * between their midpoints, so that the requests each snapshot's own duration lets through are neither lost nor
   * counted twice.
   */
  private void steadyWindow() {
    long a0 = System.nanoTime();
    Map<String, Double> before = requests.snapshot();
    long a1 = System.nanoTime();
    ResourceMeter.Window w = meter.start();
    try {
      Thread.sleep(TimeUnit.SECONDS.toMillis(steadySeconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    Map<String, Double> res = w.stop();
    int ledAtEnd = candidates.ledNow();
    long b0 = System.nanoTime();
    Map<String, Double> after = requests.snapshot();
    long b1 = System.nanoTime();
    double minutes = ((b0 + b1) / 2.0 - (a0 + a1) / 2.0) / 60e9;
    Map<String, Object> p = params();
    SideResults.record("scale_steady", p, "window_s", minutes * 60);
    SideResults.record("scale_steady", p, "led_fraction_at_end", ledAtEnd / (double) leases);
    ApiRequestCounter.delta(before, after).forEach((verb, n) -> SideResults.record("scale_steady", p,
        "requests_per_lease_minute_" + metricName(verb), n / leases / minutes));
    SideResults.resources("scale_steady", p, res);
  }

  /** A verb as {@link ApiRequestCounter} keys it ({@code PATCH status}) as part of a metric name: {@code patch_status}. */
  private static String metricName(String verb) {
    return verb.toLowerCase(java.util.Locale.ROOT).replace(' ', '_');
  }

  private void deleteLeases() {
    try {
      if (fleet != null) {
        cluster.client().resources(MultiClusterLease.class).inNamespace(namespace).delete();
      } else {
        cluster.client().leases().inNamespace(namespace).delete();
      }
    } catch (RuntimeException e) {
      // leftovers only cost heap in the next round
    }
  }

  @TearDown(Level.Trial)
  public void stopSystem() {
    if (fleet != null) {
      fleet.close();
    }
    if (baseline != null) {
      baseline.close();
    }
  }

  private Map<String, Object> params() {
    return Map.of("system", system, "leases", leases, "timings", timings);
  }

  static double usedHeapMib() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }
}
