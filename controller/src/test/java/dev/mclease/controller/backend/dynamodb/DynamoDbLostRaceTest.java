package dev.mclease.controller.backend.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.testbed.store.DynaliteProvider;
import dev.mclease.testbed.store.DynaliteServer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

/**
 * The race behind the flaky {@code mutualExclusionUnderConcurrentAcquirers…}: between an acquirer's read of a lock
 * item and its conditional put, another session acquires the key (and may release it again). The acquirer lost
 * a race, which is an answer ({@code HeldBy} the winner), not a backend error. Before, it read again, lost again
 * and after four attempts threw "kept changing; will retry", which a worker reports as an unreachable backend.
 * The race is made deterministic by a client that runs the rival's acquisition right before each of our puts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DynamoDbLostRaceTest {

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration RENEW = Duration.ofMillis(300);

  private DynaliteServer server;

  @BeforeAll
  void start() {
    Optional<Path> cli = DynaliteProvider.findOrInstall();
    assumeTrue(cli.isPresent(), DynaliteProvider.INSTALL_HINT + ": skipped");
    server = DynaliteServer.start(cli.get());
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aPutLostToAnAcquisitionThatCameAndWentAnswersHeldByIt() throws Exception {
    assertLosesTo(true);
  }

  @Test
  void aPutLostToAnAcquisitionStillHeldAnswersHeldByIt() throws Exception {
    assertLosesTo(false);
  }

  private void assertLosesTo(boolean rivalReleases) throws Exception {
    String table = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    BackendConfig cfg = BackendConfig.builder(BackendConfig.Kind.DYNAMODB).ttl(TTL).renewInterval(RENEW)
        .dynamoDb("http://127.0.0.1:" + server.port(), "us-east-1", table, true, true).build();
    LockValue rivalValue = new LockValue("pod-w", "west", Instant.parse("2026-03-01T10:00:00Z"));
    AtomicInteger rivalGrants = new AtomicInteger();
    long[] rivalToken = new long[1];
    try (SessionLockBackend<String> rival = DynamoDbLockStore.start(BackendFactory.dynamoClient(cfg), table, true, TTL,
        RENEW, System::nanoTime)) {
      Runnable rivalWins = () -> {
        try {
          if (rival.acquire("ns/a", rivalValue) instanceof AcquireResult.Granted g) {
            rivalGrants.incrementAndGet();
            rivalToken[0] = g.token();
            if (rivalReleases) {
              rival.release("ns/a", g.token());
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      try (SessionLockBackend<String> east = DynamoDbLockStore.start(beforeEachLockPut(BackendFactory.dynamoClient(cfg),
          rivalWins), table, true, TTL, RENEW, System::nanoTime)) {
        AcquireResult r = east.acquire("ns/a", new LockValue("pod-e", "east", Instant.parse("2026-03-01T10:00:00Z")));

        assertThat(rivalGrants).as("the rival won once, just before our put").hasValue(1);
        assertThat(r).isEqualTo(new AcquireResult.HeldBy(rivalValue, rivalToken[0]));
        assertThat(east.current("ns/a").isPresent()).as("still held by the rival").isEqualTo(!rivalReleases);
      }
    }
  }

  /** {@code db}, but {@code hook} runs before every put of a lock item. */
  private static DynamoDbClient beforeEachLockPut(DynamoDbClient db, Runnable hook) {
    InvocationHandler h = (proxy, method, args) -> {
      if (method.isDefault() && args != null && args.length == 1 && args[0] instanceof java.util.function.Consumer) {
        return InvocationHandler.invokeDefault(proxy, method, args); // the builder form builds, then calls the other
      }
      if (method.getName().equals("putItem") && args[0] instanceof PutItemRequest put
          && put.item().get("pk").s().startsWith("lock#")) {
        hook.run();
      }
      try {
        return method.invoke(db, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (DynamoDbClient) Proxy.newProxyInstance(DynamoDbClient.class.getClassLoader(),
        new Class<?>[] {DynamoDbClient.class}, h);
  }
}
