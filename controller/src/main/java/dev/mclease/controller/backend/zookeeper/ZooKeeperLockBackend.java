package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.HeldUntil;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import dev.mclease.controller.backend.session.OwnAcquisitionRule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
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
 *       Every K this class sends an {@code exists("/")}; any request restarts the session's timeout on the server
 *       when it is received, so {@link #heldUntilNanos()} = monotonic send instant of the last answered request +
 *       the negotiated timeout.</li>
 *   <li><b>Acquire</b> = {@code create(<base>/<ns>/<name>, json, EPHEMERAL)}; the token is the node's creation
 *       zxid ({@code czxid}), which grows with every write in the ensemble.</li>
 *   <li><b>Release</b> = {@code delete(path, version)} after checking that the node is this session's
 *       ({@code ephemeralOwner}) acquisition {@code token} ({@code czxid}), through the ZooKeeper handle of that very
 *       session (a handle never moves to another session, so an expired session can delete nothing).</li>
 *   <li><b>Watch</b> = an {@code exists} watch per watched key (re-armed on every event), plus a check every K.</li>
 * </ul>
 */
public final class ZooKeeperLockBackend implements GlobalLockBackend {

  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLockBackend.class);

  private final CuratorFramework curator;
  private final String base;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService timer;
  private final BackendListeners listeners = new BackendListeners(LOG);
  /** key → token granted, valid only for {@link #grantedSession}. */
  private final Map<String, Long> granted = new ConcurrentHashMap<>();
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private final Object sessionLock = new Object();
  private final ZNodeWatch watch;

  private volatile long grantedSession;
  private final HeldUntil heldUntil;
  private volatile long heldSession;
  private volatile BackendHealth health = BackendHealth.unreachable("not connected yet");
  private volatile boolean closed;
  private final long requestTimeoutMillis;
  /** Acquisitions of a session whose heldUntil lapsed here: deleted as soon as that session answers again. */
  private final LapsedNodes lapsed = new LapsedNodes();

  private ZooKeeperLockBackend(CuratorFramework curator, String base, long requestTimeoutMillis,
      LongSupplier nanoTime) {
    this.curator = curator;
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.base = base;
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mclease-zk");
      t.setDaemon(true);
      return t;
    });
    this.watch = new ZNodeWatch(curator, listeners, this::path, timer);
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
    b.timer.scheduleWithFixedDelay(b::renewSafely, 0, k, TimeUnit.NANOSECONDS);
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
    ZooKeeper zk = ensureSession("acquire " + key);
    long session = zk.getSessionId();
    String path = path(key);
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        Stat stat = new Stat();
        mkdirs(zk, parent(path));
        zk.create(path, value.toJson().getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE,
            CreateMode.EPHEMERAL, stat);
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
          throw failed("read " + key, e2);
        }
        Held held = parse(key, data, stat);
        switch (OwnAcquisitionRule.judge(stat.getEphemeralOwner() == session, granted.get(key),
            lapsed.token(key, session), held, value)) {
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
          throw failed("replace " + key, e2);
        }
      } catch (KeeperException | InterruptedException e) {
        throw failed("acquire " + key, e);
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
    Long mine = granted.get(key);
    if (mine == null || mine != token) {
      return;
    }
    ZooKeeper zk = zk("release " + key);
    if (zk.getSessionId() != grantedSession) {
      granted.remove(key, token);
      return; // that session is gone, and its ephemeral node with it
    }
    try {
      Stat stat = zk.exists(path(key), false);
      if (stat != null && stat.getCzxid() == token && stat.getEphemeralOwner() == grantedSession) {
        zk.delete(path(key), stat.getVersion());
      }
      granted.remove(key, token);
    } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
      granted.remove(key, token);
    } catch (KeeperException | InterruptedException e) {
      throw failed("release " + key, e);
    }
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    ZooKeeper zk = zk("read " + key);
    Stat stat = new Stat();
    try {
      // A read is served by whichever server this session is connected to, and a follower may not have applied the
      // newest writes yet (ZooKeeper reads are sequentially consistent, not linearizable): another session's fresh
      // acquisition would read as free. A sync first makes the server catch up with the leader; requests of one
      // session are processed in order, so the read below comes after it (ZooKeeper's "sync, then read").
      zk.sync(path(key), (rc, path, ctx) -> { }, null);
      return Optional.of(parse(key, zk.getData(path(key), false, stat), stat));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (KeeperException | InterruptedException e) {
      throw failed("read " + key, e);
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
    return heldUntil.nanos();
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
    ZooKeeper zk = zk("release all");
    long session = zk.getSessionId();
    for (Map.Entry<String, Long> e : Map.copyOf(granted).entrySet()) {
      if (session == grantedSession) {
        release(e.getKey(), e.getValue());
      }
    }
    granted.clear();
  }

  @Override
  public void close() {
    closed = true;
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

  // ---------------------------------------------------------------------------------------------- session

  /** Connected, with this session confirmed by an answered request (sent now when the last one is too old). */
  private ZooKeeper ensureSession(String what) throws BackendException {
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
        if (grantedSession != session) {
          granted.clear(); // the previous session's ephemeral nodes are gone
          grantedSession = session;
        }
        heldSession = session;
        heldUntil.started(send, timeout);
        changed = true;
        LOG.info("ZooKeeper session 0x{} confirmed, timeout {} ms", Long.toHexString(session), zk.getSessionTimeout());
      } else {
        heldUntil.renewed(send, timeout); // not lapsed: checked above, under the same lock
      }
      if (!health.reachable()) {
        health = BackendHealth.ok();
        changed = true;
      }
    }
    if (!lapsed.pending(session).isEmpty()) {
      submit(() -> dropLapsed(zk, session));
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /**
   * The session outlived its heldUntil here (the server heard from us later than our last answered request): its
   * nodes were already reported lost, so delete them, as etcd's backend revokes a lapsed lease.
   */
  private void dropLapsed(ZooKeeper zk, long session) {
    for (Map.Entry<String, Long> e : lapsed.pending(session).entrySet()) {
      // one key lock at a time, never nested: acquire threads hold exactly one, so no lock order can deadlock
      synchronized (keyLock(e.getKey())) {
        try {
          Stat stat = zk.exists(path(e.getKey()), false);
          if (stat != null && stat.getCzxid() == e.getValue() && stat.getEphemeralOwner() == session) {
            zk.delete(path(e.getKey()), stat.getVersion());
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

  private void renewSafely() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      LOG.error("ZooKeeper session check failed unexpectedly", e);
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
    LOG.warn("ZooKeeper session 0x{} lapsed here: no answered request before its timeout ran out ({})",
        Long.toHexString(heldSession), why);
    lapsed.record(grantedSession, Map.copyOf(granted));
    granted.clear();
    heldUntil.clear();
    heldSession = 0;
    health = BackendHealth.unreachable("session lapsed: " + why);
  }

  private void onConnectionState(ConnectionState state) {
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
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private ZooKeeper zk(String what) throws BackendException {
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

  private Held parse(String key, byte[] data, Stat stat) throws MalformedValueException {
    String raw = data == null ? "" : new String(data, StandardCharsets.UTF_8);
    try {
      return new Held(LockValue.fromJson(raw), stat.getCzxid());
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, raw, stat.getCzxid(), e);
      LOG.error("{} (ZooKeeper node {})", m.getMessage(), path(key));
      throw m;
    }
  }

  private static void mkdirs(ZooKeeper zk, String path) throws KeeperException, InterruptedException {
    if (path.isEmpty() || zk.exists(path, false) != null) {
      return;
    }
    mkdirs(zk, parent(path));
    try {
      zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    } catch (KeeperException.NodeExistsException e) {
      // created concurrently
    }
  }

  private static String parent(String path) {
    int i = path.lastIndexOf('/');
    return i <= 0 ? "" : path.substring(0, i);
  }

  private BackendException failed(String what, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new BackendException("ZooKeeper " + what + " failed (" + e + "); check that "
        + curator.getZookeeperClient().getCurrentConnectionString() + " is reachable", e);
  }

  private String path(String key) {
    return base + "/" + key;
  }
}
