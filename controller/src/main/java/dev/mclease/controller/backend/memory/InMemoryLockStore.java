package dev.mclease.controller.backend.memory;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * An in-process global lock store with etcd's semantics (sessions with a TTL, create-revision tokens, watch),
 * for tests and demos that need several controllers but no etcd. Each {@link #session} is one controller's
 * {@link GlobalLockBackend}; {@link Session#setReachable(boolean)} simulates a partition between that controller
 * and the store (renewals and requests fail; the session expires after its TTL like an etcd lease would).
 */
public final class InMemoryLockStore implements AutoCloseable {

  private final LongSupplier nanoTime;
  private final Map<String, Entry> keys = new HashMap<>();
  private final List<Session> sessions = new CopyOnWriteArrayList<>();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InMemoryLockStore.class);
  private final BackendListeners watchers = new BackendListeners(LOG);
  private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(daemon("mclease-memstore-watch"));
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, daemon("mclease-memstore"));
  private long revision;

  private record Entry(String raw, long token, Session owner) {
  }

  public InMemoryLockStore(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    timers.scheduleWithFixedDelay(this::expire, 20, 20, TimeUnit.MILLISECONDS);
  }

  /** A new session whose keys live for {@code ttl} after each renewal; renewed every {@code renewInterval}. */
  public Session session(Duration ttl, Duration renewInterval) {
    Session s = new Session(ttl.toNanos());
    sessions.add(s);
    s.renewal = timers.scheduleWithFixedDelay(s::renew, 0, renewInterval.toNanos(), TimeUnit.NANOSECONDS);
    return s;
  }

  /** Writes a raw value under {@code key} that belongs to no session (e.g. a malformed one); returns its token. */
  public synchronized long putRaw(String key, String raw) {
    long token = ++revision;
    keys.put(key, new Entry(raw, token, null));
    publish(key, LockEvent.acquired(key, token, tryParse(raw)));
    return token;
  }

  /** Deletes {@code key} whoever holds it (an operator's {@code etcdctl del}). */
  public synchronized void deleteRaw(String key) {
    Entry e = keys.remove(key);
    if (e != null) {
      publish(key, LockEvent.released(key, e.token));
    }
  }

  /** Who holds {@code key}, seen from outside any session. */
  public synchronized Optional<String> rawValue(String key) {
    Entry e = keys.get(key);
    return e == null ? Optional.empty() : Optional.of(e.raw);
  }

  @Override
  public void close() {
    timers.shutdownNow();
    dispatcher.shutdownNow();
  }

  private synchronized void expire() {
    long now = nanoTime.getAsLong();
    for (Session s : sessions) {
      if (s.alive && now - s.expiresAt >= 0) {
        dropSession(s);
      }
    }
  }

  /** Caller holds the store's monitor. */
  private void dropSession(Session s) {
    s.alive = false;
    s.heldUntil = Long.MIN_VALUE;
    List<String> gone = new ArrayList<>();
    keys.forEach((k, e) -> {
      if (e.owner == s) {
        gone.add(k);
      }
    });
    for (String k : gone) {
      Entry e = keys.remove(k);
      publish(k, LockEvent.released(k, e.token));
    }
    s.fire();
  }

  /** Caller holds the store's monitor, so events leave in the order of the changes. */
  private void publish(String key, LockEvent event) {
    if (watchers.isWatched(key)) {
      dispatcher.execute(() -> watchers.dispatch(event));
    }
  }

  private static LockValue tryParse(String raw) {
    try {
      return LockValue.fromJson(raw);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** One controller's session. */
  public final class Session implements GlobalLockBackend {
    private final long ttlNanos;
    private final BackendListeners listeners = new BackendListeners(LOG);
    private volatile boolean reachable = true;
    private volatile boolean alive;
    private volatile long heldUntil = Long.MIN_VALUE;
    private volatile long expiresAt;
    private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
    private volatile java.util.concurrent.ScheduledFuture<?> renewal;

    private Session(long ttlNanos) {
      this.ttlNanos = ttlNanos;
    }

    /** false = every request and renewal fails as if the store were unreachable from this session. */
    public void setReachable(boolean reachable) {
      this.reachable = reachable;
      if (!reachable) {
        health = BackendHealth.unreachable("simulated partition from the store");
        fire();
      }
    }

    @Override
    public AcquireResult acquire(String key, LockValue value) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        ensureAlive();
        Entry e = keys.get(key);
        if (e != null) {
          LockValue holder = tryParse(e.raw);
          if (holder == null) {
            throw new MalformedValueException(key, e.raw, e.token, null);
          }
          return new AcquireResult.HeldBy(holder, e.token);
        }
        long token = ++revision;
        keys.put(key, new Entry(value.toJson(), token, this));
        publish(key, LockEvent.acquired(key, token, value));
        return new AcquireResult.Granted(token);
      }
    }

    @Override
    public void release(String key, long token) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        Entry e = keys.get(key);
        if (e != null && e.token == token) {
          keys.remove(key);
          publish(key, LockEvent.released(key, token));
        }
      }
    }

    @Override
    public Optional<Held> current(String key) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        Entry e = keys.get(key);
        if (e == null) {
          return Optional.empty();
        }
        LockValue v = tryParse(e.raw);
        if (v == null) {
          throw new MalformedValueException(key, e.raw, e.token, null);
        }
        return Optional.of(new Held(v, e.token));
      }
    }

    @Override
    public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
      return watchers.watch(key, listener);
    }

    @Override
    public long heldUntilNanos() {
      return heldUntil;
    }

    @Override
    public BackendHealth health() {
      return health;
    }

    @Override
    public AutoCloseable onSessionChange(Runnable listener) {
      return listeners.onSessionChange(listener);
    }

    @Override
    public void releaseAll() throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        if (alive) {
          dropSession(this);
        }
      }
    }

    @Override
    public void close() {
      if (renewal != null) {
        renewal.cancel(false);
      }
    }

    private void check() throws BackendException {
      if (!reachable) {
        throw new BackendException("in-memory lock store unreachable (simulated partition)");
      }
    }

    /** Caller holds the store's monitor. */
    private void ensureAlive() {
      if (!alive) {
        long send = nanoTime.getAsLong();
        alive = true;
        expiresAt = send + ttlNanos;
        heldUntil = send + ttlNanos;
        health = BackendHealth.ok();
        fire();
      }
    }

    private void renew() {
      if (!reachable) {
        return;
      }
      boolean changed = false;
      synchronized (InMemoryLockStore.this) {
        if (!alive) {
          ensureAlive(); // like the etcd backend: a new session as soon as the store answers
          return;
        }
        if (alive) {
          long send = nanoTime.getAsLong();
          expiresAt = send + ttlNanos;
          heldUntil = send + ttlNanos;
          changed = !health.reachable();
          health = BackendHealth.ok();
        }
      }
      if (changed) {
        fire();
      }
    }

    private void fire() {
      listeners.fireSessionChange();
    }
  }
}
