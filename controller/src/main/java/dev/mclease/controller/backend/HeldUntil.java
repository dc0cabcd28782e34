package dev.mclease.controller.backend;

import java.util.function.LongSupplier;

/**
 * The instant until which every key of one backend session is certainly still held
 * ({@link GlobalLockBackend#heldUntilNanos()}), on the backend's monotonic clock, and the rule that makes a lapse
 * final.
 *
 * <p>An answered request sent at {@code send} proves that the store kept the session until at least
 * {@code send + ttl}: the store restarts the session's timer when it <em>receives</em> the request, which is after
 * {@code send}. Once that instant has passed here, the lease workers treat every key of the session as lost and their
 * candidates stop leading. A renewal answered after that point (sent before a partition and delivered after it, held
 * by a stuck buffer, or answered while this process was paused) must not extend the session: its keys would stay
 * held for holders that stopped leading, and nobody could lead. {@link #renewed} refuses such an answer, and the
 * backend then ends the session (revokes it, deletes it or marks it dead) and opens a new one.
 *
 * <p>Thread-safe. Comparisons are overflow-safe ({@code a - b > 0}), as {@link System#nanoTime()} requires.
 */
public final class HeldUntil {

  private final LongSupplier nanoTime;
  private volatile long until = Long.MIN_VALUE;

  /** @param nanoTime the backend's monotonic clock */
  public HeldUntil(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** The instant, or {@link Long#MIN_VALUE} when there is no live session. */
  public long nanos() {
    return until;
  }

  /** A new session, created by a request sent at {@code send}: held until {@code send + ttlNanos}. */
  public synchronized void started(long send, long ttlNanos) {
    until = send + ttlNanos;
  }

  /**
   * A renewal sent at {@code send} was answered now: extends the instant to {@code send + ttlNanos} unless it has
   * already passed.
   *
   * @return false when the instant had passed before this answer arrived: the caller must give the session up
   */
  public synchronized boolean renewed(long send, long ttlNanos) {
    if (lapsed()) {
      return false;
    }
    long next = send + ttlNanos;
    if (next - until > 0) {
      until = next;
    }
    return true;
  }

  /** Whether the instant has passed, or there is no session. */
  public boolean lapsed() {
    long u = until;
    return u == Long.MIN_VALUE || nanoTime.getAsLong() - u >= 0;
  }

  /** Whether the session's keys are certainly still held now. */
  public boolean live() {
    return !lapsed();
  }

  /** No session any more. */
  public void clear() {
    until = Long.MIN_VALUE;
  }
}
