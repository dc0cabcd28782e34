package dev.mclease.controller;

import dev.mclease.controller.backend.Held;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Another session's hold on one key as this controller knows it: who holds it, when the backend last confirmed it,
 * and whether the backend's watch will report its end — which decides whether a standby may wait on the watch
 * instead of asking every R ({@link StandbyRule}).
 */
final class OtherHolder {

  private final LongSupplier nanoTime;
  private final BooleanSupplier watchReportsEveryChange;
  private Held held;
  /** When {@link #held} was last confirmed by the backend: an acquire or lookup answer, or a watch event. */
  private long seenAtNanos;
  /** Whether the watch will report the end of {@link #held}: it reported it, or it reports every change. */
  private boolean watched;

  OtherHolder(LongSupplier nanoTime, BooleanSupplier watchReportsEveryChange) {
    this.nanoTime = nanoTime;
    this.watchReportsEveryChange = watchReportsEveryChange;
  }

  /** The other holder, or null when none is known. */
  Held held() {
    return held;
  }

  long seenAtNanos() {
    return seenAtNanos;
  }

  /**
   * A backend answer names {@code h} as the holder. The watch can be waited on for its end if it reported this very
   * acquisition already, or reports every change after an answer; a watch that learns by reading may have missed a
   * hold that began and ended between two of its reads, and is trusted once it reports the holder itself.
   */
  void learned(Held h) {
    boolean sameAsWatched = watched && held != null && held.token() == h.token();
    held = h;
    seenAtNanos = nanoTime.getAsLong();
    watched = sameAsWatched || watchReportsEveryChange.getAsBoolean();
  }

  /**
   * The watch reported {@code h}'s acquisition; an older one than the known hold is ignored. Returns whether it was
   * taken as the current hold.
   */
  boolean watchedAcquisition(Held h) {
    if (held != null && h.token() < held.token()) {
      return false;
    }
    held = h;
    seenAtNanos = nanoTime.getAsLong();
    watched = true;
    return true;
  }

  /** The watch reported the key released with {@code token} (0: whatever held it). */
  void released(long token) {
    if (held != null && (token == 0 || token == held.token())) {
      forget();
    }
  }

  void forget() {
    held = null;
    watched = false;
  }

  /**
   * Another cluster's session holds the key and the watch will report the end of that hold. A key held in this
   * cluster's own name is never waited on: it is an earlier session of this controller, or an acquisition of this
   * very session that the store applied after the request had timed out (an etcd quorum loss: split-brain.feature's
   * regression scenario). Nobody else will end it and the watch may never report anything, so the standby keeps
   * asking every R, and the backend adopts a late acquisition of its own session.
   */
  boolean heldElsewhereOnTheWatch(String ownCluster) {
    return held != null && watched && !ownCluster.equals(held.value().cluster());
  }
}
