package dev.mclease.bench;

import dev.mclease.bench.sut.LightCandidates;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.lang.management.ManagementFactory;
import java.util.Map;
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
 * {@code MultiClusterLeaseLock}s polled by one 4-thread scheduler, not N fabric8 electors). The operation
 * starts every candidate's tick and ends when every lease has a leader. MultiClusterLease: a 3-cluster fleet,
 * all N candidates in cluster east, so east's controller contends for N keys in etcd and echoes N statuses (the
 * other two controllers are idle). Baseline: N Leases with {@code LeaseLock}s on one embedded API server.
 *
 * <p>Heap: used JVM heap after a full GC with all N leases led, minus the same just before they started
 * (recorded as {@code heap_growth_mib}). Everything runs in one JVM, so this is an upper bound for the controller:
 * it includes the API server's copy of N objects and the N candidates' locks and informers.
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

  private Timings t;
  private Fleet fleet;
  private ClusterProvider provider;
  private Cluster cluster;
  private int round;
  private LightCandidates candidates;
  private double heapBefore;

  @Setup(Level.Trial)
  public void startSystem() {
    Quiet.apply();
    t = BenchTimings.named(timings);
    if ("mcl".equals(system)) {
      fleet = Fleet.builder().clusterCount(3).candidatesPerCluster(0).timings(t).build().start();
      cluster = fleet.cluster(fleet.clusterNames().get(0)).cluster();
    } else {
      provider = ClusterProvider.create("embedded");
      cluster = provider.start("baseline");
    }
  }

  @Setup(Level.Invocation)
  public void prepare() {
    round++;
    heapBefore = usedHeapMib();
    candidates = new LightCandidates("mcl".equals(system), cluster, leases, "scale" + round, t, 4);
  }

  @Benchmark
  public double allLed() throws Exception {
    long t0 = System.nanoTime();
    double ms;
    try {
      ms = (candidates.start().get(timeoutSeconds, TimeUnit.SECONDS) - t0) / 1e6;
    } catch (TimeoutException e) {
      // not all led in time: the score is the cap, and the side results say how many were
      ms = (System.nanoTime() - t0) / 1e6;
      SideResults.record("scale", params(), "led_at_timeout", candidates.ledCount());
    }
    SideResults.record("scale", params(), "all_led_ms", ms);
    return ms;
  }

  @TearDown(Level.Invocation)
  public void measureAndStop() {
    SideResults.record("scale", params(), "heap_growth_mib", usedHeapMib() - heapBefore);
    candidates.close();
    try {
      if (fleet != null) {
        cluster.client().resources(MultiClusterLease.class).inNamespace("default").delete();
      } else {
        cluster.client().leases().inNamespace("default").delete();
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
    if (provider != null) {
      provider.close();
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
