package dev.mclease.controller;

import java.time.Duration;

/**
 * When a held acquisition that no longer serves its candidate may be released (docs/protocol.md, "Controller side"
 * 4), with no I/O and no state.
 *
 * <p>The candidate may lead on the last echoed {@code T} until {@code t0(T) + W} on its own clock, and
 * {@code t0(T) ≤ seen(T)}: so once {@code seen(T) + W + M} has passed here, no confirmation of this acquisition can
 * be in force ({@code M} absorbs clock-rate drift over the window), and only then may the key go to anyone else —
 * or to a new acquisition for a restarted process. A release the candidate asked for ({@code holderIdentity = ""})
 * is safe at once: it stopped counting itself leader before it wrote that. Nothing echoed: nothing to wait for.
 */
final class ReleaseRule {

  private final long marginNanos;

  /** @param safetyMargin {@code M} */
  ReleaseRule(Duration safetyMargin) {
    this.marginNanos = safetyMargin.toNanos();
  }

  static ReleaseRule of(ControllerConfig cfg) {
    return new ReleaseRule(cfg.safetyMargin());
  }

  /**
   * The monotonic instant from which releasing for {@code why} is safe, given the last echo of the acquisition
   * ({@code null}: none); {@code nowNanos} when it is safe at once.
   */
  long releaseAt(ReleaseReason why, LastEcho last, long nowNanos) {
    if (why.askedByCandidate() || last == null) {
      return nowNanos;
    }
    return last.seenNanos() + last.windowNanos() + marginNanos;
  }

  /** Whether releasing for {@code why} is safe at {@code nowNanos}. */
  boolean mayRelease(ReleaseReason why, LastEcho last, long nowNanos) {
    return releaseAt(why, last, nowNanos) - nowNanos <= 0;
  }
}
