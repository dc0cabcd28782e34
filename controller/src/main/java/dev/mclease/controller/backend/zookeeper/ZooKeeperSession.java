package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.HeldUntil;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;

/**
 * The liveness of the ZooKeeper backend's session (timeout G, negotiated by the server; Curator keeps the connection):
 * confirmed by an answered request, renewed every K by an {@code exists("/")}, lapsed here when no request was
 * answered in time, and given up when Curator reports the connection lost.
 *
 * <p>Safety (docs/safety.md, invariant 6): any request restarts the session's timeout on the server when it is
 * received, so {@link #heldUntilNanos()} = monotonic send instant of the last answered request + the negotiated
 * timeout ({@link HeldUntil}). Once that has passed here the lapse is final: the session's {@link GrantedNodes} are
 * recorded as {@link LapsedNodes} and forgotten, and an answer that arrives later does not extend it
 * ({@link #confirm}). Unlike the stores of {@link dev.mclease.controller.backend.session.SessionKeeper}, the session
 * cannot be ended here and another one opened (it is the connection's), so its lapsed nodes are deleted instead as
 * soon as it answers again.
 *
 * <p>Thread-safe: {@link #renew()} runs on the backend's timer, {@link #ensure} on lease workers, answers and
 * {@link #onConnectionState} on Curator's and ZooKeeper's threads.
 */
final class ZooKeeperSession {

  private final CuratorFramework curator;
  private final long requestTimeoutMillis;
  private final LongSupplier nanoTime;
  private final BackendListeners listeners;
  private final GrantedNodes granted;
  /** Acquisitions of a session whose heldUntil lapsed here: deleted as soon as that session answers again. */
  private final LapsedNodes lapsed;
  /** Deletes the {@link #lapsed} nodes of a session that answered again (the backend's, off this thread). */
  private final BiConsumer<ZooKeeper, Long> dropLapsed;
  private final Logger log;
  private final Object sessionLock = new Object();
  private final HeldUntil heldUntil;

  private volatile long heldSession;
  private volatile BackendHealth health = BackendHealth.unreachable("not connected yet");
  private volatile boolean closed;

  /**
   * @param dropLapsed called with the handle and id of a session that answered while it still has lapsed nodes
   * @param log the backend's logger
   */
  ZooKeeperSession(CuratorFramework curator, long requestTimeoutMillis, LongSupplier nanoTime,
      BackendListeners listeners, GrantedNodes granted, LapsedNodes lapsed, BiConsumer<ZooKeeper, Long> dropLapsed,
      Logger log) {
    this.curator = curator;
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.nanoTime = nanoTime;
    this.listeners = listeners;
    this.granted = granted;
    this.lapsed = lapsed;
    this.dropLapsed = dropLapsed;
    this.log = log;
    this.heldUntil = new HeldUntil(nanoTime);
  }

  /** Implements {@code GlobalLockBackend#heldUntilNanos}. */
  long heldUntilNanos() {
    return heldUntil.nanos();
  }

  /** Implements {@code GlobalLockBackend#health}. */
  BackendHealth health() {
    return health;
  }

  /** No more renewals: the backend is closing. */
  void close() {
    closed = true;
  }

