package dev.mclease.controller.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The conformance suite against a real PostgreSQL server (Debian's package), started on a free loopback port. */
class PostgresConformanceTest extends GlobalLockBackendConformance {

  private PostgresServer server;

  @Override
  protected void startServer() throws Exception {
    assumeTrue(PostgresProvider.available(), PostgresProvider.INSTALL_HINT
        + " to run the PostgreSQL backend's conformance suite");
    server = PostgresProvider.start();
  }

  @Override
  protected void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return List.of(new InetSocketAddress("127.0.0.1", server.port()));
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    InetSocketAddress a = addresses.get(0);
    return BackendFactory.create(BackendConfig.builder(BackendConfig.Kind.POSTGRES).ttl(ttl).renewInterval(renew)
        .postgres("jdbc:postgresql://" + a.getHostString() + ":" + a.getPort() + "/postgres", "postgres", "", scope)
        .build(), nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    try (GlobalLockBackend tables = connect(serverAddresses(), scope, TTL, RENEW, System::nanoTime)) {
      tables.acquire("ns/setup", value("setup", "setup")); // creates the tables
    }
    try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "postgres", "");
        PreparedStatement s = c.prepareStatement("INSERT INTO " + scope + "_sessions VALUES ('hand', now() +"
            + " interval '1 hour')");
        PreparedStatement l = c.prepareStatement("INSERT INTO " + scope + "_locks VALUES (?, 'hand', ?,"
            + " nextval('" + scope + "_tokens'))")) {
      s.executeUpdate();
      l.setString(1, key);
      l.setString(2, raw);
      l.executeUpdate();
    }
  }

  @Override
  protected void killAndRestartServer() throws Exception {
    server.killAndRestart();
  }

  /**
   * The rule of 41e118b, on its own: an acquisition draws its token only once no other acquisition of the same key is
   * in progress (the key's {@code pg_advisory_xact_lock}, taken first in the statement). Drawn before waiting, as it
   * was, a token could be committed after a larger one had been granted and released on that key (the history
   * checker once saw 815 after 818). Here a transaction holds the key's advisory lock as a concurrent acquisition
   * would: the acquire must wait for it, and its token must be larger than one drawn while it waited.
   */
  @Test
  void anAcquireDrawsItsTokenOnlyAfterAnAcquisitionOfTheSameKeyInProgress() throws Exception {
    GlobalLockBackend b = session();
    granted(b.acquire("ns/setup", value("setup", "east"))); // creates the tables and the sequence
    try (Connection inProgress = DriverManager.getConnection(server.jdbcUrl(), "postgres", "");
        Connection observer = DriverManager.getConnection(server.jdbcUrl(), "postgres", "")) {
      inProgress.setAutoCommit(false);
      try (PreparedStatement lock = inProgress.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('" + scope
          + "'), hashtext(?::text))")) {
        lock.setString(1, "ns/k");
        lock.executeQuery().close();
      }
      CompletableFuture<AcquireResult> waiting = CompletableFuture.supplyAsync(() -> {
        try {
          return b.acquire("ns/k", value("pod-a", "east"));
        } catch (BackendException e) {
          throw new CompletionException(e);
        }
      });
      await("the acquire waits on the key's advisory lock").atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20)).until(() -> advisoryWaiters(observer) == 1);
      long drawnMeanwhile;
      try (ResultSet rs = inProgress.createStatement().executeQuery("SELECT nextval('" + scope + "_tokens')")) {
        rs.next();
        drawnMeanwhile = rs.getLong(1);
      }
      inProgress.commit();
      assertThat(granted(waiting.get(10, TimeUnit.SECONDS))).isGreaterThan(drawnMeanwhile);
    }
  }

  private static int advisoryWaiters(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        + " AND NOT granted")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
