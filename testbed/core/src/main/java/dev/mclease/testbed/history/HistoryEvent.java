package dev.mclease.testbed.history;

/**
 * One entry of a leadership {@link History}.
 *
 * @param tNanos monotonic time of the event ({@link System#nanoTime()} scale)
 * @param type what happened
 * @param identity candidate identity (START, CONFIRMED, STOP), else null
 * @param cluster cluster of that candidate, else null
 * @param token fencing token of the acquisition (START, CONFIRMED); 0 when unknown or not applicable
 * @param validUntilNanos CONFIRMED: the monotonic instant until which that confirmation makes the candidate leader
 *     ({@code t0(T) + renewDeadline}); else 0
 * @param detail fault description or note text, else null
 * @param incarnation which process (lock instance) of that identity, counted from 1 by whoever records (START,
 *     CONFIRMED, STOP); 0 when not known, which the checker treats as one process for the whole history
 */
public record HistoryEvent(long tNanos, Type type, String identity, String cluster, long token, long validUntilNanos,
    String detail, int incarnation) {

  /** An event without an incarnation (histories recorded before it existed, faults and notes). */
  public HistoryEvent(long tNanos, Type type, String identity, String cluster, long token, long validUntilNanos,
      String detail) {
    this(tNanos, type, identity, cluster, token, validUntilNanos, detail, 0);
  }

  /** Event types. */
  public enum Type {
    /** onStartLeading. */
    START,
    /** The leader's lock saw a confirmation valid until {@code validUntilNanos}. */
    CONFIRMED,
    /** onStopLeading. */
    STOP,
    /** A fault began ({@code detail} says which). */
    FAULT_START,
    /** That fault ended. */
    FAULT_END,
    /** Free text for the reader of the timeline. */
    NOTE
  }
}
