package dev.mclease.controller.backend.postgres;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock store on PostgreSQL (JDBC), with expiry judged by the database's own clock; the session lifecycle is
 * {@link dev.mclease.controller.backend.session.SessionKeeper}'s.
 *
 * <ul>
 *   <li><b>Session</b> = a row of {@code <t>_sessions(id, expires_at)}, renewed every K with
 *       {@code UPDATE … SET expires_at = now() + G WHERE id = ? AND expires_at > now()}; no row updated = the session
 *       expired. The database's {@code now()} is read when it receives the statement, after its send instant.</li>
 *   <li><b>Acquire</b> = one statement: {@code INSERT INTO <t>_locks … ON CONFLICT (key) DO UPDATE … WHERE EXISTS}
 *       the present holder's session row with {@code expires_at <= now()} ({@code FOR SHARE}, so a concurrent
 *       renewal is waited for and its new expiry is what counts); the token is {@code nextval('<t>_tokens')}, so it
 *       grows with every acquisition of any key, drawn under a per-key {@code pg_advisory_xact_lock} so that on one
 *       key it also grows in the order the acquisitions commit.</li>
 *   <li><b>Delete</b> = {@code DELETE … WHERE key = ? AND token = ? AND session_id = ?}; ending a session deletes
 *       its row and all its locks.</li>
 *   <li><b>Watch</b> = {@code LISTEN <t>}: acquire and release send {@code pg_notify} in the same statement, and a
 *       poll of every watched key every K sees expiry (nobody deletes an expired row; it is simply free).</li>
 * </ul>
 */
