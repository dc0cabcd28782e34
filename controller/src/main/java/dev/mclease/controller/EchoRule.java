package dev.mclease.controller;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * The controller's half of the confirmation rule (docs/protocol.md, "Controller side" 3), with no I/O and no
 * state: whether a heartbeat may be echoed now, and for how long that echo lets its candidate lead.
 *
 * <p><b>Grant.</b> At echo instant {@code e}, with the backend session certainly held until {@code heldUntil}, the
 * window granted is {@code W = min(Dc, heldUntil − e − M)}, where {@code Dc} is the renewDeadline the candidate
 * published in spec (or this controller's {@code --candidate-renew-deadline} {@code D} for clients that publish
 * none). The echo happens only if {@code W ≥ min(Dc, D)}: never a window so short that leadership flaps, and for
 * old clients exactly the rule {@code heldUntil − e ≥ D + M} of before. The candidate leads until
 * {@code t0(T) + min(Dc, W)} and {@code t0(T)} precedes {@code e}, so its leadership ends at least {@code M} before
 * {@code heldUntil}, whatever it was configured with: a candidate's renewDeadline larger than the controller's can
 * shorten its own leadership, never extend it past the lock.
 *
 * <p>The other half, when the last echo can no longer be in force, is {@link ReleaseRule}.
 */
final class EchoRule {

  private final long controllerDeadlineNanos;
  private final long marginNanos;
  private final long steadyCoverNanos;

  /**
   * @param controllerDeadline {@code D}: the renewDeadline assumed for candidates that publish none
   * @param safetyMargin {@code M}
   * @param backendTtl {@code G}
   * @param renewInterval {@code K}
   */
  EchoRule(Duration controllerDeadline, Duration safetyMargin, Duration backendTtl, Duration renewInterval) {
    this.controllerDeadlineNanos = controllerDeadline.toNanos();
    this.marginNanos = safetyMargin.toNanos();
    this.steadyCoverNanos = backendTtl.minus(renewInterval).minus(safetyMargin).toNanos();
  }

  /** The controller's rule from its config. */
  static EchoRule of(ControllerConfig cfg) {
    return new EchoRule(cfg.candidateRenewDeadline(), cfg.safetyMargin(), cfg.backendTtl(),
        cfg.backendRenewInterval());
  }

  /** {@code Dc}: the candidate's published renewDeadline, or {@code D} when it published none (or nonsense). */
  long candidateDeadlineNanos(Long publishedMillis) {
    return publishedMillis == null || publishedMillis <= 0 ? controllerDeadlineNanos : publishedMillis * 1_000_000L;
  }

  /**
   * The window to grant an echo made at {@code nowNanos} while the session is held until {@code heldUntilNanos}
   * ({@link Long#MIN_VALUE} = not held), or empty when the heartbeat must not be echoed now.
   */
  OptionalLong grant(long heldUntilNanos, long nowNanos, Long publishedMillis) {
    if (heldUntilNanos == Long.MIN_VALUE) {
      return OptionalLong.empty();
    }
    long dc = candidateDeadlineNanos(publishedMillis);
    long cover = heldUntilNanos - nowNanos - marginNanos;
    if (cover < Math.min(dc, controllerDeadlineNanos)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.min(dc, cover));
  }

  /** The monotonic instant from which {@link #grant} refuses, for a session held until {@code heldUntilNanos}. */
  long grantEndsAt(long heldUntilNanos, Long publishedMillis) {
    return heldUntilNanos - marginNanos - Math.min(candidateDeadlineNanos(publishedMillis), controllerDeadlineNanos);
  }

  /**
   * Whether a published renewDeadline fits in what the lock vouches for between two renewals, {@code G − K − M};
   * beyond it every confirmation is capped below the candidate's renewDeadline.
   */
  boolean covers(long publishedMillis) {
    return publishedMillis * 1_000_000L <= steadyCoverNanos;
  }

  /** {@code G − K − M}, the longest renewDeadline every echo can grant in full while renewals succeed. */
  Duration steadyCover() {
    return Duration.ofNanos(steadyCoverNanos);
  }
}