  /** Connected, with this session confirmed by an answered request (sent now when the last one is too old). */
  ZooKeeper ensure(String what) throws BackendException {
    if (!curator.getZookeeperClient().isConnected()) {
      try {
        curator.blockUntilConnected((int) requestTimeoutMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException("interrupted while connecting to ZooKeeper", e);
      }
    }
    ZooKeeper zk = zk(what);
    long session = zk.getSessionId();
    if (heldSession != session || heldUntil.lapsed()) {
      long send = nanoTime.getAsLong();
      try {
        zk.exists("/", false);
      } catch (KeeperException | InterruptedException e) {
        throw failed(what + " (confirming the session)", e);
      }
      confirm(zk, session, send);
    }
    return zk;
  }

  /** An answered request of {@code session}, sent at {@code send}, keeps its nodes until send + timeout. */
  private void confirm(ZooKeeper zk, long session, long send) {
    long timeout = TimeUnit.MILLISECONDS.toNanos(zk.getSessionTimeout());
    boolean changed = false;
    synchronized (sessionLock) {
      if (zk.getSessionId() != session) {
        return;
      }
      if (heldSession == session && heldUntil.lapsed()) {
        // Answered only after heldUntil had passed here (a paused process, a stalled link): the workers may already
        // treat its keys as lost, so a lapse is final (see HeldUntil) even when the timer has not noticed it yet.
        // Extending heldUntil would revive keys whose candidates stopped leading; they are dropped instead.
        lapseLocked("the answer came only after heldUntil had passed");
        changed = true;
      }
      if (heldSession != session) {
        granted.sessionConfirmed(session);
        heldSession = session;
        heldUntil.started(send, timeout);
        changed = true;
        log.info("ZooKeeper session 0x{} confirmed, timeout {} ms", Long.toHexString(session), zk.getSessionTimeout());
      } else {
        heldUntil.renewed(send, timeout); // not lapsed: checked above, under the same lock
      }
      if (!health.reachable()) {
        health = BackendHealth.ok();
        changed = true;
      }
    }
    if (!lapsed.pending(session).isEmpty()) {
      dropLapsed.accept(zk, session);
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Every K, on the backend's timer: an {@code exists("/")} whose answer renews the session. */
  void renew() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      log.error("ZooKeeper session check failed unexpectedly", e);
    }
  }

  private void renewOnce() {
    if (closed || !curator.getZookeeperClient().isConnected()) {
      lapseCheck("not connected");
      return;
    }
    ZooKeeper zk;
    try {
      zk = curator.getZookeeperClient().getZooKeeper();
    } catch (Exception e) {
      lapseCheck(e.toString());
      return;
    }
    long session = zk.getSessionId();
    long send = nanoTime.getAsLong();
    zk.exists("/", false, (rc, path, ctx, stat) -> {
      if (rc == KeeperException.Code.OK.intValue()) {
        confirm(zk, session, send);
      }
    }, null);
    lapseCheck("no answer");
  }

  private void lapseCheck(String why) {
    boolean changed = false;
    synchronized (sessionLock) {
      if (heldUntil.nanos() != Long.MIN_VALUE && heldUntil.lapsed()) {
        lapseLocked(why);
        changed = true;
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** heldUntil has passed: every granted key becomes stale (deleted once the session answers). Holds sessionLock. */
  private void lapseLocked(String why) {
    log.warn("ZooKeeper session 0x{} lapsed here: no answered request before its timeout ran out ({})",
        Long.toHexString(heldSession), why);
    lapsed.record(granted.session(), granted.snapshot());
    granted.clear();
    heldUntil.clear();
    heldSession = 0;
    health = BackendHealth.unreachable("session lapsed: " + why);
  }

  /** Curator's view of the connection: suspended means unreachable, lost means the session and its nodes are gone. */
  void onConnectionState(ConnectionState state) {
    boolean changed = false;
    synchronized (sessionLock) {
      if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
        if (health.reachable()) {
          health = BackendHealth.unreachable("ZooKeeper connection " + state);
          changed = true;
        }
      }
      if (state == ConnectionState.LOST) {
        heldUntil.clear();
        heldSession = 0;
        granted.clear();
        changed = true;
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** The handle of the current connection; it may belong to a session that lapsed a moment ago. */
  ZooKeeper zk(String what) throws BackendException {
    if (!curator.getZookeeperClient().isConnected()) {
      throw new BackendException("ZooKeeper " + what + ": not connected to " + curator.getZookeeperClient()
          .getCurrentConnectionString() + "; check that the ensemble is reachable");
    }
    try {
      return curator.getZookeeperClient().getZooKeeper();
    } catch (Exception e) {
      throw new BackendException("ZooKeeper " + what + ": no connection (" + e + ")", e);
    }
  }

  BackendException failed(String what, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new BackendException("ZooKeeper " + what + " failed (" + e + "); check that "
        + curator.getZookeeperClient().getCurrentConnectionString() + " is reachable", e);
  }
}
