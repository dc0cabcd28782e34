package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Duration;

/**
 * What the spec says about the local candidate at one instant, as this process observed it (docs/protocol.md,
 * "Controller side" 1). Pure: liveness is {@code now − lastChange < L} on this process's monotonic clock, where
 * {@code lastChange} is when it saw {@code spec.(holderIdentity, holderInstance, renewTime)} change; the renewTime
 * value is never compared with any clock.
 *
 * @param spec the spec (never null)
 * @param invalid why the spec cannot be served, or null
 * @param holder {@code spec.holderIdentity}, "" when absent
 * @param instance {@code spec.holderInstance} (null for clients before 0.2)
 * @param alive a valid spec whose holder heartbeated within {@code L}
 * @param candidate the holder to contend for: alive, and neither deleted nor stopping; else null
 * @param aliveUntilNanos when liveness ends ({@code lastChange + L}); only meaningful while alive
 */
record CandidateView(MultiClusterLeaseSpec spec, String invalid, String holder, String instance, boolean alive,
    String candidate, long aliveUntilNanos) {

  static CandidateView of(MultiClusterLeaseSpec spec, long lastChangeNanos, long nowNanos, boolean deleted,
      boolean stopping) {
    String invalid = deleted ? null : SpecCheck.problem(spec);
    // a deleted object is not checked, and may have had no leaseDurationSeconds at all
    long leaseNanos = invalid == null && spec.getLeaseDurationSeconds() != null
        ? Duration.ofSeconds(spec.getLeaseDurationSeconds()).toNanos() : 0;
    String holder = spec.getHolderIdentity() == null ? "" : spec.getHolderIdentity();
    boolean alive = invalid == null && !holder.isEmpty() && nowNanos - lastChangeNanos < leaseNanos;
    String candidate = alive && !deleted && !stopping ? holder : null;
    return new CandidateView(spec, invalid, holder, spec.getHolderInstance(), alive, candidate,
        lastChangeNanos + leaseNanos);
  }
}
