package dev.mclease.client;

import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The candidate's half of the confirmation rule (docs/protocol.md, "Candidate side" 2 and 3), with no I/O: which
 * heartbeats {@code T} this lock instance wrote, the monotonic instant {@code t0(T)} of each write request, and how
 * long an echo of one of them lets it lead.
 *
 * <p>The rule: an echo of {@code T} with window {@code W} (status.confirmationWindowMilliseconds; absent from
 * controllers before 0.2) makes this instance leader until {@code t0(T) + min(D, W)}. Why it is safe: {@code t0(T)}
 * precedes the controller's observation of {@code T}, which precedes its echo at instant {@code e}, and the
 * controller grants {@code W ≤ heldUntil − e − M}. So the leadership ends, on any clock that runs at about the
 * same rate, at least {@code M} before the global lock could pass to anyone else — whatever renewDeadline this
 * candidate was configured with. Only equality of {@code T} matters; its value is never compared with a clock.
 *
 * <p>Not thread-safe: the lock calls it under its own monitor.
 */
final class HeartbeatLedger {

  private final long renewDeadlineNanos;
  private final Map<Instant, Long> written = new HashMap<>();

  /** A ledger for a candidate whose renewDeadline {@code D} is {@code renewDeadlineNanos}. */
  HeartbeatLedger(long renewDeadlineNanos) {
    if (renewDeadlineNanos <= 0) {
      throw new IllegalArgumentException("renewDeadline must be > 0, got " + renewDeadlineNanos + " ns");
    }
    this.renewDeadlineNanos = renewDeadlineNanos;
  }

  /**
   * Remembers that heartbeat {@code t} is being written, its request sent at monotonic {@code t0}, and forgets
   * heartbeats older than {@code D}: no echo of them could make this instance leader any more.
   */
  void wrote(Instant t, long t0) {
    written.put(t, t0);
    for (Iterator<Long> it = written.values().iterator(); it.hasNext(); ) {
      if (t0 - it.next() >= renewDeadlineNanos) {
        it.remove();
      }
    }
  }

  /**
   * The monotonic instant until which an echo of {@code echoed} with window {@code windowMillis} (null when the
   * controller published none) makes this instance leader; empty when {@code echoed} is not a heartbeat this
   * instance wrote (a previous process's, another replica's, or one forgotten by a release).
   */
  OptionalLong leadsUntil(Instant echoed, Long windowMillis) {
    Long t0 = echoed == null ? null : written.get(echoed);
    if (t0 == null) {
      return OptionalLong.empty();
    }
    long window = renewDeadlineNanos;
    if (windowMillis != null) {
      // a window ≤ 0 never comes from a controller (it does not echo then); treat it as "no leadership"
      window = Math.min(window, Math.max(0, windowMillis) * 1_000_000L);
    }
    return OptionalLong.of(t0 + window);
  }

  /** Forgets every heartbeat: after a release no late echo may confirm this instance. */
  void clear() {
    written.clear();
  }

  boolean isEmpty() {
    return written.isEmpty();
  }
}