public final class PostgresLockStore implements LockStore<String> {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresLockStore.class);

  private final String url;
  private final Properties props;
  private final String table;
  private final Duration ttl;
  private final Thread listener;
  private final Object requestLock = new Object();
  private final Object renewLock = new Object();
  private Connection requests;
  private Connection renewals;
  private volatile boolean closed;
  private volatile boolean schemaReady;
  private volatile BackendListeners watchers;
  private volatile Consumer<String> poll;

  private PostgresLockStore(String url, String user, String password, String table, Duration ttl,
      Duration requestTimeout) {
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
    this.listener = new Thread(this::listenLoop, "mclease-pg-listen");
    listener.setDaemon(true);
  }

  /**
   * Starts the backend: renewing (the session row is created on the first tick), listening and polling watched
   * keys; the tables and the sequence are created when they are missing.
   *
   * @param url a JDBC URL, e.g. {@code jdbc:postgresql://db:5432/mclease}
   * @param table the name prefix of the tables, sequence and notification channel, e.g. {@code mclease}
   * @param requestTimeout upper bound of every statement, whole seconds (the driver's unit), at least 1 s
   */
  public static SessionLockBackend<String> start(String url, String user, String password, String table,
      Duration ttl, Duration renewInterval, Duration requestTimeout, LongSupplier nanoTime) {
    if (!table.matches("[a-z_][a-z0-9_]{0,40}")) {
      throw new IllegalArgumentException("PostgreSQL table prefix must match [a-z_][a-z0-9_]{0,40}, got " + table);
    }
    SessionLockBackend.checkIntervals("PostgreSQL", ttl, renewInterval);
    PostgresLockStore store = new PostgresLockStore(url, user, password, table, ttl, requestTimeout);
    return SessionLockBackend.start(store, new BackendListeners(LOG), renewInterval, nanoTime, LOG);
  }

  @Override
  public String storeName() {
    return "PostgreSQL";
  }

  // ---------------------------------------------------------------------------------------------- sessions

  @Override
  public Opened<String> open() throws BackendException {
    String id = UUID.randomUUID().toString();
    request("create session", c -> {
      if (!schemaReady) {
        createSchema(c);
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "_sessions (id, expires_at)"
          + " VALUES (?, now() + ? * interval '1 millisecond')")) {
        ps.setString(1, id);
        ps.setLong(2, ttl.toMillis());
        ps.executeUpdate();
      }
      return null;
    });
    return new Opened<>(id, ttl.toNanos(), "G = " + ttl);
  }

  private void createSchema(Connection c) throws SQLException {
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

  @Override
  public Renewal renew(String session) throws BackendException {
    // its own connection, so that a renewal never queues behind a slow acquisition
    synchronized (renewLock) {
      try {
        if (renewals == null || renewals.isClosed()) {
          renewals = DriverManager.getConnection(url, props);
        }
        try (PreparedStatement ps = renewals.prepareStatement("UPDATE " + table + "_sessions SET expires_at ="
            + " now() + ? * interval '1 millisecond' WHERE id = ? AND expires_at > now()")) {
          ps.setLong(1, ttl.toMillis());
          ps.setString(2, session);
          return ps.executeUpdate() == 0 ? Renewal.gone("the database says the session expired")
              : Renewal.renewed(ttl.toNanos());
        }
      } catch (SQLException e) {
        closeQuietly(renewals);
        renewals = null;
        throw failed("renew session", e);
      }
    }
  }

  @Override
  public void end(String session) throws BackendException {
    request("end session " + session, c -> {
      try (PreparedStatement ps = c.prepareStatement("WITH d AS (DELETE FROM " + table + "_locks WHERE session_id = ?"
          + " RETURNING key) SELECT count(pg_notify('" + table + "', d.key)) FROM d")) {
        ps.setString(1, session);
        ps.executeQuery().close();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + "_sessions WHERE id = ?")) {
        ps.setString(1, session);
        ps.executeUpdate();
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------- keys

  @Override
  public Attempt<String> tryAcquire(String key, LockValue value, String session) throws BackendException {
    Long token = request("acquire " + key, c -> {
      // The per-key advisory lock is taken before nextval, and held until the statement commits. Without it the
      // token was drawn before the insert waited on a concurrent acquisition of the same key; when that holder
      // released before this insert went on, it inserted a token lower than the one just granted and released
      // (the conformance suite's history checker: 815 after 818 on one key, under load).
      try (PreparedStatement ps = c.prepareStatement("WITH k AS (SELECT pg_advisory_xact_lock(hashtext('" + table
          + "'), hashtext(?::text))), a AS (INSERT INTO " + table + "_locks AS l"
          + " (key, session_id, value, token) SELECT ?, ?, ?, nextval('" + table + "_tokens') FROM k"
          + " ON CONFLICT (key) DO UPDATE SET session_id = EXCLUDED.session_id, value = EXCLUDED.value,"
          + " token = EXCLUDED.token WHERE EXISTS (SELECT 1 FROM " + table + "_sessions s"
          + " WHERE s.id = l.session_id AND s.expires_at <= now() FOR SHARE) RETURNING l.key, l.token)"
          + " SELECT a.token, pg_notify('" + table + "', a.key) FROM a")) {
        ps.setString(1, key);
        ps.setString(2, key);
        ps.setString(3, session);
        ps.setString(4, value.toJson());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : null;
        }
      }
    });
    if (token != null) {
      return new Attempt.Won<>(token);
    }
    Row row = row(key);
    return row == null || !row.live ? new Attempt.Changed<>()
        : new Attempt.Found<>(row.session, new Stored(row.token, row.value).held(key));
  }

  @Override
  public void delete(String key, long token, String session) throws BackendException {
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

  @Override
  public Optional<Stored> read(String key, String own) throws BackendException {
    Row row = row(key);
    return row == null || !row.live ? Optional.empty() : Optional.of(new Stored(row.token, row.value));
  }

  private record Row(String session, String value, long token, boolean live) {
  }

  private Row row(String key) throws BackendException {
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

  // ---------------------------------------------------------------------------------------------- watch

  @Override
  public void startWatching(BackendListeners listeners, Consumer<String> poll) {
    this.watchers = listeners;
    this.poll = poll;
    listener.start();
  }

  @Override
  public boolean pollsEveryInterval() {
    return true; // expiry sends no notification
  }

  private void listenLoop() {
    Connection c = null;
    while (!closed) {
      try {
        if (c == null || c.isClosed()) {
          c = DriverManager.getConnection(url, props);
          try (Statement st = c.createStatement()) {
            st.execute("LISTEN " + table);
          }
          watchers.watchedKeys().forEach(poll); // anything missed while not listening
        }
        PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(200);
        if (got != null) {
          for (PGNotification n : got) {
            poll.accept(n.getParameter());
          }
        }
      } catch (SQLException e) {
        closeQuietly(c);
        c = null;
        if (!closed) {
          try {
            Thread.sleep(200); // a pause before reconnecting, not a wait for a condition
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
    closeQuietly(c);
  }

  @Override
  public void close() {
    closed = true;
    listener.interrupt();
    synchronized (requestLock) {
      closeQuietly(requests);
    }
    synchronized (renewLock) {
      closeQuietly(renewals);
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

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
        throw failed(what, e);
      }
    }
  }

  private BackendException failed(String what, SQLException e) {
    return new BackendException("PostgreSQL " + what + " failed (" + e.getSQLState() + ": " + e.getMessage()
        + "); check that " + url + " is reachable and that this controller may use the tables " + table
        + "_locks/_sessions and the sequence " + table + "_tokens", e);
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
}
