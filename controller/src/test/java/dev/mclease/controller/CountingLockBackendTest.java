package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.LockValue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CountingLockBackendTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeBackend store = new FakeBackend();
  private final CountingLockBackend backend = new CountingLockBackend(store, new ControllerMetrics(registry, "east"));

  private double count(String op) {
    var c = registry.find("mclease.backend.requests").tag("cluster", "east").tag("op", op).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void eachCallIsCountedByKindAndAnsweredByTheStore() throws Exception {
    store.heldUntil = Long.MAX_VALUE;
    AcquireResult first = backend.acquire("team-a/op", new LockValue("pod-a", "east", Instant.EPOCH));
    AcquireResult second = backend.acquire("team-a/op", new LockValue("pod-b", "west", Instant.EPOCH));
    assertThat(first).isInstanceOf(AcquireResult.Granted.class);
    assertThat(second).isInstanceOf(AcquireResult.HeldBy.class);
    assertThat(backend.current("team-a/op")).isPresent();
    backend.release("team-a/op", ((AcquireResult.Granted) first).token());
    assertThat(backend.current("team-a/op")).isEmpty();
    backend.releaseAll();

    assertThat(count("acquire")).isEqualTo(2);
    assertThat(count("current")).isEqualTo(2);
    assertThat(count("release")).isEqualTo(1);
    assertThat(count("release_all")).isEqualTo(1);
    assertThat(backend.heldUntilNanos()).isEqualTo(store.heldUntilNanos());
  }
}
