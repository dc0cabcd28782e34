package dev.mclease.controller.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.testbed.store.ZooKeeperProvider;
import dev.mclease.testbed.store.ZooKeeperServer;
import dev.mclease.testbed.time.SkewableNanoTime;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The race behind {@code ZooKeeperEnsembleConformanceTest.aProcessPausedLongerThanG…} failing in 1 full run of 2:
 * after the holder's clock jumps past heldUntil, a request answered <em>before</em> the renewal timer noticed the
 * lapse extended heldUntil again, so the lapsed key stayed held by a session that had given it up and nobody else
 * could acquire it. Here the renewal interval is long, so that the request is always the acquire right after the
 * jump: deterministic, and without the fix the contender never gets the key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZooKeeperLateAnswerTest {

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration SLOW_RENEW = Duration.ofMillis(1900);

  private ZooKeeperServer server;

  @BeforeAll
  void start() {
    server = ZooKeeperProvider.start(ZooKeeperConformanceTest.TICK_MS);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anAnswerThatArrivesAfterHeldUntilDoesNotReviveTheLapsedKeys() throws Exception {
    List<InetSocketAddress> at = List.of(new InetSocketAddress("127.0.0.1", server.port()));
    SkewableNanoTime clock = SkewableNanoTime.system();
    LockValue e = new LockValue("pod-e", "east", Instant.parse("2026-03-01T10:00:00Z"));
    LockValue w = new LockValue("pod-w", "west", Instant.parse("2026-03-01T10:00:00Z"));
    try (GlobalLockBackend east = ZooKeeperConformanceTest.connectTo(at, "late", TTL, SLOW_RENEW, clock);
        GlobalLockBackend west = ZooKeeperConformanceTest.connectTo(at, "late", TTL, SLOW_RENEW, System::nanoTime)) {
      long t1 = ((AcquireResult.Granted) east.acquire("ns/a", e)).token();
      clock.advance(TTL.multipliedBy(3));
      assertThat(east.heldUntilNanos() - clock.getAsLong()).as("lapsed").isNegative();

      east.acquire("ns/b", e); // confirms the session with a request answered after heldUntil

      await().atMost(TTL.multipliedBy(2)).ignoreExceptions().untilAsserted(() ->
          assertThat(west.acquire("ns/a", w)).isInstanceOf(AcquireResult.Granted.class));
      assertThat(west.current("ns/a").orElseThrow().token()).isGreaterThan(t1);
    }
  }
}
