package dev.mclease.controller;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Runs tasks one at a time, in order, on a shared executor (the pattern from {@link Executor}'s javadoc). */
final class SerialExecutor implements Executor {

  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private final Executor executor;
  private Runnable active;

  SerialExecutor(Executor executor) {
    this.executor = executor;
  }

  @Override
  public synchronized void execute(Runnable r) {
    tasks.add(() -> {
      try {
        r.run();
      } finally {
        scheduleNext();
      }
    });
    if (active == null) {
      scheduleNext();
    }
  }

  private synchronized void scheduleNext() {
    if ((active = tasks.poll()) != null) {
      try {
        executor.execute(active);
      } catch (RejectedExecutionException shutDown) {
        // the controller is closing: the pool no longer takes work, and the queued tasks are moot
        tasks.clear();
        active = null;
      }
    }
  }
}
