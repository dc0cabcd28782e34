package dev.mclease.bench;

import dev.mclease.bench.sut.BaselineElectorate;
import dev.mclease.bench.sut.BenchClusters;
import dev.mclease.bench.sut.LeaderEvents;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * Cold start to first leader. Before each operation (not measured) a fresh fleet is built on the fork's API servers
 * ({@link BenchClusters}: real kube-apiservers, started with the first operation and kept for the trial) in a fresh
 * namespace, its proxies wired to the etcd started once per trial; the lease name is new each time, so nothing is
 * left over. The operation starts every election controller (new etcd session, informers) and every candidate at
 * the same moment, as a fleet deployed at once starts ({@code Fleet.startTogether}), and ends at the first
 * {@code onStartLeading}. Baseline: start 3 fabric8 electors on a fresh Lease in a fresh namespace.
 * (On the embedded mock the API servers themselves are fresh per operation.)
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
public class ColdStartBench {

  @Param({"mcl", "baseline"})
  public String system;

  @Param({"fast"})
  public String timings;

  @Param({"3"})
  public int clusters;

  private Timings t;
  private EtcdCluster etcd;
  private int round;
  private Fleet fleet;
  private BaselineElectorate baseline;
  private CompletableFuture<Long> first;

  @Setup(Level.Trial)
  public void startEtcd() {
    Quiet.apply();
    t = BenchTimings.named(timings);
    if ("mcl".equals(system)) {
      etcd = EtcdProvider.start(1);
    }
  }

  @Setup(Level.Invocation)
  public void prepare() {
    round++;
    first = new CompletableFuture<>();
    if ("mcl".equals(system)) {
      fleet = BenchClusters.fleet("cold-" + round).clusterCount(clusters).candidatesPerCluster(1)
          .etcdEndpoints(etcd.endpoints()).timings(t).build();
      fleet.onLeadershipChange(c -> {
        if (c.isLeader()) {
          first.complete(System.nanoTime());
        }
      });
    } else {
      baseline = new BaselineElectorate(clusters, "cold-" + round, t);
      baseline.events().next(id -> true).thenAccept(s -> first.complete(s.nanoTime()));
    }
  }

  @Benchmark
  public double firstLeader() throws Exception {
    long t0 = System.nanoTime();
    if (fleet != null) {
      fleet.startTogether();
    } else {
      baseline.start();
    }
    long t1 = first.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    double ms = (t1 - t0) / 1e6;
    SideResults.record("failover", Map.of("scenario", "cold_start", "system", system, "timings", timings,
        "clusters", clusters), "latency_ms", ms);
    return ms;
  }

  @TearDown(Level.Invocation)
  public void stop() {
    if (fleet != null) {
      fleet.close();
      fleet = null;
    }
    if (baseline != null) {
      baseline.close();
      baseline = null;
    }
  }

  @TearDown(Level.Trial)
  public void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private Duration timeout() {
    return t.leaseDuration().plus(t.backendTtl()).plusSeconds(30);
  }
}
