package dev.mclease.testbed.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A judged history counts the checker's findings by kind, from the checker's own words. */
class HistoryResultTest {

  private long now;
  private final History history = new History(() -> now);

  private void at(long millis) {
    now = Duration.ofMillis(millis).toNanos();
  }

  @Test
  void overlapsTokensAndGapsAreToldApart() {
    at(0);
    history.start("east-1", "east", 5);
    at(1000);
    history.start("west-1", "west", 3); // while east-1 leads, and with a lower token
    at(2000);
    history.stop("east-1", "east");
    history.stop("west-1", "west");
    at(12000);
    history.note("nobody for 10 s");

    var verdict = HistoryChecker.check(history, Duration.ofMillis(7500));
    HistoryResult r = HistoryResult.judged(7, "etcd", 1, List.of(), verdict, 100L, 7500);

    assertThat(r.overlaps()).isEqualTo(1);
    assertThat(r.tokenViolations()).isEqualTo(1);
    assertThat(r.gapMisses()).isEqualTo(1);
    assertThat(r.violations()).hasSize(3);
    assertThat(SoakSummary.problems(r)).containsExactly(SoakSummary.Problem.OVERLAP,
        SoakSummary.Problem.TOKEN_ORDER, SoakSummary.Problem.GAP_OVER_BOUND);
  }

  @Test
  void anUnknownTokenIsATokenViolation() {
    at(0);
    history.start("east-1", "east", 0);
    at(500);
    history.note("end");

    var verdict = HistoryChecker.check(history, Duration.ofMillis(7500));
    assertThat(HistoryResult.judged(1, "etcd", 1, List.of(), verdict, 0L, 7500).tokenViolations()).isEqualTo(1);
  }
}
