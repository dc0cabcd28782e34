package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The release rule alone: M = 0.5 s (the short timings), times in milliseconds. */
class ReleaseRuleTest {

  private static final long MS = 1_000_000L;
  private final ReleaseRule rule = new ReleaseRule(Duration.ofMillis(500));

  @ParameterizedTest(name = "{0}, echo seen at {1} with window {2}, now {3} -> release at {4}, now: {5}")
  @CsvSource(nullValues = "none", value = {
      // reason, seen(T), W, now, release at, may release now
      "RELEASED,          0,    1500, 10,   10,   true",   // the candidate asked: at once, whatever was echoed
      "HEARTBEAT_EXPIRED, 0,    1500, 1999, 2000, false",  // seen + W + M = 2000
      "HEARTBEAT_EXPIRED, 0,    1500, 2000, 2000, true",
      "HOLDER_CHANGED,    100,  2500, 3099, 3100, false",  // the window actually granted, not D
      "HOLDER_CHANGED,    100,  2500, 3100, 3100, true",
      "RESTARTED,         0,    600,  1099, 1100, false",  // a short published D shortens the wait
      "RESTARTED,         0,    600,  1100, 1100, true",
      "INVALID_SPEC,      0,    1500, 100,  2000, false",
      "DELETED,           0,    1500, 100,  2000, false",
      "SHUTDOWN,          0,    1500, 100,  2000, false",
      "SHUTDOWN,          none, none, 100,  100,  true",   // nothing echoed: nothing to wait for
      "HOLDER_CHANGED,    none, none, 100,  100,  true",
  })
  void waitsUntilTheLastEchoCanNoLongerBeInForce(ReleaseReason why, Long seen, Long window, long now, long at,
      boolean mayNow) {
    LastEcho last = seen == null ? null
        : new LastEcho(new MicroTime("2026-03-01T10:00:01.000000Z"), seen * MS, window * MS);
    assertThat(rule.releaseAt(why, last, now * MS)).isEqualTo(at * MS);
    assertThat(rule.mayRelease(why, last, now * MS)).isEqualTo(mayNow);
  }
}
