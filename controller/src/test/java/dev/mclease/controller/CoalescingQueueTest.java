package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class CoalescingQueueTest {

  /** A serial executor run by hand. */
  private final ArrayDeque<Runnable> scheduled = new ArrayDeque<>();
  private final List<List<String>> batches = new ArrayList<>();
  private final List<String> applied = new ArrayList<>();
  private final CoalescingQueue<List<String>> queue = new CoalescingQueue<>(scheduled::add, actions -> {
    List<String> batch = new ArrayList<>();
    for (Consumer<List<String>> a : actions) {
      a.accept(batch);
    }
    applied.addAll(batch);
    batches.add(batch);
  });

  private Consumer<List<String>> event(String name) {
    return l -> l.add(name);
  }

  @Test
  void eventsThatArriveBeforeTheBatchStartsShareOneReconcileInOrder() {
    queue.submit(event("heartbeat-1"));
    queue.submit(event("lock-event"));
    queue.submit(event("heartbeat-2"));
    assertThat(scheduled).hasSize(1);

    scheduled.poll().run();

    assertThat(batches).containsExactly(List.of("heartbeat-1", "lock-event", "heartbeat-2"));
  }

  @Test
  void anEventDuringABatchStartsTheNextOneAndIsNeverLost() {
    AtomicReference<CoalescingQueue<List<String>>> self = new AtomicReference<>();
    List<String> seen = new ArrayList<>();
    self.set(new CoalescingQueue<>(scheduled::add, actions -> {
      List<String> batch = new ArrayList<>();
      actions.forEach(a -> a.accept(batch));
      seen.addAll(batch);
      if (batch.contains("first")) {
        self.get().submit(l -> l.add("during"));
      }
    }));
    self.get().submit(l -> l.add("first"));
    scheduled.poll().run();
    assertThat(scheduled).as("the event submitted while the batch ran scheduled another").hasSize(1);
    scheduled.poll().run();
    assertThat(seen).containsExactly("first", "during");
    assertThat(scheduled).isEmpty();
  }

  @Test
  void eachBatchIsScheduledOnceUntilItStarts() {
    for (int i = 0; i < 100; i++) {
      queue.submit(event("e" + i));
    }
    assertThat(scheduled).hasSize(1);
    scheduled.poll().run();
    queue.submit(event("later"));
    assertThat(scheduled).hasSize(1);
    scheduled.poll().run();
    assertThat(batches).hasSize(2);
    assertThat(applied).hasSize(101).endsWith("later");
  }

  @Test
  void aRefusedScheduleIsRethrownAndDoesNotBlockTheNextSubmit() {
    boolean[] refuse = {true};
    List<Runnable> ran = new ArrayList<>();
    CoalescingQueue<List<String>> q = new CoalescingQueue<>(r -> {
      if (refuse[0]) {
        throw new RejectedExecutionException("closing");
      }
      ran.add(r);
    }, actions -> { });
    assertThatThrownBy(() -> q.submit(event("x"))).isInstanceOf(RejectedExecutionException.class);
    refuse[0] = false;
    q.submit(event("y"));
    assertThat(ran).hasSize(1);
  }
}
