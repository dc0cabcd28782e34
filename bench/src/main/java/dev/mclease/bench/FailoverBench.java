package dev.mclease.bench;

import dev.mclease.bench.sut.BaselineElectorate;
import dev.mclease.bench.sut.Electorate;
import dev.mclease.bench.sut.LeaderEvents;
import dev.mclease.bench.sut.MclElectorate;
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
 * Failover latency: one operation is one whole failover, from the fault to the next {@code onStartLeading} of
 * another candidate. One system (3 clusters for MultiClusterLease, 3 candidates on one Lease for the baseline)
 * is set up per trial; before each operation the bench waits for a single leader that has been stable for a few
 * retry periods, and after it heals the fault and restarts the victim (neither is measured).
 *
 * <ul>
 *   <li>{@link #gracefulHandover}: the leader's elector is cancelled with releaseOnCancel.</li>
 *   <li>{@link #candidateCrash}: the leader's process dies without releasing.</li>
 *   <li>{@link #leaderPartition}: MultiClusterLease: the leader's whole cluster is isolated (its candidates from
 *       its API server, its controller from the API server and from etcd); baseline: the leader is cut from the
 *       API server.</li>
 *   <li>{@link #controllerLoss}: MultiClusterLease only (the baseline has no controller; the report compares it
 *       with the baseline's crash): the leader's cluster's election controller dies.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 0)
@Measurement(iterations = 5)
public class FailoverBench {

  /** "mcl" or "baseline". */
  @Param({"mcl", "baseline"})
  public String system;

  /** "fast" or "defaults" (see {@link BenchTimings}). */
  @Param({"fast"})
  public String timings;

  /** Clusters of the MultiClusterLease fleet = candidates of the baseline. */
  @Param({"3"})
  public int clusters;

  private Electorate sut;
  private Timings t;
  private String leader;
  private CompletableFuture<LeaderEvents.Started> next;
  private AutoCloseable fault;
  private boolean victimStopped;

  @Setup(Level.Trial)
  public void startSystem() {
    Quiet.apply();
    t = BenchTimings.named(timings);
    sut = "mcl".equals(system) ? new MclElectorate(clusters, 1, "bench", t)
        : new BaselineElectorate(clusters, "bench", t).start();
  }

  @Setup(Level.Invocation)
  public void arm() {
    leader = sut.awaitStableLeader(t.retryPeriod().multipliedBy(4), settleTimeout());
    next = sut.nextLeaderOtherThan(leader);
  }

  @Benchmark
  public double gracefulHandover() throws Exception {
    long t0 = System.nanoTime();
    victimStopped = true;
    sut.release(leader);
    return done("graceful_handover", t0);
  }

  @Benchmark
  public double candidateCrash() throws Exception {
    long t0 = System.nanoTime();
    victimStopped = true;
    sut.crash(leader);
    return done("candidate_crash", t0);
  }

  @Benchmark
  public double leaderPartition() throws Exception {
    long t0 = System.nanoTime();
    fault = sut.partitionLeader(leader);
    return done("leader_partition", t0);
  }

  @Benchmark
  public double controllerLoss() throws Exception {
    if (!(sut instanceof MclElectorate mcl)) {
      throw new IllegalStateException("controllerLoss runs on MultiClusterLease only (-p system=mcl)");
    }
    long t0 = System.nanoTime();
    mcl.killController(leader);
    return done("controller_loss", t0);
  }

  private double done(String scenario, long t0) throws Exception {
    LeaderEvents.Started s = next.get(failoverTimeout().toMillis(), TimeUnit.MILLISECONDS);
    double ms = (s.nanoTime() - t0) / 1e6;
    SideResults.record("failover", Map.of("scenario", scenario, "system", system, "timings", timings,
        "clusters", clusters), "latency_ms", ms);
    return ms;
  }

  @TearDown(Level.Invocation)
  public void heal() throws Exception {
    next.cancel(false);
    if (fault != null) {
      fault.close();
      fault = null;
    }
    if (victimStopped) {
      sut.restart(leader);
      victimStopped = false;
    }
    // a killed controller is restarted by the next arm(), which starts whatever is not running
  }

  @TearDown(Level.Trial)
  public void stopSystem() {
    sut.close();
  }

  private Duration settleTimeout() {
    return t.leaseDuration().plus(t.backendTtl()).multipliedBy(2).plusSeconds(30);
  }

  private Duration failoverTimeout() {
    return t.leaseDuration().plus(t.backendTtl()).multipliedBy(2).plusSeconds(20);
  }
}
