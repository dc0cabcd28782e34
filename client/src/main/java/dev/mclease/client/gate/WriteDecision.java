package dev.mclease.client.gate;

import dev.mclease.client.Leadership;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The write gate's whole rule, pure: may a request with this HTTP method go out now, given one {@link Leadership}
 * snapshot and the monotonic instant of the decision (the same source as the lock's)? Reads always may; a mutating
 * request ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE}) only while the snapshot is valid at that instant
 * ({@link Leadership#isValidAt(long)}) and names a fencing token. {@link LeaderWriteGate} takes the snapshot and the
 * instant right before each request is sent and applies this.
 *
 * @param outcome what was decided
 * @param token the fencing token of the leadership the decision was made on (for a refusal after the lock let go: of
 *     the last leadership seen), if any
 * @param overdueNanos for {@link Outcome#EXPIRED}: how long before the decision the leadership's deadline passed
 *     ({@code now − validUntil}, ≥ 0); else 0
 */
public record WriteDecision(Outcome outcome, OptionalLong token, long overdueNanos) {

  /** HTTP methods that change state on a Kubernetes API server. */
  public static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

  /** The possible answers. */
  public enum Outcome {
    /** Not a mutating request: the gate has nothing to say about it. */
    READ,
    /** A mutating request of the leader, inside its leadership: it may go out. */
    ALLOWED,
    /** A mutating request, but this instance is not (or no longer) the confirmed leader. */
    NOT_LEADER,
    /** A mutating request after the leadership's monotonic deadline: the leader was late (paused, slow). */
    EXPIRED,
    /** A mutating request of a leader whose leadership has no published fencing token: it could not be fenced. */
    NO_TOKEN
  }

  /** Decides for a request with HTTP {@code method}, on snapshot {@code leadership}, at monotonic {@code nowNanos}. */
  public static WriteDecision of(String method, Leadership leadership, long nowNanos) {
    return of(method, leadership, Leadership.NONE, nowNanos);
  }

  /**
   * Decides for a request with HTTP {@code method} at monotonic {@code nowNanos}, on the current snapshot and the
   * last snapshot in which this instance led ({@link Leadership#NONE} if none): the lock answers "not leader" once
   * its deadline has passed, and the earlier snapshot is what tells how late the request is and with which token.
   */
  public static WriteDecision of(String method, Leadership current, Leadership lastLed, long nowNanos) {
    if (!MUTATING.contains(method.toUpperCase(Locale.ROOT))) {
      return new WriteDecision(Outcome.READ, current.fencingToken(), 0);
    }
    return ofWrite(current, lastLed, nowNanos);
  }

  /** Decides for a mutating side effect (any write, not only an HTTP one) at monotonic {@code nowNanos}. */
  public static WriteDecision ofWrite(Leadership current, long nowNanos) {
    return ofWrite(current, Leadership.NONE, nowNanos);
  }

  /** As {@link #of(String, Leadership, Leadership, long)}, for a mutating side effect. */
  public static WriteDecision ofWrite(Leadership current, Leadership lastLed, long nowNanos) {
    Leadership judged = current.leader() ? current : lastLed;
    if (!judged.leader()) {
      return new WriteDecision(Outcome.NOT_LEADER, OptionalLong.empty(), 0);
    }
    if (!judged.isValidAt(nowNanos)) {
      // validUntil is an instant of the same monotonic source: the difference is how late this request is
      return new WriteDecision(Outcome.EXPIRED, judged.fencingToken(), nowNanos - judged.validUntilNanos());
    }
    if (!current.leader()) {
      // the lock let go before the deadline it had given (another leader was confirmed, the object changed)
      return new WriteDecision(Outcome.NOT_LEADER, lastLed.fencingToken(), 0);
    }
    if (current.fencingToken().isEmpty()) {
      return new WriteDecision(Outcome.NO_TOKEN, OptionalLong.empty(), 0);
    }
    return new WriteDecision(Outcome.ALLOWED, current.fencingToken(), 0);
  }

  /** Whether the request may be sent. */
  public boolean mayProceed() {
    return outcome == Outcome.READ || outcome == Outcome.ALLOWED;
  }

  /** {@link #overdueNanos()} as a Duration. */
  public Duration overdue() {
    return Duration.ofNanos(overdueNanos);
  }
}
