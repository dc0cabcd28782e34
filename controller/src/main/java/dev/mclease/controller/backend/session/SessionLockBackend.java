package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The {@link GlobalLockBackend} of every store whose sessions the controller opens and ends itself: a
 * {@link SessionKeeper} (renewed every K on one timer thread), a {@link SessionAcquirer}, and the store's
 * {@link LockStore}, which is the only part that differs between etcd, PostgreSQL, DynamoDB and the hub Lease.
 *
 * @param <S> the store's session handle
 */
public final class SessionLockBackend<S> implements GlobalLockBackend {

  private final LockStore<S> store;
  private final Logger log;
  private final BackendListeners listeners;
  private final SessionKeeper<S> keeper;
  private final SessionAcquirer<S> acquirer;
  private final ScheduledExecutorService timer;
  private final Object pollLock = new Object();
  private volatile boolean closed;

  private SessionLockBackend(LockStore<S> store, BackendListeners listeners, LongSupplier nanoTime, Logger log) {
    this.store = store;
    this.log = log;
    this.listeners = listeners;
    this.keeper = new SessionKeeper<>(store, listeners, nanoTime, log);
    this.acquirer = new SessionAcquirer<>(store, keeper, log);
    String name = "mclease-" + store.storeName().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts renewing every {@code renewInterval} (the first session is opened on the first tick, at once) and
   * watching.
   *
   * @param listeners the listeners the store dispatches its watch events to
   * @param nanoTime the monotonic clock of {@link #heldUntilNanos()}
   * @param log the store's logger
   */
  public static <S> SessionLockBackend<S> start(LockStore<S> store, BackendListeners listeners,
      Duration renewInterval, LongSupplier nanoTime, Logger log) {
    SessionLockBackend<S> b = new SessionLockBackend<>(store, listeners, nanoTime, log);
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b::tickSafely, 0, k, TimeUnit.NANOSECONDS);
    if (store.pollsEveryInterval()) {
      b.timer.scheduleWithFixedDelay(b::pollAll, k, k, TimeUnit.NANOSECONDS);
    }
    store.startWatching(listeners, b::poll);
    return b;
  }

  /** Validates the renewal interval against the TTL, the same rule for every store. */
  public static void checkIntervals(String store, Duration ttl, Duration renewInterval) {
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException(store + ": renew interval " + renewInterval + " must be > 0 and < TTL "
          + ttl);
    }
  }

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    return acquirer.acquire(key, value);
  }

  @Override
  public void release(String key, long token) throws BackendException {
    acquirer.release(key, token);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    // a malformed value throws; the lease worker reports it once per distinct value, not on every retry
    Optional<Stored> s = store.read(key, keeper.current());
    return s.isEmpty() ? Optional.empty() : Optional.of(s.get().held(key));
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return listeners.watch(key, listener);
  }

  @Override
  public boolean watchReportsEveryChange() {
    return store.watchReportsEveryChange();
  }

  @Override
  public long heldUntilNanos() {
    return keeper.heldUntilNanos();
  }

  @Override
  public BackendHealth health() {
    return keeper.health();
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return listeners.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    keeper.releaseAll();
  }

  @Override
  public void close() {
    closed = true;
    keeper.close();
    timer.shutdownNow();
    store.close();
  }

  /** The store's handle of the current session, if there is one (for tests and diagnostics). */
  public Optional<S> session() {
    return Optional.ofNullable(keeper.current());
  }

  private void tickSafely() {
    try {
      keeper.tick();
    } catch (RuntimeException e) {
      log.error("{} session renewal failed unexpectedly", store.storeName(), e);
    }
  }

  private void pollAll() {
    for (String key : listeners.watchedKeys()) {
      if (closed) {
        return;
      }
      poll(key);
    }
  }

  /** Reads a watched key and tells its watchers what changed since the last read. */
  private void poll(String key) {
    synchronized (pollLock) {
      if (closed || !listeners.isWatched(key)) {
        return;
      }
      try {
        Optional<Stored> s = store.read(key, keeper.current());
        listeners.observed(key, s.map(Stored::token).orElse(0L), s.map(Stored::valueOrNull).orElse(null));
      } catch (BackendException | RuntimeException e) {
        listeners.unreadable(key);
      }
    }
  }
}
