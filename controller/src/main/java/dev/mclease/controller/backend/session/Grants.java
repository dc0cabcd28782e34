package dev.mclease.controller.backend.session;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The acquisitions the current session has answered {@code Granted} for and not released (key → token). Only these
 * may be released, and a key found held by our own session with exactly this token is one we know about, not a late
 * write. Cleared whenever the session is lost: a lapse is final (docs/safety.md, invariant 6).
 */
public final class Grants {

  private final Map<String, Long> byKey = new ConcurrentHashMap<>();

  void put(String key, long token) {
    byKey.put(key, token);
  }

  /** The token granted for {@code key}, or null. */
  public Long known(String key) {
    return byKey.get(key);
  }

  /** Whether {@code token} is the acquisition of {@code key} this session was granted. */
  public boolean holds(String key, long token) {
    Long mine = byKey.get(key);
    return mine != null && mine == token;
  }

  void forget(String key, long token) {
    byKey.remove(key, token);
  }

  void clear() {
    byKey.clear();
  }
}
