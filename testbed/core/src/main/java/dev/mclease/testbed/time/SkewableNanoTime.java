package dev.mclease.testbed.time;

import java.util.function.LongSupplier;

/**
 * A monotonic nanosecond source (like {@link System#nanoTime()}) whose rate can be changed, to model a process
 * whose clock runs fast or slow. It never goes backwards: a rate change re-anchors at the current reading, and
 * rate 0 freezes it. {@link #advance} jumps it forward (e.g. to model a suspended VM catching up).
 */
public final class SkewableNanoTime implements LongSupplier {

  private record State(long baseAnchor, long anchor, double rate) {
  }

  private final LongSupplier base;
  private volatile State state;
  private long last = Long.MIN_VALUE;

  private SkewableNanoTime(LongSupplier base) {
    this.base = base;
    long now = base.getAsLong();
    this.state = new State(now, now, 1.0);
  }

  /** Over {@link System#nanoTime()}, initially at rate 1. */
  public static SkewableNanoTime system() {
    return new SkewableNanoTime(System::nanoTime);
  }

  /** Over another monotonic source (e.g. a test's manual clock), initially at rate 1. */
  public static SkewableNanoTime of(LongSupplier base) {
    return new SkewableNanoTime(base);
  }

  /**
   * Runs {@code rate} times as fast as the base from now on.
   *
   * @throws IllegalArgumentException for a negative or non-finite rate (a monotonic clock cannot run backwards)
   */
  public synchronized void rate(double rate) {
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("rate must be finite and >= 0, got " + rate);
    }
    long baseNow = base.getAsLong();
    state = new State(baseNow, read(state, baseNow), rate);
  }

  /** The current rate. */
  public double rate() {
    return state.rate;
  }

  /**
   * How long {@code nanos} of this clock take in real (base) time at the current rate: a clock at 0.9 needs
   * {@code nanos / 0.9} of real time to count {@code nanos}. A frozen clock (rate 0) never gets there: a very long
   * time, without overflowing a deadline it is added to. Exact while the rate stays as it is; a caller that keeps a
   * real deadline must convert again after a {@link #rate} change.
   */
  public long realNanos(long nanos) {
    double r = state.rate;
    if (r == 1.0) {
      return nanos;
    }
    if (r == 0) {
      return nanos > 0 ? NEVER : nanos;
    }
    // rounded up: a history that holds the belief a nanosecond long errs on the side of seeing an overlap
    double real = Math.ceil(nanos / r);
    return real >= NEVER ? NEVER : real <= -NEVER ? -NEVER : (long) real;
  }

  /** What {@link #realNanos} says for a clock that never gets there: about 73 years, far from overflow. */
  static final long NEVER = Long.MAX_VALUE / 4;

  /** Jumps forward by {@code nanos} (must be >= 0). */
  public synchronized void advance(java.time.Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a monotonic clock only moves forward, got " + by);
    }
    State s = state;
    state = new State(s.baseAnchor, s.anchor + by.toNanos(), s.rate);
  }

  @Override
  public synchronized long getAsLong() {
    long v = read(state, base.getAsLong());
    // Rounding after a rate change could otherwise step back by a nanosecond.
    if (v < last) {
      v = last;
    }
    last = v;
    return v;
  }

  private static long read(State s, long baseNow) {
    return s.anchor + Math.round((baseNow - s.baseAnchor) * s.rate);
  }
}
