package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The per-lease gauges ({@link ControllerMetrics#lease}) as a scrape reads them. The worker publishes them at the end
 * of every reconcile and a scrape reads them on another thread, so they are copies in volatile fields: the worker's
 * own state is not thread-safe.
 */
final class LeaseGauges {

  private final LongSupplier nanoTime;
  private final Duration backendTtl;
  private volatile boolean holdingNow;
  private volatile long lastHeldNanos;
  private volatile boolean specInvalidNow;
  private volatile int leaseSecondsNow;

  /** Starts counting leaderless time now, when the controller begins serving the lease. */
  LeaseGauges(LongSupplier nanoTime, Duration backendTtl) {
    this.nanoTime = nanoTime;
    this.backendTtl = backendTtl;
    this.lastHeldNanos = nanoTime.getAsLong();
  }

  /**
   * Metric: 0 while this controller holds the lease's global lock, else seconds since it last held it (or since it
   * began serving the lease). The fleet has had no leader for the smallest value across its controllers.
   */
  double leaderlessSeconds() {
    return holdingNow ? 0 : Math.max(0, nanoTime.getAsLong() - lastHeldNanos) / 1e9;
  }

  /** Metric: L + G, within which a crashed candidate (L) or a crashed controller (G) is replaced; 0 before a spec. */
  double failoverBoundSeconds() {
    int l = leaseSecondsNow;
    return l <= 0 ? 0 : l + backendTtl.toMillis() / 1e3;
  }

  /** Metric: the spec cannot be served (condition InvalidSpec). */
  boolean specInvalid() {
    return specInvalidNow;
  }

  /** The end of a reconcile: {@code holding} the global lock now, for {@code spec} (null before one arrived). */
  void publish(boolean holding, MultiClusterLeaseSpec spec, boolean deleted) {
    long now = nanoTime.getAsLong();
    if (holding || holdingNow) { // held now, or until this reconcile found it lost
      lastHeldNanos = now;
    }
    holdingNow = holding;
    specInvalidNow = spec != null && !deleted && SpecCheck.problem(spec) != null;
    Integer l = spec == null ? null : spec.getLeaseDurationSeconds();
    leaseSecondsNow = l == null ? 0 : l;
  }
}
