package dev.mclease.controller;

/**
 * Where one lease stands in this controller; {@link LeaseWorker} keeps it, and {@link StatusRenderer} renders the
 * status from it.
 *
 * <pre>
 *            candidate alive                Granted(token)
 *   IDLE ─────────────────────▶ CONTENDING ────────────────▶ HOLDING ── echo each new T (EchoRule)
 *    ▲  ◀── not alive / "" ───      │  ▲                          │
 *    │                  HeldBy /    ▼  │ watch: RELEASED          │ holder "", heartbeat older than L, holder
 *    │                  ACQUIRED  FOLLOWING                       ▼ changed or restarted, spec invalid, deleted, stop
 *    └───────────────────── release(token) ◀───────────────── RELEASING (waits for ReleaseRule)
 *          lost without release (heldUntil passed, key deleted or expired): HOLDING/RELEASING → CONTENDING or IDLE
 * </pre>
 */
enum LeaseState {
  /** Nothing held, no local candidate to contend for, nobody known to hold the key. */
  IDLE,
  /** Contending for the local candidate; nobody known to hold the key. */
  CONTENDING,
  /** Holding the key for exactly the lock instance that heartbeats now: its heartbeats may be echoed. */
  HOLDING,
  /** Holding the key for a candidate it no longer serves: no echo, released once {@link ReleaseRule} allows. */
  RELEASING,
  /** Another acquisition holds the key (another cluster, or an earlier session of this one). */
  FOLLOWING;

  /**
   * @param holding this controller holds the key
   * @param servesCandidate the acquisition is for the candidate process that heartbeats now (same identity and lock
   *     instance, alive, valid spec, not deleted, not stopping)
   * @param heldElsewhere another acquisition is known to hold the key
   * @param hasCandidate there is a local candidate to contend for
   */
  static LeaseState of(boolean holding, boolean servesCandidate, boolean heldElsewhere, boolean hasCandidate) {
    if (holding) {
      return servesCandidate ? HOLDING : RELEASING;
    }
    if (heldElsewhere) {
      return FOLLOWING;
    }
    return hasCandidate ? CONTENDING : IDLE;
  }
}
