package dev.mclease.controller.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class BackendListenersTest {

  private final BackendListeners listeners = new BackendListeners(LoggerFactory.getLogger(BackendListenersTest.class));
  private final List<LockEvent> events = new ArrayList<>();
  private static final LockValue EAST = new LockValue("pod-e", "east", Instant.parse("2026-03-01T10:00:00Z"));

  @Test
  void everyReadBecomesAtMostOneEventAndOnlyChangesAreNews() throws Exception {
    listeners.watch("ns/a", events::add);
    listeners.observed("ns/a", 0, null);
    assertThat(events).as("free at first sight: nothing was released").isEmpty();
    listeners.observed("ns/a", 7, EAST);
    listeners.observed("ns/a", 7, EAST);
    listeners.observed("ns/a", 0, null);
    listeners.observed("ns/a", 0, null);
    listeners.observed("ns/a", 9, null);
    assertThat(events).containsExactly(LockEvent.acquired("ns/a", 7, EAST), LockEvent.released("ns/a", 7),
        LockEvent.acquired("ns/a", 9, null));
  }

  @Test
  void aFailedReadSaysResyncOnceAndWhatFollowsIsNews() throws Exception {
    listeners.watch("ns/a", events::add);
    listeners.unreadable("ns/a");
    assertThat(events).as("nothing was known, nothing to take back").isEmpty();
    listeners.observed("ns/a", 7, EAST);
    listeners.unreadable("ns/a");
    listeners.unreadable("ns/a");
    listeners.observed("ns/a", 7, EAST);
    assertThat(events).containsExactly(LockEvent.acquired("ns/a", 7, EAST), LockEvent.resync("ns/a"),
        LockEvent.acquired("ns/a", 7, EAST));
  }

  @Test
  void aThrowingListenerDoesNotBlindTheOthersAndClosedWatchesHearNothing() throws Exception {
    listeners.watch("ns/a", e -> {
      throw new IllegalStateException("broken worker");
    });
    AutoCloseable b = listeners.watch("ns/a", events::add);
    listeners.watch("ns/b", events::add);
    listeners.dispatch(LockEvent.released("ns/a", 3));
    assertThat(events).containsExactly(LockEvent.released("ns/a", 3));
    b.close();
    listeners.dispatch(LockEvent.released("ns/a", 4));
    assertThat(events).hasSize(1);
    assertThat(listeners.watchedKeys()).containsExactlyInAnyOrder("ns/a", "ns/b");
    listeners.observed("ns/c", 5, EAST);
    assertThat(events).as("an unwatched key is not tracked").hasSize(1);

    AtomicInteger calls = new AtomicInteger();
    listeners.onSessionChange(() -> {
      throw new IllegalStateException("broken");
    });
    AutoCloseable s = listeners.onSessionChange(calls::incrementAndGet);
    listeners.fireSessionChange();
    s.close();
    listeners.fireSessionChange();
    assertThat(calls).hasValue(1);
  }
}
