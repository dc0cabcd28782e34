package dev.mclease.bench.sut;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling waits for benchmark setup (never inside a measured section). */
public final class Waits {

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Waits() {
  }

  /** Waits until {@code leaders} names exactly one identity, the same one, for {@code quiet}; returns it. */
  public static String stableSingle(Supplier<List<String>> leaders, Duration quiet, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String current = null;
    long since = 0;
    while (System.nanoTime() < deadline) {
      List<String> now = leaders.get();
      String single = now.size() == 1 ? now.get(0) : null;
      long t = System.nanoTime();
      if (single == null || !single.equals(current)) {
        current = single;
        since = t;
      } else if (t - since >= quiet.toNanos()) {
        return current;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    throw new IllegalStateException("no stable " + what + " within " + timeout + " (last seen: " + leaders.get()
        + "); see the log above for what the system did");
  }

  /** Waits until {@code condition} holds. */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Sleeps, ignoring interrupts' absence of meaning here. */
  public static void sleep(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    long left;
    while ((left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }
}
