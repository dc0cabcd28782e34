package dev.mclease.bench.sut;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One system under test: a set of candidates electing one leader, with the faults the failover benchmarks
 * inject. Implemented by the MultiClusterLease fleet ({@link MclElectorate}) and by fabric8's own
 * {@code LeaseLock} + {@code LeaderElector} on one API server of the same kind ({@link BaselineElectorate}).
 */
public interface Electorate extends AutoCloseable {

  /** "mcl" or "baseline". */
  String system();

  /**
   * Waits until every candidate runs, every injected fault is healed, exactly one candidate leads and that stays
   * so for {@code quiet}; returns the leader's identity.
   */
  String awaitStableLeader(Duration quiet, Duration timeout);

  /** The next {@code onStartLeading} of any candidate other than {@code identity}. */
  CompletableFuture<LeaderEvents.Started> nextLeaderOtherThan(String identity);

  /** The candidate leaves gracefully: its elector is cancelled with {@code releaseOnCancel}. */
  void release(String identity);

  /** The candidate process dies: no release, no more heartbeats. */
  void crash(String identity);

  /** The candidate (released or crashed before) starts again as a new process and campaigns. */
  void restart(String identity);

  /**
   * Cuts the leader off: for the baseline its link to the API server; for MultiClusterLease its whole cluster
   * (candidates, controller ↔ API server, controller ↔ etcd). Closing the result heals it.
   */
  AutoCloseable partitionLeader(String identity);

  @Override
  void close();
}
