package dev.mclease.testbed.history;

/**
 * A span during which one identity was leader, as {@link HistoryChecker} derives it.
 *
 * @param identity the leader
 * @param cluster its cluster
 * @param token fencing token of its START
 * @param startNanos its START
 * @param endNanos {@code min(STOP, latest validUntil)}, or the end of the history for an open one
 * @param endedBy why it ended where it did
 * @param incarnation which process of that identity led (0 = not recorded)
 */
public record LeadershipInterval(String identity, String cluster, long token, long startNanos, long endNanos,
    End endedBy, int incarnation) {

  /** An interval whose incarnation was not recorded. */
  public LeadershipInterval(String identity, String cluster, long token, long startNanos, long endNanos,
      End endedBy) {
    this(identity, cluster, token, startNanos, endNanos, endedBy, 0);
  }

  /** What bounds the interval. */
  public enum End {
    /** onStopLeading came before the lock's deadline. */
    STOP,
    /** The lock's own deadline (validUntil) came first: a late onStopLeading, or none. */
    VALID_UNTIL,
    /** Still leading when the history ends. */
    END_OF_HISTORY
  }

  /** {@code endNanos - startNanos}, never negative. */
  public long lengthNanos() {
    return Math.max(0, endNanos - startNanos);
  }
}
