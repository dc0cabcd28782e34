package dev.mclease.controller.backend;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Who listens to one {@link GlobalLockBackend}: the watchers of each key and the session listeners, and, for a
 * backend that learns about a key by <em>reading</em> it (a poll, a notification, a znode watch), what the key's
 * watchers were last told, so that every read turns into at most one {@link LockEvent}.
 *
 * <p>A listener that throws is logged and does not stop the others: one broken lease worker must not blind the rest.
 * Every method is thread-safe; {@link #observed} and {@link #unreadable} are serialized, so two reads of one key that
 * race are turned into events one after the other.
 */
public final class BackendListeners {

  /** What the watchers of a key were last told: a token, {@link #FREE}, or {@link #UNKNOWN} (never read, or failed). */
  private static final long FREE = 0;
  private static final long UNKNOWN = -1;

  private final Logger log;
  private final Map<String, List<Consumer<LockEvent>>> watchers = new ConcurrentHashMap<>();
  private final Map<String, Long> told = new ConcurrentHashMap<>();
  private final List<Runnable> sessionListeners = new CopyOnWriteArrayList<>();

  /** @param log the backend's logger, so that a failing listener is reported under the backend's name */
  public BackendListeners(Logger log) {
    this.log = log;
  }

  /** Implements {@link GlobalLockBackend#watch}: adds {@code listener} for {@code key}; closing removes it. */
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    watchers.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(listener);
    return () -> watchers.computeIfPresent(key, (k, list) -> {
      list.remove(listener);
      if (list.isEmpty()) {
        told.remove(key);
        return null;
      }
      return list;
    });
  }

  /** Implements {@link GlobalLockBackend#onSessionChange}. */
  public AutoCloseable onSessionChange(Runnable listener) {
    sessionListeners.add(listener);
    return () -> sessionListeners.remove(listener);
  }

  /** Tells every session listener that the session changed state. */
  public void fireSessionChange() {
    for (Runnable l : sessionListeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        log.error("session listener failed", e);
      }
    }
  }

  /** The keys that have at least one watcher now (a snapshot). */
  public Set<String> watchedKeys() {
    return Set.copyOf(watchers.keySet());
  }

  /** Whether {@code key} has a watcher. */
  public boolean isWatched(String key) {
    return watchers.containsKey(key);
  }

  /** Hands {@code event} to the watchers of its key, on the calling thread. */
  public void dispatch(LockEvent event) {
    List<Consumer<LockEvent>> list = watchers.get(event.key());
    if (list == null) {
      return;
    }
    for (Consumer<LockEvent> l : list) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        log.error("watch listener for {} failed", event.key(), e);
      }
    }
  }

  /**
   * A read found {@code key} held as acquisition {@code token} by {@code holder} ({@code null} when its value cannot
   * be parsed), or free when {@code token} is 0. Tells the watchers {@code ACQUIRED} when the acquisition is new to
   * them, {@code RELEASED} (with the old token) when a key they knew held is free, nothing otherwise.
   */
  public void observed(String key, long token, LockValue holder) {
    LockEvent event = null;
    synchronized (this) {
      if (!watchers.containsKey(key)) {
        return;
      }
      long before = told.getOrDefault(key, UNKNOWN);
      told.put(key, token);
      if (before != token) {
        if (token != FREE) {
          event = LockEvent.acquired(key, token, holder);
        } else if (before > FREE) {
          event = LockEvent.released(key, before);
        }
      }
    }
    if (event != null) {
      dispatch(event);
    }
  }

  /**
   * A read of {@code key} failed: its watchers are told {@code RESYNC} once (not again until a read succeeds), and
   * whatever the next successful read finds is news to them.
   */
  public void unreadable(String key) {
    boolean first;
    synchronized (this) {
      if (!watchers.containsKey(key)) {
        return;
      }
      Long before = told.put(key, UNKNOWN);
      first = before != null && before != UNKNOWN;
    }
    if (first) {
      dispatch(LockEvent.resync(key));
    }
  }
}
