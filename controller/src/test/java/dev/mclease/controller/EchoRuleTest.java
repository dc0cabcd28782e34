package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The echo rule alone: D = 1.5 s, M = 0.5 s, G = 3 s, K = 0.3 s (the short timings), times in milliseconds. */
class EchoRuleTest {

  private static final long MS = 1_000_000L;
  private final EchoRule rule = new EchoRule(Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofSeconds(3),
      Duration.ofMillis(300));

  @ParameterizedTest(name = "held for {0} ms, candidate D {1} -> window {2}")
  @CsvSource(nullValues = "none", value = {
      // held for, published D, granted window (-1 = no echo)
      "3000, none, 1500",  // an old client gets the controller's D, as before
      "2000, none, 1500",  // exactly D + M left
      "1999, none, -1",    // less than D + M: no echo, as before
      "3000, 600,  600",   // a shorter published D is granted as is
      "1100, 600,  600",   // and needs only its own D + M
      "1099, 600,  -1",
      "3000, 8000, 2500",  // a longer D is capped by what the lock covers: heldUntil - now - M
      "2700, 8000, 2200",
      "2000, 8000, 1500",  // never less than the controller's own D
      "1999, 8000, -1",
      "3000, 0,    1500",  // nonsense published values fall back to the controller's D
  })
  void grantsTheWindowTheLockCanCover(long heldForMs, Long published, long expected) {
    long now = 1_000_000 * MS;
    OptionalLong w = rule.grant(now + heldForMs * MS, now, published);
    if (expected < 0) {
      assertThat(w).isEmpty();
    } else {
      assertThat(w).hasValue(expected * MS);
      assertThat(now + w.getAsLong()).as("the window always ends M before the lock can run out")
          .isLessThanOrEqualTo(now + heldForMs * MS - 500 * MS);
    }
  }

  @ParameterizedTest(name = "candidate D {0}: grants end {1} ms before heldUntil")
  @CsvSource(nullValues = "none", value = {"none, 2000", "600, 1100", "8000, 2000"})
  void grantEndsWhereGrantStartsRefusing(Long published, long beforeMs) {
    long hu = 5_000 * MS;
    long end = rule.grantEndsAt(hu, published);
    assertThat(end).isEqualTo(hu - beforeMs * MS);
    assertThat(rule.grant(hu, end, published)).isPresent();
    assertThat(rule.grant(hu, end + 1, published)).isEmpty();
  }

  @ParameterizedTest(name = "renewDeadline {0} ms covered: {1}")
  @CsvSource({"1500, true", "2200, true", "2201, false", "8000, false"})
  void coverIsGMinusKMinusM(long published, boolean covered) {
    assertThat(rule.steadyCover()).isEqualTo(Duration.ofMillis(2200));
    assertThat(rule.covers(published)).isEqualTo(covered);
  }
}
