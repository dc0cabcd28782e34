package dev.mclease.controller.backend.zookeeper;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The acquisitions this backend answered {@code Granted} for and did not release (key → token), valid only for the
 * one session whose ephemeral nodes they are ({@link #session()}). Only these may be released; a node found owned by
 * our own session with one of these tokens is one we know about, not a late write
 * ({@link dev.mclease.controller.backend.session.OwnAcquisitionRule}). When that session's nodes are gone (another
 * session was confirmed, the connection was lost) or its heldUntil lapsed here ({@link LapsedNodes}), they are
 * forgotten: a lapse is final (docs/safety.md, invariant 6).
 */
final class GrantedNodes {

  private final Map<String, Long> byKey = new ConcurrentHashMap<>();
  private volatile long session;

  /** The session these acquisitions belong to (0 before the first one was confirmed). */
  long session() {
    return session;
  }

  /**
   * {@code session} was confirmed: from now on the acquisitions are its own. Those of an earlier session are
   * dropped, since that session's ephemeral nodes are gone with it.
   */
  void sessionConfirmed(long session) {
    if (this.session != session) {
      byKey.clear(); // the previous session's ephemeral nodes are gone
      this.session = session;
    }
  }

  /** The token granted for {@code key}, or null. */
  Long token(String key) {
    return byKey.get(key);
  }

  void put(String key, long token) {
    byKey.put(key, token);
  }

  /** The acquisition {@code token} of {@code key} was released, or its node is gone. */
  void remove(String key, long token) {
    byKey.remove(key, token);
  }

  /** A copy of every acquisition (key → token). */
  Map<String, Long> snapshot() {
    return Map.copyOf(byKey);
  }

  void clear() {
    byKey.clear();
  }
}
