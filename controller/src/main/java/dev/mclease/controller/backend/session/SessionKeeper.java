package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.HeldUntil;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The life of one backend session, the same for every store whose sessions the controller opens and ends itself
 * (etcd, PostgreSQL, DynamoDB, the hub Lease): ensure a live session, renew it every K, lapse it when no renewal was
 * answered in time, mark it lost, end a lost session that the store may still count alive before opening the next,
 * and release everything at shutdown. The store behind it ({@link SessionStore}) only talks to the store.
 *
 * <p>Safety (docs/safety.md, invariant 6): {@link #heldUntilNanos()} only ever comes from {@link HeldUntil}: the
 * send instant of an answered open or renewal plus the TTL the store granted. Once it has passed, the session is
 * lost for good: a later answer does not revive it ({@link HeldUntil#renewed}), its {@link Grants} are forgotten,
 * and it is ended in the store before a new session is opened, so its keys do not stay held for candidates that
 * stopped leading.
 *
 * <p>Thread-safe: {@link #tick()} runs on the backend's timer, {@link #acquireSession()} on lease workers.
 *
 * @param <S> the store's session handle
 */
public final class SessionKeeper<S> {

  private final SessionStore<S> store;
  private final BackendListeners listeners;
  private final Logger log;
  private final LongSupplier nanoTime;
  private final HeldUntil heldUntil;
  private final Grants grants = new Grants();
  private final Object lock = new Object();

  private volatile S session;
  /** A session given up here that the store may still count alive: ended before the next one is opened. */
  private volatile S stale;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  /** After {@link #releaseAll()}: no new session until the next acquisition. */
  private volatile boolean suspended;
  private volatile boolean closed;

  /**
   * @param nanoTime the backend's monotonic clock
   * @param log the backend's logger
   */
  public SessionKeeper(SessionStore<S> store, BackendListeners listeners, LongSupplier nanoTime, Logger log) {
    this.store = store;
    this.listeners = listeners;
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.log = log;
  }

  /** The acquisitions of the current session. */
  public Grants grants() {
    return grants;
  }

  /** The current session, or null; it may have lapsed a moment ago without anyone noticing yet. */
  public S current() {
    return session;
  }

  /** Implements {@code GlobalLockBackend#heldUntilNanos}. */
  public long heldUntilNanos() {
    return heldUntil.nanos();
  }

  /** Implements {@code GlobalLockBackend#health}. */
  public BackendHealth health() {
    return health;
  }

  /** A live session for an acquisition (resuming after {@link #releaseAll()}), opened now if there is none. */
  public S acquireSession() throws BackendException {
    suspended = false;
    return ensure();
  }

  private S ensure() throws BackendException {
    S s;
    synchronized (lock) {
      s = session;
      if (s != null && heldUntil.live()) {
        return s;
      }
      if (s != null) {
        markLost("no successful renewal before the session's TTL ran out", true);
      }
      S old = stale;
      stale = null;
      if (old != null) {
        // The store may still count it alive: free its keys now rather than after G. Best effort: nobody renews it
        // any more, so the store expires it (or contenders declare it dead) after G anyway, and no candidate leads
        // on it (its heldUntil has passed here).
        try {
          store.end(old);
        } catch (BackendException e) {
          log.info("{} session {}, lost here, could not be ended now ({}); its keys expire in the store after G",
              store.storeName(), old, e.getMessage());
        }
      }
      long send = nanoTime.getAsLong();
      SessionStore.Opened<S> opened = store.open();
      s = opened.session();
      session = s;
      heldUntil.started(send, opened.ttlNanos());
      health = BackendHealth.ok();
      log.info("{} session {} opened ({})", store.storeName(), s, opened.description());
    }
    listeners.fireSessionChange();
    return s;
  }

  /** One renewal: runs every K on the backend's timer; opens a session when there is none (unless suspended). */
  public void tick() {
    if (closed) {
      return;
    }
    S s = session;
    if (s == null) {
      if (!suspended) {
        try {
          ensure();
        } catch (BackendException e) {
          boolean changed = health.reachable() || !health.detail().equals(e.getMessage());
          health = BackendHealth.unreachable(e.getMessage());
          if (changed) {
            listeners.fireSessionChange();
          }
        }
      }
      return;
    }
    long send = nanoTime.getAsLong();
    boolean changed;
    try {
      changed = answered(s, send, store.renew(s));
    } catch (BackendException e) {
      changed = unanswered(s, e);
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  private boolean answered(S s, long send, Renewal renewal) {
    synchronized (lock) {
      if (!s.equals(session)) {
        return false;
      }
      if (renewal instanceof Renewal.Renewed r) {
        if (!heldUntil.renewed(send, r.ttlNanos())) {
          markLost("heldUntil ran out before the renewal was answered; its keys were already given up", true);
          return true;
        }
        if (!health.reachable()) {
          health = BackendHealth.ok();
          log.info("{} session {} renewed again", store.storeName(), s);
          return true;
        }
        return false;
      }
      if (renewal instanceof Renewal.Gone g) {
        markLost(g.why(), false);
        return true;
      }
      Renewal.Inconclusive i = (Renewal.Inconclusive) renewal;
      if (heldUntil.lapsed()) {
        markLost("heldUntil ran out before a renewal got through (" + i.why() + ")", true);
      }
      return true;
    }
  }

  private boolean unanswered(S s, BackendException e) {
    synchronized (lock) {
      if (!s.equals(session) || closed) {
        return false;
      }
      if (health.reachable() && !Thread.currentThread().isInterrupted()) {
        log.warn("{} session renewal failed: {}", store.storeName(), e.getMessage());
      }
      health = BackendHealth.unreachable("renew session: " + e.getMessage());
      if (heldUntil.lapsed()) {
        markLost("no successful renewal before the session's TTL ran out (" + e.getMessage() + ")", true);
      }
      return true;
    }
  }

  /** The store said {@code s} is gone (e.g. while acquiring): lost, nothing to end. */
  public void lost(S s, String why) {
    boolean changed = false;
    synchronized (lock) {
      if (s.equals(session)) {
        markLost(why, false);
        changed = true;
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Caller holds the lock. */
  private void markLost(String why, boolean mayStillExist) {
    log.warn("{} session {} lost: {}; every key it held must be considered released", store.storeName(), session,
        why);
    grants.clear();
    stale = mayStillExist ? session : null;
    session = null;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  /** Implements {@code GlobalLockBackend#releaseAll}: ends the session now; none is opened until the next acquire. */
  public void releaseAll() throws BackendException {
    S s;
    synchronized (lock) {
      s = session;
      suspended = true;
      session = null;
      heldUntil.clear();
      grants.clear();
    }
    if (s != null) {
      store.end(s);
      log.info("{} session {} ended: every key it held is released", store.storeName(), s);
    }
    listeners.fireSessionChange();
  }

  /** No renewals from now on. */
  public void close() {
    closed = true;
  }
}
