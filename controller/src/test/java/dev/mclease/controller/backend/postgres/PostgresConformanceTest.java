package dev.mclease.controller.backend.postgres;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

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
}
