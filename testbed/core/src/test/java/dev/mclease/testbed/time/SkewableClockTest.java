package dev.mclease.testbed.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SkewableClockTest {

  /** A base clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(0, nanos.get());
    }
  }

  @Test
  void offsetShiftsAndIsNotCumulative() {
    ManualClock base = new ManualClock();
    SkewableClock clock = SkewableClock.of(base);
    Instant before = clock.instant();
    clock.skew(Duration.ofSeconds(30));
    clock.skew(Duration.ofSeconds(30));
    assertThat(Duration.between(before, clock.instant())).isEqualTo(Duration.ofSeconds(30));
    assertThat(clock.skew()).isEqualTo(Duration.ofSeconds(30));
    clock.skew(Duration.ofSeconds(-5));
    assertThat(Duration.between(before, clock.instant())).isEqualTo(Duration.ofSeconds(-5));
  }

  @Test
  void rateChangesWithoutJumping() {
    ManualClock base = new ManualClock();
    SkewableClock clock = SkewableClock.of(base);
    base.advance(Duration.ofSeconds(10));
    Instant atChange = clock.instant();
    clock.rate(2.0);
    assertThat(clock.instant()).isEqualTo(atChange);
    base.advance(Duration.ofSeconds(10));
    assertThat(Duration.between(atChange, clock.instant())).isEqualTo(Duration.ofSeconds(20));
    assertThat(clock.withZone(ZoneId.of("Europe/Paris")).instant()).isEqualTo(clock.instant());
    assertThat(clock.millis()).isEqualTo(clock.instant().toEpochMilli());
    assertThatThrownBy(() -> clock.rate(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void systemClockIsNearTheRealOne() {
    SkewableClock clock = SkewableClock.system();
    assertThat(Duration.between(Instant.now(), clock.instant()).abs()).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void nanoTimeRunsAtItsRateAndNeverGoesBack() {
    AtomicLong base = new AtomicLong(5_000);
    SkewableNanoTime t = SkewableNanoTime.of(base::get);
    assertThat(t.getAsLong()).isEqualTo(5_000);
    base.addAndGet(1_000);
    assertThat(t.getAsLong()).isEqualTo(6_000);
    t.rate(0.5);
    base.addAndGet(1_000);
    assertThat(t.getAsLong()).isEqualTo(6_500);
    t.rate(0);
    base.addAndGet(1_000);
    assertThat(t.getAsLong()).isEqualTo(6_500);
    t.advance(Duration.ofNanos(100));
    assertThat(t.getAsLong()).isEqualTo(6_600);
    assertThatThrownBy(() -> t.rate(-0.1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
    SkewableNanoTime sys = SkewableNanoTime.system();
    long a = sys.getAsLong();
    assertThat(sys.getAsLong()).isGreaterThanOrEqualTo(a);
  }

  @Test
  void aRemainderOnTheSkewedClockTakesRemainderOverRateOfRealTime() {
    AtomicLong base = new AtomicLong(0);
    SkewableNanoTime t = SkewableNanoTime.of(base::get);
    assertThat(t.realNanos(1_500_000_000L)).isEqualTo(1_500_000_000L);
    t.rate(0.9);
    // a slow clock believes its 1.5 s for 1.67 s of real time: what the history must hold
    assertThat(t.realNanos(1_500_000_000L)).isEqualTo(1_666_666_667L);
    long deadline = t.getAsLong() + 900;
    base.addAndGet(t.realNanos(deadline - t.getAsLong()));
    assertThat(t.getAsLong()).as("the skewed clock reaches its deadline after realNanos of base time")
        .isEqualTo(deadline);
    t.rate(1.1);
    assertThat(t.realNanos(2_200)).isBetween(2_000L, 2_001L);
    assertThat(t.realNanos(-2_200)).as("a deadline passed").isBetween(-2_000L, -1_999L);
    t.rate(0);
    assertThat(t.realNanos(1)).as("a frozen clock never gets there").isEqualTo(SkewableNanoTime.NEVER);
    assertThat(t.realNanos(0)).isZero();
  }
}
