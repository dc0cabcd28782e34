package dev.mclease.client;

import java.time.Duration;

/**
 * When the local holder writes its next heartbeat, with no I/O and no state: the rule that keeps API writes near a
 * single-cluster {@code LeaseLock}'s (docs/client.md, "Heartbeat cadence"). fabric8's elector asks the lock every
 * tick — every {@code R} while leading, up to {@code 2.2 R} while waiting for a confirmation — and the lock writes
 * only when a heartbeat is needed.
 *
 * <ul>
 *   <li><b>Leader:</b> a heartbeat is needed only to be confirmed again before the newest confirmation runs out, so
 *       it is written once less than {@code max(D − 2R, 2R)} of it is left: once the confirmation is two ticks old.
 *       The next tick comes within {@code R}, so at least {@code D − 3R} (and at least {@code R}) is left when it goes
 *       out, for the write, the controller's echo and the watch, and the echo path may stall that long without
 *       costing the leadership. Its controller echoes every new heartbeat, so this also sets how often the
 *       controller writes: every second tick rather than every tick. If the echo does not come, the remainder only
 *       shrinks and every tick writes, as before this rule. ({@code max(D/2, 2R)} wrote half as often at the fast
 *       timings, but left only 0.55 s of a 1.5 s deadline to ride out a stall: an etcd leader election ended
 *       leaderships in the scenarios.)</li>
 *     <li><b>Not leader</b> (a standby cluster's local holder, or one waiting for its controller): a heartbeat keeps it
 *       alive for its controller and its local peers (within {@code L}) and must be young enough that the echo made at
 *       a handover still confirms it for long enough to be confirmed again: its age must stay under {@code D − 2R}
 *       even at the next tick, which can be {@code 2.2 R} away, so that the new leader has at least {@code 2R} for
 *       its first refresh, the write and the echo. So it is written once {@code D − 4.2 R} has passed since the last
 *       one, and on every tick when that is shorter than a tick. ({@code D − 3.2 R} left only {@code R}: at the
 *       fast timings a new leader confirmed for 142 ms lost its leadership before its first echo came.) Once confirmed, fabric8 renews at once and the leader's rule takes
 *       over, so a handover never waits for a heartbeat.</li>
 *   <li>Never more than one write per {@code R/2} (as before), and always at once for a first write or a takeover of
 *       the local spec.</li>
 * </ul>
 * Safety does not depend on any of this: a confirmation lasts {@code t0(T) + min(D, W)} whenever {@code T} was written
 * ({@link HeartbeatLedger}); writing less only risks a confirmation running out, which ends leadership.
 */
final class HeartbeatCadence {

  private final long minIntervalNanos;
  private final long refreshLeftNanos;
  private final long standbyIntervalNanos;
  private final long unservedIntervalNanos;

  HeartbeatCadence(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    long l = leaseDuration.toNanos();
    long d = renewDeadline.toNanos();
    long r = retryPeriod.toNanos();
    this.minIntervalNanos = r / 2;
    this.refreshLeftNanos = Math.max(d - 2 * r, 2 * r);
    this.standbyIntervalNanos = Math.max(minIntervalNanos, d - r * 42 / 10);
    this.unservedIntervalNanos = Math.max(standbyIntervalNanos, (l - r * 22 / 10) / 2);
  }

  /**
   * Whether to write a heartbeat now.
   *
   * @param first no heartbeat written yet by this instance, or this write takes the local spec over
   * @param lastWriteNanos monotonic instant of the last heartbeat write
   * @param leadership this instance's leadership now ({@link Leadership#NONE} when not leader)
   * @param served the object carries a status: its cluster's controller has served it
   */
  boolean due(boolean first, long lastWriteNanos, Leadership leadership, boolean served, long now) {
    if (first) {
      return true;
    }
    long since = now - lastWriteNanos;
    if (since < minIntervalNanos) {
      return false;
    }
    if (leadership.isValidAt(now)) {
      return leadership.validUntilNanos() - now <= refreshLeftNanos;
    }
    return since >= (served ? standbyIntervalNanos : unservedIntervalNanos);
  }

  /** {@code max(D − 2R, 2R)}: how much of a leader's confirmation is left when it writes its next heartbeat. */
  Duration refreshLeft() {
    return Duration.ofNanos(refreshLeftNanos);
  }

  /** {@code max(R/2, D − 4.2R)}: a non-leader's heartbeat interval. */
  Duration standbyInterval() {
    return Duration.ofNanos(standbyIntervalNanos);
  }

  /** {@code max(standbyInterval, (L − 2.2R)/2)}: a non-leader's interval while no controller has served the object. */
  Duration unservedInterval() {
    return Duration.ofNanos(unservedIntervalNanos);
  }
}
