package dev.mclease.controller.backend.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.testbed.store.FakeGcsProvider;
import dev.mclease.testbed.store.FakeGcsServer;
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

/**
 * The bug shape fixed in the DynamoDB backend ({@code DynamoDbLostRaceTest}), held against GCS: between an
 * acquirer's read of a lock object and its conditional write, another session acquires the key (and may release it
 * again). The acquirer's write fails its generation precondition: it lost a race, which is an answer ({@code HeldBy}
 * the winner), never a {@code Granted} and never a backend error. The race is made deterministic by a client that
 * runs the rival's acquisition right before each of our lock writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcsLostRaceTest {

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration RENEW = Duration.ofMillis(300);

  private FakeGcsServer server;

  @BeforeAll
  void start() throws Exception {
    Optional<Path> binary = FakeGcsProvider.find();
    assumeTrue(binary.isPresent(), FakeGcsProvider.INSTALL_HINT + ": skipped");
    server = FakeGcsServer.start(binary.get());
    GcsConformanceTest.createBucket(server, GcsConformanceTest.BUCKET);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aWriteLostToAnAcquisitionThatCameAndWentAnswersHeldByIt() throws Exception {
    assertLosesTo(true);
  }

  @Test
  void aWriteLostToAnAcquisitionStillHeldAnswersHeldByIt() throws Exception {
    assertLosesTo(false);
  }

  private void assertLosesTo(boolean rivalReleases) throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    BackendConfig cfg = GcsConformanceTest.config(server.endpoint(), prefix, TTL, RENEW);
    LockValue rivalValue = new LockValue("pod-w", "west", Instant.parse("2026-03-01T10:00:00Z"));
    AtomicInteger rivalGrants = new AtomicInteger();
    long[] rivalToken = new long[1];
    try (GlobalLockBackend rival = GcsLockStore.start(BackendFactory.gcsClient(cfg), GcsConformanceTest.BUCKET,
        prefix, TTL, RENEW, System::nanoTime)) {
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
      try (GlobalLockBackend east = GcsLockStore.start(beforeEachLockWrite(BackendFactory.gcsClient(cfg), rivalWins),
          GcsConformanceTest.BUCKET, prefix, TTL, RENEW, System::nanoTime)) {
        AcquireResult r = east.acquire("ns/a", new LockValue("pod-e", "east", Instant.parse("2026-03-01T10:00:00Z")));

        assertThat(rivalGrants).as("the rival won once, just before our write").hasValue(1);
        assertThat(r).as("a lost conditional write is never a grant").isEqualTo(
            new AcquireResult.HeldBy(rivalValue, rivalToken[0]));
        assertThat(east.current("ns/a").isPresent()).as("still held by the rival").isEqualTo(!rivalReleases);
      }
    }
  }

  /** {@code storage}, but {@code hook} runs before every write of a lock object. */
  private static Storage beforeEachLockWrite(Storage storage, Runnable hook) {
    InvocationHandler h = (proxy, method, args) -> {
      if (method.getName().equals("create") && args != null && args.length > 0 && args[0] instanceof BlobInfo info
          && info.getName().contains("/locks/")) {
        hook.run();
      }
      try {
        return method.invoke(storage, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(), new Class<?>[] {Storage.class}, h);
  }
}
