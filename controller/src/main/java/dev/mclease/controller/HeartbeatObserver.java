package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseSpec;
import java.util.Objects;

/**
 * When this process saw the candidate's heartbeat {@code spec.(holderIdentity, holderInstance, renewTime)} change,
 * on its own monotonic clock (docs/protocol.md, "Controller side" 1). Liveness is judged from that instant only, so
 * a renewTime value far in the future keeps nobody alive, and {@code seen(T)} of an echo is never before the
 * candidate's {@code t0(T)}.
 */
final class HeartbeatObserver {

  private String holder;
  private String instance;
  private String renewTime;
  private long changedAtNanos;
  private boolean seen;

  /** A version of the spec arrived at {@code observedAtNanos}; a change of the heartbeat moves the change instant. */
  void observe(MultiClusterLeaseSpec spec, long observedAtNanos) {
    String h = spec.getHolderIdentity() == null ? "" : spec.getHolderIdentity();
    String i = spec.getHolderInstance();
    String r = spec.getRenewTime() == null ? null : spec.getRenewTime().getTime();
    if (!seen || !h.equals(holder) || !Objects.equals(i, instance) || !Objects.equals(r, renewTime)) {
      holder = h;
      instance = i;
      renewTime = r;
      changedAtNanos = observedAtNanos;
    }
    seen = true;
  }

  /** Whether any version of the object arrived yet. */
  boolean seen() {
    return seen;
  }

  /** The monotonic instant this process first saw the current heartbeat. */
  long changedAtNanos() {
    return changedAtNanos;
  }
}
