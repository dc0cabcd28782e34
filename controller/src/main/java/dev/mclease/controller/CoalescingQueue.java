package dev.mclease.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The events of one lease, folded into batches: every submitted action runs, in submission order, and each batch of
 * them is handed to the batch step (apply them, then reconcile once) on a serial executor.
 *
 * <p>Why: a reconcile may write status and call the lock store, tens of milliseconds each on a busy API server, and
 * every heartbeat, lock event and timer asks for one. One reconcile per event lets a lease's backlog grow faster than
 * the workers drain it once a controller serves many leases, and every queued reconcile then echoes a heartbeat that
 * a newer one has already replaced. Folding loses nothing the reconcile needs: it decides from the state the actions
 * left, never from the number of events, and an action submitted while a batch runs starts another batch.
 */
final class CoalescingQueue<T> {

  private final Queue<Consumer<T>> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Executor serial;
  private final Consumer<List<Consumer<T>>> batch;

  /** @param serial runs one batch at a time (a {@link SerialExecutor}); @param batch applies a batch and reconciles */
  CoalescingQueue(Executor serial, Consumer<List<Consumer<T>>> batch) {
    this.serial = serial;
    this.batch = batch;
  }

  /** Queues {@code action}; a batch is scheduled unless one is already waiting to start. */
  void submit(Consumer<T> action) {
    pending.add(action);
    if (scheduled.compareAndSet(false, true)) {
      try {
        serial.execute(this::drain);
      } catch (RejectedExecutionException shuttingDown) {
        scheduled.set(false);
        throw shuttingDown;
      }
    }
  }

  private void drain() {
    // cleared before taking the actions: one submitted from here on schedules the next batch, so none is left behind
    scheduled.set(false);
    List<Consumer<T>> actions = new ArrayList<>();
    for (Consumer<T> a = pending.poll(); a != null; a = pending.poll()) {
      actions.add(a);
    }
    batch.accept(actions);
  }
}
