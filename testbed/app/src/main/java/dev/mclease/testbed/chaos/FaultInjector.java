package dev.mclease.testbed.chaos;

import dev.mclease.testbed.history.History;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies faults to a running fleet and records each as a span in the history, so the checker knows when the
 * system was allowed to be leaderless. Closing it heals whatever is still injected, newest first.
 */
public final class FaultInjector implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

  private final History history;
  private final Deque<Active> active = new ArrayDeque<>();

  public FaultInjector(History history) {
    this.history = history;
  }

  /** Injects the fault now; returns a handle whose {@code close()} heals it. */
  public synchronized AutoCloseable inject(Fault fault) {
    LOG.info("fault: {}", fault.description());
    AutoCloseable span = history.fault(fault.description());
    fault.inject();
    Active a = new Active(fault, span);
    active.push(a);
    return () -> heal(a);
  }

  private synchronized void heal(Active a) {
    if (!active.remove(a)) {
      return;
    }
    LOG.info("heal: {}", a.fault.description());
    try {
      a.fault.heal();
    } finally {
      try {
        a.span.close();
      } catch (Exception e) {
        LOG.debug("closing fault span", e);
      }
    }
  }

  /** Heals every fault still injected. */
  public synchronized void healAll() {
    while (!active.isEmpty()) {
      heal(active.peek());
    }
  }

  public synchronized int activeCount() {
    return active.size();
  }

  /** The descriptions of the faults injected now, newest first. */
  public synchronized java.util.List<String> activeDescriptions() {
    return active.stream().map(a -> a.fault.description()).toList();
  }

  @Override
  public void close() {
    healAll();
  }

  private record Active(Fault fault, AutoCloseable span) {
  }
}
