package dev.mclease.bench.sut;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Every {@code onStartLeading} of one system under test, stamped with {@link System#nanoTime()} on the thread
 * that ran the callback. A benchmark arms {@link #next} before it injects a fault and waits on the future.
 */
public final class LeaderEvents {

  /** One {@code onStartLeading}: who, and when on the monotonic clock. */
  public record Started(String identity, long nanoTime) {
  }

  private record Waiter(Predicate<String> who, CompletableFuture<Started> future) {
  }

  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

  /** Called from a candidate's {@code onStartLeading}. */
  public void started(String identity) {
    Started s = new Started(identity, System.nanoTime());
    for (Waiter w : waiters) {
      if (w.who().test(identity) && w.future().complete(s)) {
        waiters.remove(w);
      }
    }
  }

  /** The next {@code onStartLeading} of a candidate {@code who} accepts, from now on. */
  public CompletableFuture<Started> next(Predicate<String> who) {
    Waiter w = new Waiter(who, new CompletableFuture<>());
    waiters.add(w);
    w.future().whenComplete((s, t) -> waiters.remove(w));
    return w.future();
  }
}
