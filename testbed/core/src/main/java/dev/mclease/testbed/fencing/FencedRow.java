package dev.mclease.testbed.fencing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A fenced resource: one PostgreSQL row that leaders write with their fencing token. A write is accepted only when
 * its token is not lower than the one stored, decided by one conditional {@code UPDATE … WHERE token <= ?}, so the
 * comparison and the change are atomic in the database whatever the writers' timing: a writer that was paused after
 * its last leadership check, or whose request was held on the way, lands late and is refused once a newer leader has
 * written. Every attempt, accepted or refused, is logged in the same transaction with the writer's identity, token
 * and instants ({@link FencedWrite}), for {@code FencedWriteChecker}.
 *
 * <p>Many rows (one per scenario or soak history) share the two tables, each under its own name. Each writer opens its
 * own {@link Session}, as separate processes would.
 */
public final class FencedRow {

  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final String name;

  private FencedRow(String jdbcUrl, String user, String password, String name) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.name = name;
  }

  /**
   * Creates the tables if needed and the row {@code name} with token 0 (any token may write first).
   *
   * @throws IllegalArgumentException when a row of that name exists already (its log would mix two runs)
   */
  public static FencedRow create(String jdbcUrl, String user, String password, String name) {
    FencedRow row = new FencedRow(jdbcUrl, user, password, Objects.requireNonNull(name, "name"));
    try (Connection c = row.connect(); Statement s = c.createStatement()) {
      // one statement at a time from one thread: concurrent CREATE ... IF NOT EXISTS can still collide
      synchronized (FencedRow.class) {
        s.execute("CREATE TABLE IF NOT EXISTS fenced_row (name text PRIMARY KEY, token bigint NOT NULL,"
            + " version bigint NOT NULL, writer text, value text)");
        s.execute("CREATE TABLE IF NOT EXISTS fenced_write (seq bigserial PRIMARY KEY, name text NOT NULL,"
            + " token bigint NOT NULL, writer text NOT NULL, incarnation int NOT NULL, writer_nanos bigint NOT NULL,"
            + " writer_wall_millis bigint NOT NULL, accepted boolean NOT NULL, version bigint NOT NULL,"
            + " stored_token bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())");
      }
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO fenced_row (name, token, version) VALUES (?, 0, 0) ON CONFLICT (name) DO NOTHING")) {
        p.setString(1, name);
        if (p.executeUpdate() != 1) {
          throw new IllegalArgumentException("fenced row '" + name + "' exists already; use a fresh name");
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create fenced row '" + name + "' at " + jdbcUrl + ": "
          + e.getMessage(), e);
    }
    return row;
  }

  public String name() {
    return name;
  }

  /** A writer's own connection. */
  public Session open() {
    try {
      return new Session(connect());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to " + jdbcUrl + ": " + e.getMessage(), e);
    }
  }

  /** The token stored now. */
  public long storedToken() {
    try (Connection c = connect();
        PreparedStatement p = c.prepareStatement("SELECT token FROM fenced_row WHERE name = ?")) {
      p.setString(1, name);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read fenced row '" + name + "': " + e.getMessage(), e);
    }
  }

  /** Every logged attempt on this row, in log order. */
  public List<FencedWrite> writes() {
    List<FencedWrite> out = new ArrayList<>();
    try (Connection c = connect(); PreparedStatement p = c.prepareStatement("SELECT seq, token, writer, incarnation,"
        + " writer_nanos, writer_wall_millis, accepted, version, stored_token FROM fenced_write WHERE name = ?"
        + " ORDER BY seq")) {
      p.setString(1, name);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          out.add(new FencedWrite(r.getLong(1), r.getLong(2), r.getString(3), r.getInt(4), r.getLong(5),
              r.getLong(6), r.getBoolean(7), r.getLong(8), r.getLong(9)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the log of fenced row '" + name + "': " + e.getMessage(), e);
    }
    return out;
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, user, password);
  }

  /** One writer's connection to the row. Not thread-safe: one per writer thread. */
  public final class Session implements AutoCloseable {

    private final Connection c;

    private Session(Connection c) throws SQLException {
      this.c = c;
      c.setAutoCommit(false);
    }

    /**
     * Writes {@code value} with fencing {@code token}: accepted iff {@code token} is not lower than the stored one.
     * The attempt is logged in the same transaction, so the log holds exactly the attempts that committed.
     *
     * @param writerNanos the writer's instant of its last leadership check, on the history's time base
     * @return the logged attempt
     * @throws IllegalStateException when the database cannot be reached (nothing committed, or not known)
     */
    public FencedWrite write(long token, String writer, int incarnation, long writerNanos, long writerWallMillis,
        String value) {
      try {
        long version = 0;
        // The whole fence: compare and change in one statement, under the row's lock. A concurrent writer waits for
        // the lock and re-evaluates the condition against the committed row, so no lower token slips in after a
        // higher one. The log insert below runs while this transaction still holds the lock (accepted case), so
        // log order and version order agree.
        try (PreparedStatement u = c.prepareStatement("UPDATE fenced_row SET token = ?, version = version + 1,"
            + " writer = ?, value = ? WHERE name = ? AND token <= ? RETURNING version")) {
          u.setLong(1, token);
          u.setString(2, writer);
          u.setString(3, value);
          u.setString(4, name);
          u.setLong(5, token);
          try (ResultSet r = u.executeQuery()) {
            if (r.next()) {
              version = r.getLong(1);
            }
          }
        }
        long stored = token;
        if (version == 0) {
          try (PreparedStatement s = c.prepareStatement("SELECT token FROM fenced_row WHERE name = ?")) {
            s.setString(1, name);
            try (ResultSet r = s.executeQuery()) {
              stored = r.next() ? r.getLong(1) : Long.MIN_VALUE;
            }
          }
        }
        long seq;
        try (PreparedStatement i = c.prepareStatement("INSERT INTO fenced_write (name, token, writer, incarnation,"
            + " writer_nanos, writer_wall_millis, accepted, version, stored_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " RETURNING seq")) {
          i.setString(1, name);
          i.setLong(2, token);
          i.setString(3, writer);
          i.setInt(4, incarnation);
          i.setLong(5, writerNanos);
          i.setLong(6, writerWallMillis);
          i.setBoolean(7, version > 0);
          i.setLong(8, version);
          i.setLong(9, stored);
          try (ResultSet r = i.executeQuery()) {
            r.next();
            seq = r.getLong(1);
          }
        }
        c.commit();
        return new FencedWrite(seq, token, writer, incarnation, writerNanos, writerWallMillis, version > 0, version,
            stored);
      } catch (SQLException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is gone; the transaction went with it
        }
        throw new IllegalStateException("write to fenced row '" + name + "' with token " + token + " failed: "
            + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        c.close();
      } catch (SQLException e) {
        // closing a broken connection: nothing left to release
      }
    }
  }
}
