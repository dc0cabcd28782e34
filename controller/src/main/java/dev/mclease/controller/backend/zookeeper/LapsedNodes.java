package dev.mclease.controller.backend.zookeeper;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ZooKeeper's remedy for a lapse, where the other stores end the session and open a new one
 * ({@link dev.mclease.controller.backend.session.SessionKeeper}): the session belongs to the connection and outlives
 * a lapse seen here, so the acquisitions it held when its heldUntil passed are remembered here and their nodes are
 * dropped one by one once the session answers again. Until then none of them is ever adopted
 * ({@link dev.mclease.controller.backend.session.OwnAcquisitionRule}): their candidates were told to stop
 * (docs/safety.md, invariant 6).
 */
final class LapsedNodes {

  private final Map<String, Long> byKey = new ConcurrentHashMap<>();
  private volatile long session;

  /** The session {@code session} lapsed here while it held {@code granted} (key → token). */
  synchronized void record(long session, Map<String, Long> granted) {
    if (granted.isEmpty()) {
      return;
    }
    if (this.session != session) {
      byKey.clear(); // nodes of an older session are gone with it
    }
    this.session = session;
    byKey.putAll(granted);
  }

  /** The lapsed acquisition of {@code key} under {@code session}, or null. */
  Long token(String key, long session) {
    return this.session == session ? byKey.get(key) : null;
  }

  /** The lapsed acquisitions of {@code session} still to drop (key → token); empty for any other session. */
  Map<String, Long> pending(long session) {
    return this.session == session ? Map.copyOf(byKey) : Map.of();
  }

  /** The node of acquisition {@code token} of {@code key} is gone (dropped here or by anyone). */
  void dropped(String key, long token) {
    byKey.remove(key, token);
  }
}
