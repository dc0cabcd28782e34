package dev.mclease.controller.backend.postgres;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GlobalLockBackend} on PostgreSQL (JDBC), with expiry judged by the database's own clock.
 *
 * <ul>
 *   <li><b>Session</b> = a row of {@code <t>_sessions(id, expires_at)}, created at first use and renewed every K
 *       with {@code UPDATE … SET expires_at = now() + G WHERE id = ? AND expires_at > now()}; no row updated =
 *       the session expired. {@link #heldUntilNanos()} = monotonic send instant of the last successful renewal + G
 *       (the database's {@code now()} is read when it receives the statement, which is later).</li>
 *   <li><b>Acquire</b> = one statement: {@code INSERT INTO <t>_locks … ON CONFLICT (key) DO UPDATE … WHERE EXISTS}
 *       the present holder's session row with {@code expires_at <= now()} ({@code FOR SHARE}, so a concurrent
 *       renewal is waited for and its new expiry is what counts); a row whose session row does not exist counts as
 *       held (e.g. written by hand, like a malformed value); the token is
 *       {@code nextval('<t>_tokens')}, so it grows with every acquisition of any key.</li>
 *   <li><b>Release</b> = {@code DELETE … WHERE key = ? AND token = ? AND session_id = ?} (only the holder).</li>
 *   <li><b>Watch</b> = {@code LISTEN <t>}: acquire and release send {@code pg_notify} in the same statement, and a
 *       poll of every watched key every K sees expiry (nobody deletes an expired row; it is simply free).</li>
 * </ul>
 */
public final class PostgresLockBackend implements GlobalLockBackend {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresLockBackend.class);

  private final String url;
  private final Properties props;
  private final String table;
  private final Duration ttl;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService timer;
  private final Thread listener;
  private final BackendListeners listeners = new BackendListeners(LOG);
  private final Map<String, Long> granted = new ConcurrentHashMap<>();
  /** Per-key monitors serializing this session's acquisitions of a key. */
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private final Object sessionLock = new Object();
  private final Object requestLock = new Object();
  private final Object renewLock = new Object();

  private Connection requests;
  private Connection renewals;
  private volatile String sessionId;
  private final HeldUntil heldUntil;
  /** A session given up here that the database may still count alive: deleted by the next session start. */
  private volatile String staleSession;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  private volatile boolean closed;
  private volatile boolean suspended;
  private volatile boolean schemaReady;

  private PostgresLockBackend(String url, String user, String password, String table, Duration ttl,
      Duration requestTimeout, LongSupplier nanoTime) {
    this.url = url;
    this.props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    int timeoutSeconds = (int) Math.max(1, requestTimeout.toSeconds());
    props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("ApplicationName", "mclease-controller");
    this.table = table;
    this.ttl = ttl;
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("mclease-pg-renew"));
    this.listener = daemon("mclease-pg-listen").newThread(this::listenLoop);
  }

  /**
   * Starts renewing (the session row is created on the first tick), listening and polling watched keys; creates the
   * tables and the sequence when they are missing.
   *
   * @param url a JDBC URL, e.g. {@code jdbc:postgresql://db:5432/mclease}
   * @param table the name prefix of the tables, sequence and notification channel, e.g. {@code mclease}
   * @param requestTimeout upper bound of every statement, whole seconds (the driver's unit), at least 1 s
   */
  public static PostgresLockBackend start(String url, String user, String password, String table, Duration ttl,
      Duration renewInterval, Duration requestTimeout, LongSupplier nanoTime) {
    if (!table.matches("[a-z_][a-z0-9_]{0,40}")) {
      throw new IllegalArgumentException("PostgreSQL table prefix must match [a-z_][a-z0-9_]{0,40}, got " + table);
    }
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("renew interval " + renewInterval + " must be > 0 and < TTL " + ttl);
    }
    PostgresLockBackend b = new PostgresLockBackend(url, user, password, table, ttl, requestTimeout, nanoTime);
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b::renewSafely, 0, k, TimeUnit.NANOSECONDS);
    b.timer.scheduleWithFixedDelay(b::pollAll, k, k, TimeUnit.NANOSECONDS);
    b.listener.start();
    return b;
  }

  // ---------------------------------------------------------------------------------------------- the SPI

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    // One acquisition of a key at a time per session: a concurrent call of this same session must not mistake an
    // acquisition in flight for one whose answer was lost (and adopt or replace it).
    synchronized (keyLocks.computeIfAbsent(key, k -> new Object())) {
      return acquireLocked(key, value);
    }
  }

  private AcquireResult acquireLocked(String key, LockValue value) throws BackendException {
    suspended = false;
    String session = ensureSession();
    for (int attempt = 0; attempt < 3; attempt++) {
      Long token = request("acquire " + key, c -> {
        try (PreparedStatement ps = c.prepareStatement("WITH a AS (INSERT INTO " + table + "_locks AS l"
            + " (key, session_id, value, token) VALUES (?, ?, ?, nextval('" + table + "_tokens'))"
            + " ON CONFLICT (key) DO UPDATE SET session_id = EXCLUDED.session_id, value = EXCLUDED.value,"
            + " token = EXCLUDED.token WHERE EXISTS (SELECT 1 FROM " + table + "_sessions s"
            + " WHERE s.id = l.session_id AND s.expires_at <= now() FOR SHARE) RETURNING l.key, l.token)"
            + " SELECT a.token, pg_notify('" + table + "', a.key) FROM a")) {
          ps.setString(1, key);
          ps.setString(2, session);
          ps.setString(3, value.toJson());
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
          }
        }
      });
      if (token != null) {
        granted.put(key, token);
        return new AcquireResult.Granted(token);
      }
      Row row = read(key);
      if (row == null || !row.live) {
        continue; // freed between the two statements
      }
      Held held = parse(key, row);
      Long known = granted.get(key);
      if (!row.session.equals(session) || (known != null && known == held.token())) {
        return new AcquireResult.HeldBy(held.value(), held.token());
      }
      // This session's acquisition whose answer we never saw (the statement timed out here, the database applied it).
      if (held.value().holder().equals(value.holder()) && held.value().cluster().equals(value.cluster())) {
        granted.put(key, held.token());
        return new AcquireResult.Granted(held.token());
      }
      delete(key, held.token(), session);
    }
    throw new BackendException("could not acquire " + key + ": it kept changing; will retry");
  }

  @Override
  public void release(String key, long token) throws BackendException {
    Long mine = granted.get(key);
    String session = sessionId;
    if (mine == null || mine != token || session == null) {
      return;
    }
    delete(key, token, session);
    granted.remove(key, token);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    Row row = read(key);
    return row == null || !row.live ? Optional.empty() : Optional.of(parse(key, row));
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return listeners.watch(key, listener);
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
    String s;
    synchronized (sessionLock) {
      s = sessionId;
      suspended = true;
      sessionId = null;
      heldUntil.clear();
      granted.clear();
    }
    if (s != null) {
      endSession(s);
    }
    listeners.fireSessionChange();
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    listener.interrupt();
    synchronized (requestLock) {
      closeQuietly(requests);
    }
    synchronized (renewLock) {
      closeQuietly(renewals);
    }
  }

  // ---------------------------------------------------------------------------------------------- session

  /** Deletes session {@code s} and every lock it holds, notifying their watchers: all its keys are free at once. */
  private void endSession(String s) throws BackendException {
    request("end session " + s, c -> {
      try (PreparedStatement ps = c.prepareStatement("WITH d AS (DELETE FROM " + table + "_locks WHERE session_id = ?"
          + " RETURNING key) SELECT count(pg_notify('" + table + "', d.key)) FROM d")) {
        ps.setString(1, s);
        ps.executeQuery().close();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + "_sessions WHERE id = ?")) {
        ps.setString(1, s);
        ps.executeUpdate();
      }
      return null;
    });
  }

  private String ensureSession() throws BackendException {
    synchronized (sessionLock) {
      if (sessionId != null && heldUntil.live()) {
        return sessionId;
      }
      if (sessionId != null) {
        markLost("no successful renewal before the session's TTL ran out");
      }
      String stale = staleSession;
      if (stale != null) {
        endSession(stale); // the database may still count it alive: free its keys now rather than after G
        staleSession = null;
      }
      String id = UUID.randomUUID().toString();
      long send = nanoTime.getAsLong();
      request("create session", c -> {
        if (!schemaReady) {
          // One creator at a time (concurrent CREATE … IF NOT EXISTS can still collide on the catalog).
          c.setAutoCommit(false);
          try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext('mclease:" + table + "'))");
            st.execute("CREATE TABLE IF NOT EXISTS " + table + "_sessions (id text PRIMARY KEY,"
                + " expires_at timestamptz NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + table + "_locks (key text PRIMARY KEY,"
                + " session_id text NOT NULL, value text NOT NULL, token bigint NOT NULL)");
            st.execute("CREATE SEQUENCE IF NOT EXISTS " + table + "_tokens");
            // sessions expired for a day and their rows are removed by whoever starts a session (all free already)
            st.execute("DELETE FROM " + table + "_locks l USING " + table + "_sessions s WHERE s.id = l.session_id"
                + " AND s.expires_at < now() - interval '1 day'");
            st.execute("DELETE FROM " + table + "_sessions WHERE expires_at < now() - interval '1 day'");
            c.commit();
          } catch (SQLException e) {
            c.rollback();
            throw e;
          } finally {
            c.setAutoCommit(true);
          }
          schemaReady = true;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "_sessions (id, expires_at)"
            + " VALUES (?, now() + ? * interval '1 millisecond')")) {
          ps.setString(1, id);
          ps.setLong(2, ttl.toMillis());
          ps.executeUpdate();
        }
        return null;
      });
      sessionId = id;
      heldUntil.started(send, ttlNanos);
      health = BackendHealth.ok();
      LOG.info("PostgreSQL session {} opened, G = {}", id, ttl);
    }
    listeners.fireSessionChange();
    return sessionId;
  }

  private void renewSafely() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      LOG.error("PostgreSQL session renewal failed unexpectedly", e);
    }
  }

  private void renewOnce() {
    if (closed) {
      return;
    }
    String id = sessionId;
    if (id == null) {
      if (!suspended) {
        try {
          ensureSession();
        } catch (BackendException e) {
          boolean changed = health.reachable();
          health = BackendHealth.unreachable(e.getMessage());
          if (changed) {
            listeners.fireSessionChange();
          }
        }
      }
      return;
    }
    long send = nanoTime.getAsLong();
    boolean changed = false;
    try {
      int n;
      synchronized (renewLock) {
        try {
          if (renewals == null || renewals.isClosed()) {
            renewals = DriverManager.getConnection(url, props);
          }
          try (PreparedStatement ps = renewals.prepareStatement("UPDATE " + table + "_sessions SET expires_at ="
              + " now() + ? * interval '1 millisecond' WHERE id = ? AND expires_at > now()")) {
            ps.setLong(1, ttl.toMillis());
            ps.setString(2, id);
            n = ps.executeUpdate();
          }
        } catch (SQLException e) {
          closeQuietly(renewals);
          renewals = null;
          throw e;
        }
      }
      synchronized (sessionLock) {
        if (id.equals(sessionId)) {
          if (n == 0) {
            markLost("the database says the session expired");
            staleSession = null;
            changed = true;
          } else if (!heldUntil.renewed(send, ttlNanos)) {
            // answered after heldUntil (see HeldUntil): the next tick deletes the session and its locks
            markLost("heldUntil ran out before the renewal was answered; its keys were already given up");
            changed = true;
          } else {
            if (!health.reachable()) {
              health = BackendHealth.ok();
              changed = true;
              LOG.info("PostgreSQL session {} renewed again", id);
            }
          }
        }
      }
    } catch (SQLException e) {
      synchronized (sessionLock) {
        if (id.equals(sessionId)) {
          if (health.reachable()) {
            LOG.warn("PostgreSQL session renewal failed: {}", e.getMessage());
          }
          health = BackendHealth.unreachable("renew session: " + e.getMessage());
          changed = true;
          if (heldUntil.lapsed()) {
            markLost("no successful renewal before the session's TTL ran out (" + e.getMessage() + ")");
          }
        }
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Caller holds sessionLock. */
  private void markLost(String why) {
    LOG.warn("PostgreSQL session {} lost: {}; every key it held must be considered released", sessionId, why);
    granted.clear();
    staleSession = sessionId;
    sessionId = null;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  // ---------------------------------------------------------------------------------------------- watch

  private void listenLoop() {
    Connection c = null;
    while (!closed) {
      try {
        if (c == null || c.isClosed()) {
          c = DriverManager.getConnection(url, props);
          try (Statement st = c.createStatement()) {
            st.execute("LISTEN " + table);
          }
          for (String key : listeners.watchedKeys()) {
            poll(key); // anything missed while not listening
          }
        }
        PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(200);
        if (got != null) {
          for (PGNotification n : got) {
            if (listeners.isWatched(n.getParameter())) {
              poll(n.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        closeQuietly(c);
        c = null;
        if (!closed) {
          try {
            Thread.sleep(200);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
    closeQuietly(c);
  }

  private void pollAll() {
    for (String key : listeners.watchedKeys()) {
      if (closed) {
        return;
      }
      poll(key);
    }
  }

  private synchronized void poll(String key) {
    if (!listeners.isWatched(key)) {
      return;
    }
    try {
      Row row = read(key);
      long now = row == null || !row.live ? 0 : row.token;
      listeners.observed(key, now, now == 0 ? null : LockValue.parseOrNull(row.value));
    } catch (BackendException | RuntimeException e) {
      listeners.unreadable(key);
    }
  }


  // ---------------------------------------------------------------------------------------------- helpers

  private record Row(String session, String value, long token, boolean live) {
  }

  private Row read(String key) throws BackendException {
    return request("read " + key, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT l.session_id, l.value, l.token,"
          + " COALESCE(s.expires_at > now(), false) FROM " + table + "_locks l LEFT JOIN " + table + "_sessions s"
          + " ON s.id = l.session_id WHERE l.key = ?")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? new Row(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4)) : null;
        }
      }
    });
  }

  private void delete(String key, long token, String session) throws BackendException {
    request("release " + key, c -> {
      try (PreparedStatement ps = c.prepareStatement("WITH d AS (DELETE FROM " + table + "_locks WHERE key = ?"
          + " AND token = ? AND session_id = ? RETURNING key) SELECT pg_notify('" + table + "', d.key) FROM d")) {
        ps.setString(1, key);
        ps.setLong(2, token);
        ps.setString(3, session);
        ps.executeQuery().close();
      }
      return null;
    });
  }

  private Held parse(String key, Row row) throws MalformedValueException {
    try {
      return new Held(LockValue.fromJson(row.value), row.token);
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, row.value, row.token, e);
      LOG.error("{} (PostgreSQL table {}_locks)", m.getMessage(), table);
      throw m;
    }
  }

  private interface Sql<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T request(String what, Sql<T> sql) throws BackendException {
    synchronized (requestLock) {
      try {
        if (requests == null || requests.isClosed()) {
          requests = DriverManager.getConnection(url, props);
        }
        return sql.run(requests);
      } catch (SQLException e) {
        closeQuietly(requests);
        requests = null;
        throw new BackendException("PostgreSQL " + what + " failed (" + e.getSQLState() + ": " + e.getMessage()
            + "); check that " + url + " is reachable and that this controller may use the tables " + table
            + "_locks/_sessions and the sequence " + table + "_tokens", e);
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        // already broken
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
}
