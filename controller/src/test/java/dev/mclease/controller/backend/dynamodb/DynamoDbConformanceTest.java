package dev.mclease.controller.backend.dynamodb;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.store.DynaliteProvider;
import dev.mclease.testbed.store.DynaliteServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The conformance suite against {@code dynalite} 4.0.0, an open-source DynamoDB <em>emulator</em> (not Amazon's
 * service, and never Amazon's closed "DynamoDB Local"), run as a Node process on loopback.
 */
class DynamoDbConformanceTest extends GlobalLockBackendConformance {

  private DynaliteServer server;

  @Override
  protected void startServer() throws Exception {
    Optional<Path> cli = DynaliteProvider.findOrInstall();
    assumeTrue(cli.isPresent(), DynaliteProvider.INSTALL_HINT + ": the DynamoDB backend's conformance suite is"
        + " skipped");
    server = DynaliteServer.start(cli.get());
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
    return BackendFactory.create(BackendConfig.builder(BackendConfig.Kind.DYNAMODB).ttl(ttl).renewInterval(renew)
        .dynamoDb("http://" + a.getHostString() + ":" + a.getPort(), "us-east-1", scope, true, true)
        .build(), nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    try (GlobalLockBackend tables = connect(serverAddresses(), scope, TTL, RENEW, System::nanoTime)) {
      tables.acquire("ns/setup", value("setup", "setup")); // creates the table
    }
    try (DynamoDbClient db = BackendFactory.dynamoClient(BackendConfig.builder(BackendConfig.Kind.DYNAMODB)
        .dynamoDb("http://127.0.0.1:" + server.port(), "us-east-1", scope, true, true).build())) {
      db.putItem(r -> r.tableName(scope).item(Map.of("pk", AttributeValue.builder().s("lock#" + key).build(),
          "session", AttributeValue.builder().s("hand").build(), "value", AttributeValue.builder().s(raw).build(),
          "token", AttributeValue.builder().n("7").build())));
    }
  }

  @Override
  protected void killAndRestartServer() throws Exception {
    server.killAndRestart();
  }
}
