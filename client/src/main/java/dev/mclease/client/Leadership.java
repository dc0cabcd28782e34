package dev.mclease.client;

import java.util.OptionalLong;

/**
 * One atomic answer to "do I lead, with which token, until when?", taken under the lock's monitor so that the
 * three parts cannot disagree (two separate calls to {@code isLeader()} and {@code fencingToken()} can, when a
 * confirmation lapses or arrives in between).
 *
 * <p>Fence a side effect with it: take a snapshot, do the write with {@link #fencingToken()} only if
 * {@link #leader()}, and let the resource refuse tokens lower than the highest it has seen. Re-check
 * {@link #isValidAt(long)} with the same monotonic source if the write is about to start long after the snapshot.
 *
 * @param leader whether this lock instance is the confirmed global leader at the snapshot's instant
 * @param fencingToken {@code status.fencingToken} of that leadership; empty when not leader or none was published
 * @param validUntilNanos the monotonic instant (scale of the lock's nanoTime source, {@code System.nanoTime} by
 *     default) at which the leadership ends unless a newer heartbeat is confirmed; {@link Long#MIN_VALUE} when not
 *     leader
 */
public record Leadership(boolean leader, OptionalLong fencingToken, long validUntilNanos) {

  /** The answer for a lock instance that does not lead. */
  public static final Leadership NONE = new Leadership(false, OptionalLong.empty(), Long.MIN_VALUE);

  /** Whether this leadership is still in force at monotonic instant {@code nowNanos} (same source as the lock's). */
  public boolean isValidAt(long nowNanos) {
    return leader && nowNanos - validUntilNanos < 0;
  }
}
