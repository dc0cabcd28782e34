package dev.mclease.controller;

import java.time.Duration;

/**
 * When a controller whose candidate is alive asks the backend for the key again, with no I/O and no state: the
 * difference between a standby that polls and one that waits on the watch (docs/controller.md, "Standbys").
 *
 * <p>While another session is known to hold the key — the backend said so, or its watch did — and the watch is live
 * (no {@code RESYNC} since), asking again is pointless: the key can only become free through a release or an expiry,
 * and every backend's watch reports both ({@code GlobalLockBackend#watch}; a push watch for etcd and ZooKeeper, a
 * poll every K for the stores without one). The watch event makes the worker try at once. So a standby only re-checks
 * every {@code recheck}, which bounds the delay a missed event could cost and costs one request per lease per
 * {@code recheck}. Everything else — the key free or unknown, the backend failing, a malformed value — is tried again
 * every {@code retry}, as before. Waiting never affects safety: the backend's conditional write decides every
 * acquisition, whoever asks when.
 */
final class StandbyRule {

  private final long retryNanos;
  private final long recheckNanos;

  /**
   * @param retry how often an attempt that found no known holder is repeated
   * @param recheck how often a standby asks again although the watch said nothing
   */
  StandbyRule(Duration retry, Duration recheck) {
    this.retryNanos = retry.toNanos();
    this.recheckNanos = recheck.toNanos();
  }

  /**
   * The monotonic instant until which a candidate's controller waits for the watch instead of calling acquire;
   * at or before {@code now} means acquire now.
   *
   * @param heldElsewhere another session holds the key, as the backend or the live watch said last
   * @param seenAtNanos when that was last said
   */
  long waitUntil(boolean heldElsewhere, long seenAtNanos, long now) {
    return heldElsewhere ? seenAtNanos + recheckNanos : now;
  }

  /** When to run again after an attempt that did not acquire. */
  long nextAttempt(boolean heldElsewhere, long now) {
    return now + (heldElsewhere ? recheckNanos : retryNanos);
  }
}
