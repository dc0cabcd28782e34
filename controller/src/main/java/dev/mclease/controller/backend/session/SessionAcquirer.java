package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.LockValue;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * {@code GlobalLockBackend#acquire} and {@code #release} over a {@link LockStore} and a {@link SessionKeeper}.
 *
 * <p>One acquisition or release of a key at a time per session: a concurrent call of this same session must not
 * mistake an acquisition in flight for one whose answer was lost (and adopt or replace it), and a token-guarded
 * delete must not race a read that decided it.
 */
public final class SessionAcquirer<S> {

  /** Conditional writes lost to releases in a row before the caller is told to retry later. */
  private static final int ATTEMPTS = 4;

  private final LockStore<S> store;
  private final SessionKeeper<S> keeper;
  private final Logger log;
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();

  public SessionAcquirer(LockStore<S> store, SessionKeeper<S> keeper, Logger log) {
    this.store = store;
    this.keeper = keeper;
    this.log = log;
  }

  private Object keyLock(String key) {
    return keyLocks.computeIfAbsent(key, k -> new Object());
  }

  /** Implements {@code GlobalLockBackend#acquire}. */
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    synchronized (keyLock(key)) {
      S session = keeper.acquireSession();
      boolean sessionRenewed = false;
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        Attempt<S> a;
        try {
          a = store.tryAcquire(key, value, session);
        } catch (SessionGoneException e) {
          keeper.lost(session, e.getMessage());
          if (sessionRenewed) {
            throw new BackendException(store.storeName() + " lost the session twice in a row while acquiring " + key,
                e);
          }
          sessionRenewed = true;
          session = keeper.acquireSession();
          continue;
        }
        if (a instanceof Attempt.Won<S> w) {
          keeper.grants().put(key, w.token());
          return new AcquireResult.Granted(w.token());
        }
        if (a instanceof Attempt.Found<S> f) {
          Grants grants = keeper.grants();
          switch (OwnAcquisitionRule.judge(session.equals(f.session()), grants.known(key), null, f.held(), value)) {
            case HELD_BY:
              return new AcquireResult.HeldBy(f.held().value(), f.held().token());
            case ADOPT:
              log.info("{}: adopting acquisition {} of this session that {} applied after the request timed out",
                  key, f.held().token(), store.storeName());
              grants.put(key, f.held().token());
              return new AcquireResult.Granted(f.held().token());
            case REPLACE:
              log.info("{}: removing acquisition {} of this session for {} that {} applied after the request timed"
                  + " out", key, f.held().token(), f.held().value().holder(), store.storeName());
              store.delete(key, f.held().token(), session);
              break;
            default:
              throw new IllegalStateException();
          }
        }
        // Changed, or replaced: freed or re-taken between the read and the write, so read again
      }
      throw new BackendException(store.storeName() + ": could not acquire " + key + ": it kept changing; will retry");
    }
  }

  /** Implements {@code GlobalLockBackend#release}: only this session's own acquisition {@code token}. */
  public void release(String key, long token) throws BackendException {
    synchronized (keyLock(key)) {
      S session = keeper.current();
      if (session == null || !keeper.grants().holds(key, token)) {
        return;
      }
      store.delete(key, token, session);
      keeper.grants().forget(key, token);
    }
  }
}
