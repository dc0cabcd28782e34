package dev.mclease.testbed.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A wall clock that can be set off by an offset and run at another rate, to give one component a skewed clock.
 *
 * <p>{@code now = anchor + (base.now - baseAnchor) * rate + offset}. Changing the rate re-anchors at the current
 * reading, so a rate change never jumps; changing the offset jumps by the difference (that is the point of it).
 * Thread-safe: the state is one immutable object swapped atomically.
 */
public final class SkewableClock extends Clock {

  private record State(Instant baseAnchor, Instant anchor, double rate, Duration offset) {
  }

  private final Clock base;
  private final ZoneId zone;
  private final Object lock;
  private volatile State state;

  private SkewableClock(Clock base, ZoneId zone, State state, Object lock) {
    this.base = base;
    this.zone = zone;
    this.state = state;
    this.lock = lock;
  }

  /** A skewable clock over the system UTC clock, initially without skew. */
  public static SkewableClock system() {
    return of(Clock.systemUTC());
  }

  /** A skewable clock over {@code base}, initially without skew. */
  public static SkewableClock of(Clock base) {
    Instant now = base.instant();
    return new SkewableClock(base, base.getZone(), new State(now, now, 1.0, Duration.ZERO), new Object());
  }

  /** Sets the offset from the (rate-adjusted) base clock; {@link Duration#ZERO} removes it. Not cumulative. */
  public void skew(Duration offset) {
    synchronized (lock) {
      State s = state;
      state = new State(s.baseAnchor, s.anchor, s.rate, offset);
    }
  }

  /** The current offset. */
  public Duration skew() {
    return state.offset;
  }

  /**
   * Makes the clock run {@code rate} times as fast as the base clock from now on (1.0 = normal, 1.01 = 1% fast).
   *
   * @throws IllegalArgumentException for a negative or non-finite rate
   */
  public void rate(double rate) {
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("rate must be finite and >= 0, got " + rate);
    }
    synchronized (lock) {
      Instant baseNow = base.instant();
      Instant here = unskewed(state, baseNow);
      state = new State(baseNow, here, rate, state.offset);
    }
  }

  /** The current rate. */
  public double rate() {
    return state.rate;
  }

  @Override
  public Instant instant() {
    State s = state;
    return unskewed(s, base.instant()).plus(s.offset);
  }

  private static Instant unskewed(State s, Instant baseNow) {
    long elapsed = Duration.between(s.baseAnchor, baseNow).toNanos();
    return s.anchor.plusNanos(Math.round(elapsed * s.rate));
  }

  @Override
  public ZoneId getZone() {
    return zone == null ? ZoneOffset.UTC : zone;
  }

  /** A view in another zone that shares this clock's skew and rate. */
  @Override
  public Clock withZone(ZoneId otherZone) {
    SkewableClock self = this;
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return otherZone;
      }

      @Override
      public Clock withZone(ZoneId z) {
        return self.withZone(z);
      }

      @Override
      public Instant instant() {
        return self.instant();
      }
    };
  }
}
