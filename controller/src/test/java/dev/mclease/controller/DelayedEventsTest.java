package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DelayedEventsTest {

  private final List<String> sent = new CopyOnWriteArrayList<>();

  @Test
  void eachSendRunsNoEarlierThanItsDelayInTheOrderSubmitted() {
    Duration delay = Duration.ofMillis(200);
    List<Long> lateBy = new CopyOnWriteArrayList<>();
    try (DelayedEvents events = new DelayedEvents(delay, Duration.ofSeconds(1), System::nanoTime)) {
      for (String name : List.of("acquired", "released", "lost")) {
        long submitted = System.nanoTime();
        events.submit(() -> {
          lateBy.add(System.nanoTime() - submitted);
          sent.add(name);
        });
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> sent.size() == 3);
    }
    assertThat(sent).containsExactly("acquired", "released", "lost");
    assertThat(lateBy).allSatisfy(ns -> assertThat(ns).isGreaterThanOrEqualTo(delay.toNanos()));
  }

  @Test
  void closeSendsWhatIsQueuedAtOnceInOrder() {
    DelayedEvents events = new DelayedEvents(Duration.ofHours(1), Duration.ofSeconds(5), System::nanoTime);
    events.submit(() -> sent.add("released a"));
    events.submit(() -> sent.add("released b"));
    assertThat(sent).isEmpty();

    events.close();

    assertThat(sent).as("sent before close returned, without their hour").containsExactly("released a",
        "released b");
    assertThat(events.submit(() -> sent.add("late"))).isFalse();
    assertThat(sent).hasSize(2);
  }

  @Test
  void closeGivesUpOnASendThatHangsAfterItsBound() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    DelayedEvents events = new DelayedEvents(Duration.ZERO, Duration.ofMillis(200), System::nanoTime);
    events.submit(() -> {
      started.countDown();
      try {
        never.await(); // an API server behind a cut link: the request does not come back
      } catch (InterruptedException e) {
        sent.add("interrupted");
      }
    });
    events.submit(() -> sent.add("queued behind it"));
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    events.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> sent.contains("interrupted"));
    assertThat(sent).containsExactly("interrupted");
  }
}
