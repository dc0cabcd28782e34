package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.mclease.crd.MultiClusterLeaseStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One lease's status writes off its loop: one at a time, in order, the newest replacing one not yet sent. */
class StatusLaneTest {

  private final RecordingOutput out = new RecordingOutput();
  private final ControllerMetrics metrics = new ControllerMetrics(new SimpleMeterRegistry(), "east");
  private final AtomicInteger failures = new AtomicInteger();
  private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
  private ExecutorService pool;
  private Runnable lane2Submit;

  @AfterEach
  void tearDown() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private StatusLane lane(java.util.concurrent.Executor executor) {
    return new StatusLane("team-a", "my-operator", out, metrics, System::nanoTime, executor,
        failures::incrementAndGet);
  }

  private static MultiClusterLeaseStatus status(String leader) {
    MultiClusterLeaseStatus s = new MultiClusterLeaseStatus();
    s.setLeader(leader);
    return s;
  }

  private List<String> leaders() {
    synchronized (out) {
      return out.statuses.stream().map(MultiClusterLeaseStatus::getLeader).toList();
    }
  }

  @Test
  void statusesHandedOverBeforeTheWriteStartsBecomeOneWriteOfTheNewest() {
    StatusLane lane = lane(queued::add);
    lane.submit(status("a"));
    lane.submit(status("b"));
    lane.submit(status(""));
    assertThat(queued).as("one drain for the three").hasSize(1);

    queued.poll().run();
    assertThat(leaders()).containsExactly("");
    assertThat(lane.failed()).isFalse();
  }

  @Test
  void aStatusHandedOverDuringAWriteIsWrittenAfterItNeverBefore() throws Exception {
    CountDownLatch inWrite = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    LeaseOutput slow = new LeaseOutput() {
      @Override
      public void writeStatus(String namespace, String name, MultiClusterLeaseStatus status) {
        if ("a".equals(status.getLeader())) {
          inWrite.countDown();
          try {
            letGo.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        out.writeStatus(namespace, name, status);
      }

      @Override
      public void event(String namespace, String name, String type, String reason, String message) {
      }
    };
    pool = Executors.newFixedThreadPool(4);
    StatusLane lane = new StatusLane("team-a", "my-operator", slow, metrics, System::nanoTime, pool,
        failures::incrementAndGet);
    lane.submit(status("a"));
    assertThat(inWrite.await(10, TimeUnit.SECONDS)).isTrue();
    lane.submit(status("b"));
    lane.submit(status("c"));
    assertThat(leaders()).as("nothing overtakes the write in flight, though the pool has idle threads").isEmpty();

    letGo.countDown();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> leaders().size() == 2);
    assertThat(leaders()).containsExactly("a", "c");
    assertThat(failures).hasValue(0);
  }

  @Test
  void aFailedWriteWithNothingNewerAsksTheLoopToTryAgainAndSaysSoUntilTheNextWrite() {
    StatusLane lane = lane(queued::add);
    out.failWrites = true;
    lane.submit(status("a"));
    assertThat(lane.failed()).as("not failed while on its way").isFalse();
    queued.poll().run();
    assertThat(failures).hasValue(1);
    assertThat(lane.failed()).isTrue();

    out.failWrites = false;
    lane.submit(status("a"));
    assertThat(lane.failed()).as("a write is on its way again").isFalse();
    queued.poll().run();
    assertThat(leaders()).containsExactly("a");
    assertThat(lane.failed()).isFalse();
    assertThat(failures).as("no retry asked for after a success").hasValue(1);
  }

  @Test
  void aFailedWriteFollowedByANewerOneWritesTheNewerAndAsksForNoRetry() {
    LeaseOutput failsFirst = new LeaseOutput() {
      private int calls;

      @Override
      public void writeStatus(String namespace, String name, MultiClusterLeaseStatus status) {
        if (calls++ == 0) {
          lane2Submit.run(); // a newer status arrives while the first write is failing
          throw new IllegalStateException("API server down");
        }
        out.writeStatus(namespace, name, status);
      }

      @Override
      public void event(String namespace, String name, String type, String reason, String message) {
      }
    };
    StatusLane lane = new StatusLane("team-a", "my-operator", failsFirst, metrics, System::nanoTime, queued::add,
        failures::incrementAndGet);
    lane2Submit = () -> lane.submit(status("b"));
    lane.submit(status("a"));
    queued.poll().run();
    assertThat(leaders()).containsExactly("b");
    assertThat(failures).hasValue(0);
    assertThat(lane.failed()).isFalse();
    assertThat(queued).as("the running drain took the newer one itself").isEmpty();
  }

  @Test
  void aClosingPoolDropsTheWriteQuietlyAndTheLaneStaysUsable() {
    AtomicInteger attempts = new AtomicInteger();
    StatusLane lane = lane(r -> {
      attempts.incrementAndGet();
      throw new RejectedExecutionException("shut down");
    });
    assertThatCode(() -> lane.submit(status("a"))).doesNotThrowAnyException();
    assertThatCode(() -> lane.submit(status("b"))).doesNotThrowAnyException();
    assertThat(attempts).as("not left marked as running: the second write was tried too").hasValue(2);
    assertThat(leaders()).isEmpty();
    assertThat(lane.failed()).isFalse();
  }
}
