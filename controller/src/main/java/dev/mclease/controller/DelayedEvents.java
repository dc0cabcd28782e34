package dev.mclease.controller;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sends of Kubernetes events on one thread of its own, each a fixed delay after it was submitted, in the
 * order submitted; {@link #close} sends what is still waiting at once, within a bound. The delay keeps an event off
 * the API server while the write that matters is on its way (an acquisition's event and its echo were sent in the
 * same millisecond, KubernetesLeaseOutput); the bounded flush lets a controller that stops after {@code releaseAll}
 * still record its releases, while a controller whose links are cut does not hang on them.
 */
final class DelayedEvents implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DelayedEvents.class);

  private final long delayNanos;
  private final LongSupplier nanoTime;
  private final Duration flushBound;
  private final Thread thread;
  private final Object gate = new Object();

  // --- guarded by gate ---
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean closing;

  /**
   * @param delay how long each send waits after {@link #submit}
   * @param flushBound how long {@link #close} waits for the sends still queued, which it starts at once
   */
  DelayedEvents(Duration delay, Duration flushBound, LongSupplier nanoTime) {
    this.delayNanos = delay.toNanos();
    this.flushBound = flushBound;
    this.nanoTime = nanoTime;
    this.thread = new Thread(this::run, "mclease-events");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues {@code send} to run the delay from now; false (and nothing queued) once closing. */
  boolean submit(Runnable send) {
    synchronized (gate) {
      if (closing) {
        return false;
      }
      queue.add(new Pending(nanoTime.getAsLong() + delayNanos, send));
      gate.notifyAll();
      return true;
    }
  }

  /** Sends what is queued now, without its delay, and waits at most the flush bound for it; then stops. */
  @Override
  public void close() {
    synchronized (gate) {
      closing = true;
      gate.notifyAll();
    }
    try {
      thread.join(flushBound.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      int dropped;
      synchronized (gate) {
        dropped = queue.size();
        queue.clear();
      }
      thread.interrupt();
      LOG.debug("events not sent within {} of closing: {} dropped", flushBound, dropped);
    }
  }

  private void run() {
    while (true) {
      Pending next;
      synchronized (gate) {
        while (queue.isEmpty() && !closing) {
          if (!await(0)) {
            return;
          }
        }
        next = queue.peek();
        if (next == null) {
          return; // closing, nothing left
        }
        long wait = next.dueNanos() - nanoTime.getAsLong();
        if (wait > 0 && !closing) {
          if (!await(wait)) {
            return;
          }
          continue; // re-read: closing may have begun, or time passed
        }
        queue.poll();
      }
      try {
        next.send().run();
      } catch (RuntimeException e) {
        LOG.debug("an event's send failed", e);
      }
    }
  }

  /** Waits on the gate (0 = until notified); false when interrupted, which only close does. Caller holds gate. */
  private boolean await(long nanos) {
    try {
      if (nanos == 0) {
        gate.wait();
      } else {
        TimeUnit.NANOSECONDS.timedWait(gate, nanos);
      }
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private record Pending(long dueNanos, Runnable send) {
  }
}
