package dev.mclease.client;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The candidate's leadership judgement, with no I/O and no clock of its own: every instant is handed in by the lock
 * from its injected sources. It decides, from the heartbeats this lock instance wrote and the last observed status,
 * whether the instance leads at a monotonic instant and until when (docs/safety.md, invariants 1 and 3).
 *
 * <ul>
 *   <li>Leader only on an echo of a heartbeat {@code T} this instance wrote, in a status that names it, and only until
 *       {@code t0(T) + min(D, W)} on its own monotonic clock ({@link HeartbeatLedger}). Nothing else confirms: not a
 *       status naming this identity with someone else's {@code T} (a predecessor under the same identity), not an
 *       echo of a heartbeat forgotten by a release.</li>
 *   <li>A lapse is final for the {@code T} that lapsed: only a newer echo confirms again, and after {@link #close()}
 *       nothing does.</li>
 *   <li>Heartbeat values are strictly increasing and newer than any echo seen, so a stale status can never echo a
 *       {@code T} this instance is about to write. Only equality of {@code T} matters; it is never compared with a
 *       clock, which is why wall-clock skew cannot change a judgement.</li>
 * </ul>
 *
 * <p>Not thread-safe: the lock calls it under its own monitor.
 */
final class LeadershipJudge {

  private final String identity;
  private final Duration renewDeadline;
  private final HeartbeatLedger heartbeats;
  private Instant lastT;
  private boolean confirmed;
  /** Monotonic end of the newest confirmation: t0(T) + min(D, status.confirmationWindowMilliseconds). */
  private long confirmedUntil;
  private Long confirmedToken;
  private boolean closed;

  /** The judgement for candidate {@code identity} whose renewDeadline is {@code renewDeadline} (D). */
  LeadershipJudge(String identity, Duration renewDeadline) {
    this.identity = identity;
    this.renewDeadline = renewDeadline;
    this.heartbeats = new HeartbeatLedger(renewDeadline.toNanos());
  }

  /** The heartbeat {@code T} to write now, remembered with its monotonic write instant {@code t0 = now}. */
  Instant heartbeat(Instant wallNow, long now) {
    Instant t = nextT(wallNow);
    heartbeats.wrote(t, now);
    return t;
  }

  /** A fresh {@code T} that is not remembered: the value written with a release, which nobody may confirm. */
  Instant nextT(Instant wallNow) {
    Instant t = wallNow.truncatedTo(ChronoUnit.MICROS);
    if (lastT != null && !t.isAfter(lastT)) {
      t = lastT.plus(1, ChronoUnit.MICROS);
    }
    lastT = t;
    return t;
  }

  /**
   * Judges a newly observed status ({@code null}: no object or no status). Each observation replaces the last one's
   * verdict, so a status that no longer confirms this instance ends the leadership at once. Returns whether it
   * confirms this instance now.
   */
  boolean judge(MultiClusterLeaseStatus st) {
    Instant echoed = st == null ? null : instantOrNull(st.getObservedRenewTime());
    if (echoed != null && (lastT == null || echoed.isAfter(lastT))) {
      lastT = echoed;
    }
    confirmed = false;
    confirmedToken = null;
    if (st != null && identity.equals(st.getLeader()) && !closed) {
      OptionalLong until = heartbeats.leadsUntil(echoed, st.getConfirmationWindowMilliseconds());
      if (until.isPresent()) {
        confirmed = true;
        confirmedUntil = until.getAsLong();
        confirmedToken = st.getFencingToken();
      }
    }
    return confirmed;
  }

  /** Stops leading and forgets every heartbeat written so far: no late echo of one of them may confirm again. */
  void forget() {
    heartbeats.clear();
    confirmed = false;
    confirmedToken = null;
  }

  /** Final: from now on this instance never leads again, whatever it observes. */
  void close() {
    closed = true;
    forget();
  }

  boolean isClosed() {
    return closed;
  }

  /** Whether a heartbeat this instance wrote may still be echoed into a confirmation. */
  boolean awaitsEcho() {
    return !heartbeats.isEmpty();
  }

  boolean leaderAt(long now) {
    return confirmed && !closed && now - confirmedUntil < 0;
  }

  /** The atomic answer at monotonic {@code now}. */
  Leadership leadership(long now) {
    if (!leaderAt(now)) {
      return Leadership.NONE;
    }
    return new Leadership(true, confirmedToken == null ? OptionalLong.empty() : OptionalLong.of(confirmedToken),
        confirmedUntil);
  }

  /** Why this instance does not lead at {@code now}, given the last observed status; for logs and exceptions. */
  String whyNot(MultiClusterLeaseStatus st, boolean objectSeen) {
    if (!objectSeen) {
      return "the object is gone or not yet read";
    }
    if (st == null || st.getLeader() == null || st.getLeader().isEmpty()) {
      return "status names no leader";
    }
    if (!identity.equals(st.getLeader())) {
      return "status names " + st.getLeader() + nonEmpty(st.getLeaderCluster()).map(c -> " in " + c).orElse("");
    }
    if (closed) {
      return "the lock is closed";
    }
    if (confirmed) {
      return "no fresh confirmation within the window of the last confirmed heartbeat (renewDeadline "
          + renewDeadline + ", capped by the controller's status.confirmationWindowMilliseconds "
          + st.getConfirmationWindowMilliseconds() + ")";
    }
    return "status echoes a heartbeat this instance did not write (stale status or released)";
  }

  /** A line for the log when the judgement flips: leader with token and remaining validity, or why not. */
  String describe(boolean leader, MultiClusterLeaseStatus st, boolean objectSeen, long now) {
    return leader ? "confirmed as global leader, fencing token " + confirmedToken + ", valid for "
        + Duration.ofNanos(confirmedUntil - now).toMillis() + " ms unless renewed"
        : "no longer leader: " + whyNot(st, objectSeen);
  }

  /** A MicroTime as an instant; null when absent or malformed (a malformed echo confirms nobody). */
  static Instant instantOrNull(MicroTime t) {
    try {
      return MicroTimes.toInstant(t);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
