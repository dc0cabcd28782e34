package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseStatus;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one lease's status writes off the lease's loop: one at a time, in the order given, the newest replacing one
 * not yet sent (latest wins).
 *
 * <p>Why off the loop: a status write takes a few milliseconds, tens on a busy API server, and while the loop waited
 * for it nothing else of the lease moved. At a graceful handover the releasing cluster's loop was often still inside
 * the echo of the leader's last heartbeat when the release arrived, and the lock-store delete — the step every
 * standby waits for — came only after that write returned (up to 28 ms in a probe, docs/performance.md). Now the
 * loop hands the status over and goes on to the lock store at once.
 *
 * <p>Why latest wins: every write replaces the whole status, so only the newest says anything; one replaced before
 * it was sent would have been overwritten at once. Why order is kept: a reader must never see an older status after a
 * newer one ("held" after "released").
 *
 * <p>Why this is safe (docs/safety.md, #4 and #5): when a status write lands decides nothing. The window of an echo is
 * granted, and the heartbeat's {@code seen(T)} fixed, on the loop before the write is handed over; the release wait
 * counts from those; and a candidate counts its confirmation from when it wrote {@code T} ({@code t0(T) + min(D, W)}),
 * so an echo that lands late confirms it for less time, never for more.
 */
final class StatusLane {

  private static final Logger LOG = LoggerFactory.getLogger(StatusLane.class);

  private final String namespace;
  private final String name;
  private final LeaseOutput out;
  private final ControllerMetrics metrics;
  private final LongSupplier nanoTime;
  private final Executor executor;
  private final Runnable onFailure;

  // guarded by this
  private MultiClusterLeaseStatus pending;
  private boolean running;
  private boolean failed;

  /**
   * @param executor where the writes run (the controller's status pool; a direct executor makes them synchronous)
   * @param onFailure called on the writing thread when a write failed and no newer one is waiting: the lease's loop
   *     then re-renders and writes again after {@link StatusWriter#retryDelay}
   */
  StatusLane(String namespace, String name, LeaseOutput out, ControllerMetrics metrics, LongSupplier nanoTime,
      Executor executor, Runnable onFailure) {
    this.namespace = namespace;
    this.name = name;
    this.out = out;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    this.executor = executor;
    this.onFailure = onFailure;
  }

  /** Queues {@code status}, replacing one not yet sent; a write starts unless one is already running. */
  void submit(MultiClusterLeaseStatus status) {
    synchronized (this) {
      pending = status;
      if (running) {
        return;
      }
      running = true;
    }
    try {
      executor.execute(this::drain);
    } catch (RejectedExecutionException shuttingDown) {
      synchronized (this) {
        running = false;
        pending = null;
      }
      LOG.debug("{}/{}: status write dropped: the controller is closing", namespace, name);
    }
  }

  /** Whether the last write failed and nothing newer is queued or running: the status must be written again. */
  synchronized boolean failed() {
    return failed && !running;
  }

  private void drain() {
    while (true) {
      MultiClusterLeaseStatus next;
      synchronized (this) {
        next = pending;
        pending = null;
        if (next == null) {
          running = false;
          return;
        }
      }
      boolean ok = send(next);
      boolean retry;
      synchronized (this) {
        failed = !ok;
        retry = !ok && pending == null;
        if (retry) {
          running = false;
        }
      }
      if (retry) {
        onFailure.run();
        return;
      }
    }
  }

  private boolean send(MultiClusterLeaseStatus status) {
    long t0 = nanoTime.getAsLong();
    try {
      out.writeStatus(namespace, name, status);
      metrics.statusWritten(Duration.ofNanos(nanoTime.getAsLong() - t0));
      return true;
    } catch (RuntimeException e) {
      metrics.statusWriteFailed();
      boolean firstFailure;
      synchronized (this) {
        firstFailure = !failed;
      }
      if (Thread.currentThread().isInterrupted()) {
        LOG.debug("{}/{}: status write interrupted by shutdown ({})", namespace, name, e.toString());
      } else if (firstFailure) {
        LOG.warn("{}/{}: status write failed ({}); retrying", namespace, name, e.toString());
      }
      return false;
    }
  }
}
