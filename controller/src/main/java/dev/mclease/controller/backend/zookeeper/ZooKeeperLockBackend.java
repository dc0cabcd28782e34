package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.OwnAcquisitionRule;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GlobalLockBackend} on Apache ZooKeeper (Curator 5 manages the connection).
 *
 * <ul>
 *   <li><b>Session</b> = the ZooKeeper session (timeout G, negotiated by the server, which must allow it:
 *       {@code minSessionTimeout ≤ G ≤ maxSessionTimeout}). Every held key is an <em>ephemeral</em> node of that
 *       session, so the server deletes all of them when the session expires: the analogue of the etcd lease.
 *       Every K this backend sends an {@code exists("/")}; any request restarts the session's timeout on the server
 *       when it is received, so {@link #heldUntilNanos()} = monotonic send instant of the last answered request +
 *       the negotiated timeout.</li>
 *   <li><b>Acquire</b> = {@code create(<base>/<ns>/<name>, json, EPHEMERAL)}; the token is the node's creation
 *       zxid ({@code czxid}), which grows with every write in the ensemble.</li>
 *   <li><b>Release</b> = {@code delete(path, version)} after checking that the node is this session's
 *       ({@code ephemeralOwner}) acquisition {@code token} ({@code czxid}), through the ZooKeeper handle of that very
 *       session (a handle never moves to another session, so an expired session can delete nothing).</li>
 *   <li><b>Watch</b> = an {@code exists} watch per watched key (re-armed on every event), plus a check every K.</li>
 * </ul>
 *
 * <p>This class is the SPI and the writes of key nodes, each under that key's lock ({@code keyLock}); the session's
 * liveness is {@link ZooKeeperSession}, the acquisitions it holds {@link GrantedNodes} and {@link LapsedNodes}, the
 * nodes' layout and encoding {@link ZNodes}, the watch {@link ZNodeWatch}.
 */
public final class ZooKeeperLockBackend implements GlobalLockBackend {

  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLockBackend.class);

  private final CuratorFramework curator;
  private final ZNodes nodes;
  private final ScheduledExecutorService timer;
  private final BackendListeners listeners = new BackendListeners(LOG);
  private final GrantedNodes granted = new GrantedNodes();
  /** Acquisitions of a session whose heldUntil lapsed here: deleted as soon as that session answers again. */
  private final LapsedNodes lapsed = new LapsedNodes();
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private final ZNodeWatch watch;
  private final ZooKeeperSession session;
  private volatile boolean closed;

  private ZooKeeperLockBackend(CuratorFramework curator, String base, long requestTimeoutMillis,
      LongSupplier nanoTime) {
    this.curator = curator;
    this.nodes = new ZNodes(base, LOG);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mclease-zk");
      t.setDaemon(true);
      return t;
    });
    this.watch = new ZNodeWatch(curator, listeners, nodes::path, timer);
    this.session = new ZooKeeperSession(curator, requestTimeoutMillis, nanoTime, listeners, granted, lapsed,
        (zk, s) -> submit(() -> dropLapsed(zk, s)), LOG);
  }

  /**
   * Connects to {@code connectString} (e.g. {@code zk-0:2181,zk-1:2181,zk-2:2181}) with session timeout
   * {@code ttl}, and starts the renewal and watch checks every {@code renewInterval}.
   *
   * @param basePath the parent of every key node, e.g. {@code /mclease/leases}
   */
  public static ZooKeeperLockBackend connect(String connectString, String basePath, Duration ttl,
      Duration renewInterval, Duration requestTimeout, LongSupplier nanoTime) {
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("renew interval " + renewInterval + " must be > 0 and < TTL " + ttl);
    }
    String base = basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath;
    if (!base.startsWith("/")) {
      throw new IllegalArgumentException("ZooKeeper base path must start with '/', got " + basePath);
    }
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connectString)
        .sessionTimeoutMs((int) ttl.toMillis()).connectionTimeoutMs((int) requestTimeout.toMillis())
        // the connect string is the operator's: do not replace it with the addresses in the ensemble's config
        .ensembleTracker(false)
        .retryPolicy(new RetryOneTime(100)).build();
    ZooKeeperLockBackend b = new ZooKeeperLockBackend(c, base, requestTimeout.toMillis(), nanoTime);
    c.getConnectionStateListenable().addListener((client, state) -> b.onConnectionState(state));
    c.start();
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b.session::renew, 0, k, TimeUnit.NANOSECONDS);
    b.timer.scheduleWithFixedDelay(b.watch::pollAll, k, k, TimeUnit.NANOSECONDS);
    return b;
  }

  // ---------------------------------------------------------------------------------------------- the SPI

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    synchronized (keyLock(key)) {
      return acquireLocked(key, value);
    }
  }

  /**
   * Every delete of this session's node at {@code key} (release, replace, stale cleanup) and every read that decides
   * one happens under this lock. Why: ZooKeeper can only delete by path and <em>data</em> version, and a freshly
   * created node always has version 0, so "read node X, then delete(path, 0)" deletes whatever node sits at the path
   * by then. That is safe only while X cannot vanish between the read and the delete. Another session cannot delete
   * X (we delete only nodes whose {@code ephemeralOwner} is our session, and so do they), an expired session cannot
   * delete anything, so the only remaining way is another thread of this very session, which this lock excludes.
   */
  private Object keyLock(String key) {
    return keyLocks.computeIfAbsent(key, k -> new Object());
  }

  private AcquireResult acquireLocked(String key, LockValue value) throws BackendException {
    ZooKeeper zk = session.ensure("acquire " + key);
    long sessionId = zk.getSessionId();
    String path = nodes.path(key);
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        Stat stat = new Stat();
        ZNodes.mkdirs(zk, ZNodes.parent(path));
        zk.create(path, ZNodes.encode(value), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL, stat);
        granted.put(key, stat.getCzxid());
        return new AcquireResult.Granted(stat.getCzxid());
      } catch (KeeperException.NodeExistsException e) {
        Stat stat = new Stat();
        byte[] data;
        try {
          data = zk.getData(path, false, stat);
        } catch (KeeperException.NoNodeException gone) {
          continue; // released meanwhile
        } catch (KeeperException | InterruptedException e2) {
          throw session.failed("read " + key, e2);
        }
        Held held = nodes.parse(key, data, stat);
        switch (OwnAcquisitionRule.judge(stat.getEphemeralOwner() == sessionId, granted.token(key),
            lapsed.token(key, sessionId), held, value)) {
          case HELD_BY -> {
            return new AcquireResult.HeldBy(held.value(), held.token());
          }
          case ADOPT -> {
            granted.put(key, held.token());
            return new AcquireResult.Granted(held.token());
          }
          case REPLACE -> {
            // below: delete it (this key's lock is held, see keyLock) and create afresh
          }
        }
        try {
          zk.delete(path, stat.getVersion());
          lapsed.dropped(key, held.token());
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException ignored) {
          // gone already
        } catch (KeeperException | InterruptedException e2) {
          throw session.failed("replace " + key, e2);
        }
      } catch (KeeperException | InterruptedException e) {
        throw session.failed("acquire " + key, e);
      }
    }
    throw new BackendException("could not acquire " + key + ": it kept changing; will retry");
  }

  @Override
  public void release(String key, long token) throws BackendException {
    synchronized (keyLock(key)) {
      releaseLocked(key, token);
    }
  }

  private void releaseLocked(String key, long token) throws BackendException {
    Long mine = granted.token(key);
    if (mine == null || mine != token) {
      return;
    }
    ZooKeeper zk = session.zk("release " + key);
    if (zk.getSessionId() != granted.session()) {
      granted.remove(key, token);
      return; // that session is gone, and its ephemeral node with it
    }
    try {
      Stat stat = zk.exists(nodes.path(key), false);
      if (stat != null && stat.getCzxid() == token && stat.getEphemeralOwner() == granted.session()) {
        zk.delete(nodes.path(key), stat.getVersion());
      }
      granted.remove(key, token);
    } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
      granted.remove(key, token);
    } catch (KeeperException | InterruptedException e) {
      throw session.failed("release " + key, e);
    }
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    ZooKeeper zk = session.zk("read " + key);
    Stat stat = new Stat();
    try {
      // A read is served by whichever server this session is connected to, and a follower may not have applied the
      // newest writes yet (ZooKeeper reads are sequentially consistent, not linearizable): another session's fresh
      // acquisition would read as free. A sync first makes the server catch up with the leader; requests of one
      // session are processed in order, so the read below comes after it (ZooKeeper's "sync, then read").
      zk.sync(nodes.path(key), (rc, path, ctx) -> { }, null);
      return Optional.of(nodes.parse(key, zk.getData(nodes.path(key), false, stat), stat));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (KeeperException | InterruptedException e) {
      throw session.failed("read " + key, e);
    }
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    AutoCloseable handle = listeners.watch(key, listener);
    watch.pollSoon(key);
    return handle;
  }

  @Override
  public long heldUntilNanos() {
    return session.heldUntilNanos();
  }

  @Override
  public BackendHealth health() {
    return session.health();
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return listeners.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    ZooKeeper zk = session.zk("release all");
    long sessionId = zk.getSessionId();
    for (Map.Entry<String, Long> e : granted.snapshot().entrySet()) {
      if (sessionId == granted.session()) {
        release(e.getKey(), e.getValue());
      }
    }
    granted.clear();
  }

  @Override
  public void close() {
    closed = true;
    session.close();
    watch.close();
    timer.shutdownNow();
    // Closing a ZooKeeper handle ends its session, which deletes its ephemeral nodes at once; the SPI's close() lets
    // them expire instead. So the handle is dropped without a closeSession request (the client behaves as if the
    // session expired; the server expires it after its timeout), and only then is Curator closed.
    try {
      if (curator.getZookeeperClient().isConnected()) {
        curator.getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
      }
    } catch (Exception e) {
      LOG.debug("dropping the ZooKeeper handle: {}", e.toString());
    }
    curator.close();
  }

  // ---------------------------------------------------------------------------------------------- session events

  /**
   * The session outlived its heldUntil here (the server heard from us later than our last answered request): its
   * nodes were already reported lost, so delete them, as etcd's backend revokes a lapsed lease.
   */
  private void dropLapsed(ZooKeeper zk, long sessionId) {
    for (Map.Entry<String, Long> e : lapsed.pending(sessionId).entrySet()) {
      // one key lock at a time, never nested: acquire threads hold exactly one, so no lock order can deadlock
      synchronized (keyLock(e.getKey())) {
        try {
          Stat stat = zk.exists(nodes.path(e.getKey()), false);
          if (stat != null && stat.getCzxid() == e.getValue() && stat.getEphemeralOwner() == sessionId) {
            zk.delete(nodes.path(e.getKey()), stat.getVersion());
            LOG.info("{}: deleted acquisition {} whose session lapsed here but survived on the server", e.getKey(),
                e.getValue());
          }
          lapsed.dropped(e.getKey(), e.getValue());
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException gone) {
          lapsed.dropped(e.getKey(), e.getValue());
        } catch (KeeperException | InterruptedException ex) {
          return; // next time
        }
      }
    }
  }

  /** After a reconnection every watched key is read again: a one-shot watch may have missed a change meanwhile. */
  private void onConnectionState(ConnectionState state) {
    session.onConnectionState(state);
    if (state == ConnectionState.RECONNECTED || state == ConnectionState.CONNECTED) {
      listeners.watchedKeys().forEach(watch::pollSoon);
    }
  }

  private void submit(Runnable task) {
    if (closed) {
      return;
    }
    try {
      timer.execute(task);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }
}
