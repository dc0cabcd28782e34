package dev.mclease.controller.backend.memory;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionGoneException;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process lock store with etcd's semantics (sessions with a TTL on the store's clock, create-revision tokens, a
 * push watch), for tests that need several controllers but no etcd. Each {@link #session} is one controller's
 * {@link GlobalLockBackend}: the production {@link SessionLockBackend} (session keeper, acquirer, heldUntil rules)
 * over a link to this store, so the store passes the conformance suite ({@code InMemoryConformanceTest}).
 * {@link Session#setReachable(boolean)} cuts that link (every request and renewal fails; the session expires here
 * after its TTL like an etcd lease would).
 */
public final class InMemoryLockStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(InMemoryLockStore.class);

  private final LongSupplier nanoTime;
  private final Map<String, Entry> keys = new HashMap<>();
  /** Live sessions: id → expiry instant on the store's clock. */
  private final Map<Long, Long> sessions = new HashMap<>();
  private final List<BackendListeners> watchers = new CopyOnWriteArrayList<>();
  private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(daemon("mclease-memstore-watch"));
  private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(
      daemon("mclease-memstore"));
  private long revision;
  private long lastSession;

  /** The key's value as written, its token (create revision), and the session it belongs to (0 = none). */
  private record Entry(String raw, long token, long session) {
  }

  /** @param nanoTime the store's own clock, on which sessions expire */
  public InMemoryLockStore(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    expiry.scheduleWithFixedDelay(this::expire, 20, 20, TimeUnit.MILLISECONDS);
  }

  /** A new controller session: TTL {@code ttl}, renewed every {@code renewInterval}, heldUntil on the store's clock. */
  public Session session(Duration ttl, Duration renewInterval) {
    return session(ttl, renewInterval, nanoTime);
  }

  /** The same, with heldUntil judged on the controller's own clock {@code clientNanoTime} (e.g. a paused process). */
  public Session session(Duration ttl, Duration renewInterval, LongSupplier clientNanoTime) {
    SessionLockBackend.checkIntervals("in-memory store", ttl, renewInterval);
    Link link = new Link(ttl.toNanos());
    return new Session(link, SessionLockBackend.start(link, new BackendListeners(LOG), renewInterval,
        clientNanoTime, LOG));
  }

  /** Writes a raw value under {@code key} that belongs to no session (e.g. a malformed one); returns its token. */
  public synchronized long putRaw(String key, String raw) {
    long token = ++revision;
    keys.put(key, new Entry(raw, token, 0));
    publish(LockEvent.acquired(key, token, LockValue.parseOrNull(raw)));
    return token;
  }

  /** Deletes {@code key} whoever holds it. */
  public synchronized void deleteRaw(String key) {
    Entry e = keys.remove(key);
    if (e != null) {
      publish(LockEvent.released(key, e.token));
    }
  }

  /** The raw value under {@code key}, if any. */
  public synchronized Optional<String> rawValue(String key) {
    return Optional.ofNullable(keys.get(key)).map(Entry::raw);
  }

  @Override
  public void close() {
    expiry.shutdownNow();
    dispatcher.shutdownNow();
  }

  private synchronized void expire() {
    long now = nanoTime.getAsLong();
    sessions.entrySet().removeIf(s -> now - s.getValue() >= 0 && drop(s.getKey()));
  }

  /** Deletes every key of {@code session}; always true. Caller holds the monitor. */
  private boolean drop(long session) {
    for (Iterator<Map.Entry<String, Entry>> it = keys.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> e = it.next();
      if (e.getValue().session == session) {
        it.remove();
        publish(LockEvent.released(e.getKey(), e.getValue().token));
      }
    }
    return true;
  }

  /** Caller holds the monitor, so events leave in the order of the changes. */
  private void publish(LockEvent event) {
    for (BackendListeners w : watchers) {
      if (w.isWatched(event.key())) {
        dispatcher.execute(() -> w.dispatch(event));
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** One controller's link to the store: the {@link LockStore} its backend talks to; can be cut. */
  private final class Link implements LockStore<Long> {
    private final long ttlNanos;
    private volatile boolean reachable = true;
    private volatile BackendListeners listeners;

    Link(long ttlNanos) {
      this.ttlNanos = ttlNanos;
    }

    private void check() throws BackendException {
      if (!reachable) {
        throw new BackendException("in-memory lock store unreachable (simulated partition)");
      }
    }

    @Override
    public String storeName() {
      return "in-memory";
    }

    @Override
    public Opened<Long> open() throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        long id = ++lastSession;
        sessions.put(id, nanoTime.getAsLong() + ttlNanos);
        return new Opened<>(id, ttlNanos, "TTL " + Duration.ofNanos(ttlNanos));
      }
    }

    @Override
    public Renewal renew(Long session) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        if (!sessions.containsKey(session)) {
          return Renewal.gone("the store expired the session");
        }
        sessions.put(session, nanoTime.getAsLong() + ttlNanos);
        return Renewal.renewed(ttlNanos);
      }
    }

    @Override
    public void end(Long session) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        if (sessions.remove(session) != null) {
          drop(session);
        }
      }
    }

    @Override
    public Attempt<Long> tryAcquire(String key, LockValue value, Long session) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        if (!sessions.containsKey(session)) {
          throw new SessionGoneException("in-memory store: session " + session + " not found");
        }
        Entry e = keys.get(key);
        if (e != null) {
          return new Attempt.Found<>(e.session, new Stored(e.token, e.raw).held(key));
        }
        long token = ++revision;
        keys.put(key, new Entry(value.toJson(), token, session));
        publish(LockEvent.acquired(key, token, value));
        return new Attempt.Won<>(token);
      }
    }

    @Override
    public void delete(String key, long token, Long session) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        Entry e = keys.get(key);
        if (e != null && e.token == token) {
          keys.remove(key);
          publish(LockEvent.released(key, token));
        }
      }
    }

    @Override
    public Optional<Stored> read(String key, Long own) throws BackendException {
      check();
      synchronized (InMemoryLockStore.this) {
        return Optional.ofNullable(keys.get(key)).map(e -> new Stored(e.token, e.raw));
      }
    }

    @Override
    public void startWatching(BackendListeners listeners, Consumer<String> poll) {
      this.listeners = listeners;
      watchers.add(listeners);
    }

    @Override
    public boolean pollsEveryInterval() {
      return false; // the store pushes every change
    }

    @Override
    public void close() {
      watchers.remove(listeners);
    }
  }

  /** One controller's backend; {@link #setReachable} cuts and heals its link to the store. */
  public static final class Session implements GlobalLockBackend {
    private final Link link;
    private final SessionLockBackend<Long> backend;

    private Session(Link link, SessionLockBackend<Long> backend) {
      this.link = link;
      this.backend = backend;
    }

    /** false = every request and renewal fails as if the store were unreachable from this controller. */
    public void setReachable(boolean reachable) {
      link.reachable = reachable;
    }

    @Override
    public AcquireResult acquire(String key, LockValue value) throws BackendException {
      return backend.acquire(key, value);
    }

    @Override
    public void release(String key, long token) throws BackendException {
      backend.release(key, token);
    }

    @Override
    public Optional<Held> current(String key) throws BackendException {
      return backend.current(key);
    }

    @Override
    public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
      return backend.watch(key, listener);
    }

    @Override
    public long heldUntilNanos() {
      return backend.heldUntilNanos();
    }

    @Override
    public BackendHealth health() {
      return backend.health();
    }

    @Override
    public AutoCloseable onSessionChange(Runnable listener) {
      return backend.onSessionChange(listener);
    }

    @Override
    public void releaseAll() throws BackendException {
      backend.releaseAll();
    }

    @Override
    public void close() {
      backend.close();
    }
  }
}
