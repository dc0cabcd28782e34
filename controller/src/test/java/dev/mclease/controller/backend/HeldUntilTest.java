package dev.mclease.controller.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeldUntilTest {

  private static final long TTL = 2_000;
  // near the wrap-around, as System.nanoTime() may be: comparisons must not overflow
  private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 1_000);
  private final HeldUntil held = new HeldUntil(now::get);

  @Test
  void noSessionIsLapsed() {
    assertThat(held.lapsed()).isTrue();
    assertThat(held.nanos()).isEqualTo(Long.MIN_VALUE);
    assertThat(held.renewed(now.get(), TTL)).as("nothing to renew").isFalse();
  }

  @Test
  void answeredRenewalsExtendFromTheirSendInstantNeverBackwards() {
    long start = now.get();
    held.started(start, TTL);
    now.addAndGet(500);
    assertThat(held.renewed(start + 400, TTL)).isTrue();
    assertThat(held.nanos()).isEqualTo(start + 400 + TTL);
    assertThat(held.renewed(start + 100, TTL)).as("an older renewal answered late but in time").isTrue();
    assertThat(held.nanos()).as("never moves back").isEqualTo(start + 400 + TTL);
    now.addAndGet(1_899);
    assertThat(held.live()).isTrue();
    now.addAndGet(1);
    assertThat(held.lapsed()).as("past the wrap-around, exactly at the instant").isTrue();
  }

  @Test
  void anAnswerAfterTheInstantDoesNotReviveTheSession() {
    long start = now.get();
    held.started(start, TTL);
    now.addAndGet(TTL + 1);
    assertThat(held.renewed(start + 1_000, TTL)).as("sent in time, answered too late").isFalse();
    assertThat(held.lapsed()).isTrue();
    held.clear();
    assertThat(held.nanos()).isEqualTo(Long.MIN_VALUE);
  }
}
