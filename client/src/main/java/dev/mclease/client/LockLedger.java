package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The lock's side of {@link HeartbeatWriter.Ledger}: what the writer asks the lock, each decision under the lock's
 * monitor. It exists so that the I/O ({@link HeartbeatWriter}) decides nothing itself: whether a heartbeat may be
 * written (the local election, never by wall-clock expiry) and is needed (the cadence), which T it carries, and on
 * which state a tick may decide without a read are answered here from the lock's {@link LeaseJudgement}.
 */
final class LockLedger implements HeartbeatWriter.Ledger {

  /** The lock: its monitor guards the state read and changed here. */
  private final Object monitor;
  private final LeaseJudgement state;
  private final HeartbeatCadence cadence;
  private final Clock clock;
  private final LongSupplier nanoTime;

  // --- state, guarded by the lock's monitor ---
  private boolean wrote;
  private long lastWriteNanos;

  LockLedger(Object monitor, LockSettings s, LeaseJudgement state) {
    this.monitor = monitor;
    this.state = state;
    this.cadence = new HeartbeatCadence(s.leaseDuration(), s.renewDeadline(), s.retryPeriod());
    this.clock = s.clock();
    this.nanoTime = s.nanoTime();
  }

  @Override
  public void observe(MultiClusterLease obj) {
    state.observe(obj);
  }

  @Override
  public HeartbeatWriter.Heartbeat nextHeartbeat(MultiClusterLeaseSpec current, boolean served, boolean create) {
    synchronized (monitor) {
      long now = nanoTime.getAsLong();
      if (state.judge.isClosed()) {
        return null;
      }
      // the local election decides who may write (never by wall-clock expiry); the cadence, whether it is needed
      String took = create ? "" : state.election.mayWrite(current, now);
      if (took == null
          || !cadence.due(create || !wrote || !took.isEmpty(), lastWriteNanos, state.judge.leadership(now), served,
          now)) {
        return null;
      }
      wrote = true;
      lastWriteNanos = now;
      return new HeartbeatWriter.Heartbeat(state.judge.heartbeat(clock.instant(), now), took);
    }
  }

  @Override
  public WatchView.Stored known() {
    WatchView w;
    synchronized (monitor) {
      w = state.watching();
    }
    WatchView.Stored s = w == null ? null : w.stored();
    if (s == null) {
      return null;
    }
    if (s.object() != null) {
      state.observe(s.object()); // ignored when older than what a write's answer showed us
    }
    synchronized (monitor) {
      // the newest of the watch's store and this process's own reads and writes: a create or write answered a
      // moment ago may not have reached the store yet (and if the object is gone, the write says 404)
      return new WatchView.Stored(state.observed.object());
    }
  }

  @Override
  public Instant forgetForRelease() {
    Instant t;
    synchronized (monitor) {
      state.judge.forget();
      state.term.ended();
      t = state.judge.nextT(clock.instant());
    }
    state.judgementMayHaveChanged();
    return t;
  }
}
