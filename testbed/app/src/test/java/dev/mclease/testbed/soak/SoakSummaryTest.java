package dev.mclease.testbed.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.testbed.soak.HistoryResult.FaultResult;
import dev.mclease.testbed.soak.SoakSummary.Problem;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The soak's rules, one case each, and what a mixed soak adds up to. */
class SoakSummaryTest {

  private static final long BOUND = 7500;

  private static HistoryResult history(long seed, int overlaps, int tokens, int gaps, Long recovery, String error) {
    List<String> violations = overlaps + tokens + gaps == 0 ? List.of() : List.of("a violation");
    return new HistoryResult(seed, "etcd", 1, List.of(fault("controller killed", 900, 0)), overlaps, tokens, gaps,
        violations, recovery, BOUND, error, null, null);
  }

  private static FaultResult fault(String type, long gap, long counted) {
    return new FaultResult(type, type + " of east", 100, 1000, gap, counted, BOUND);
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        Arguments.of("a clean history", history(1, 0, 0, 0, 400L, null), List.of()),
        Arguments.of("two leaders at once", history(2, 1, 0, 0, 400L, null), List.of(Problem.OVERLAP)),
        Arguments.of("a token not increasing", history(3, 0, 1, 0, 400L, null), List.of(Problem.TOKEN_ORDER)),
        Arguments.of("a gap over the bound", history(4, 0, 0, 1, 400L, null), List.of(Problem.GAP_OVER_BOUND)),
        Arguments.of("no leader within the patience", history(5, 0, 0, 0, null, null), List.of(Problem.NO_RECOVERY)),
        Arguments.of("a leader later than the bound", history(6, 0, 0, 0, BOUND + 1, null),
            List.of(Problem.LATE_RECOVERY)),
        Arguments.of("a leader just at the bound", history(7, 0, 0, 0, BOUND, null), List.of()),
        Arguments.of("a history that could not run (no recovery counted twice)",
            history(8, 0, 0, 0, null, "no first leader"), List.of(Problem.ERROR)),
        Arguments.of("a violating history: every finding at once", history(9, 2, 1, 1, BOUND * 2, null),
            List.of(Problem.OVERLAP, Problem.TOKEN_ORDER, Problem.GAP_OVER_BOUND, Problem.LATE_RECOVERY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void eachRule(String name, HistoryResult history, List<Problem> expected) {
    assertThat(SoakSummary.problems(history)).isEqualTo(expected);
    SoakSummary one = SoakSummary.of(List.of(history));
    assertThat(one.ok()).isEqualTo(expected.isEmpty());
    assertThat(one.failures()).extracting(SoakSummary.Failure::problems)
        .containsExactlyElementsOf(expected.isEmpty() ? List.of() : List.of(expected));
  }

  @Test
  void aMixedSoakAddsUp() {
    HistoryResult clean = history(1000, 0, 0, 0, 300L, null);
    HistoryResult overlap = history(1001, 1, 0, 0, 200L, null);
    HistoryResult late = new HistoryResult(1002, "postgres", 1,
        List.of(fault("cluster lost", 9000, 8000), fault("controller killed", 1200, 100)), 0, 0, 1,
        List.of("leaderless for 8.0 s outside faults (bound 7.5 s)"), 9000L, BOUND, null, "target/soak/x", null);
    HistoryResult broken = history(1003, 0, 0, 0, null, "no first leader within 30 s");

    SoakSummary s = SoakSummary.of(List.of(clean, overlap, late, broken));

    assertThat(s.histories()).isEqualTo(4);
    assertThat(s.failing()).isEqualTo(3);
    assertThat(s.byBackend()).containsEntry("etcd", new SoakSummary.Count(3, 2))
        .containsEntry("postgres", new SoakSummary.Count(1, 1));
    assertThat(s.faults()).isEqualTo(5);
    assertThat(s.faultsByType().get("controller killed")).isEqualTo(new SoakSummary.FaultType(4, 1200, 100, BOUND, 0));
    assertThat(s.faultsByType().get("cluster lost")).isEqualTo(new SoakSummary.FaultType(1, 9000, 8000, BOUND, 1));
    assertThat(s.overlaps()).isEqualTo(1);
    assertThat(s.tokenViolations()).isZero();
    assertThat(s.gapMisses()).isEqualTo(1);
    assertThat(s.faultGapMisses()).isEqualTo(1);
    assertThat(s.lateRecoveries()).isEqualTo(1);
    assertThat(s.noRecovery()).isZero();
    assertThat(s.errors()).isEqualTo(1);
    // the broken history has no recovery to count; the other three do
    assertThat(s.recovery()).isEqualTo(new SoakSummary.Recovery(3, 300, 9000, 9000));
    assertThat(s.failures()).extracting(SoakSummary.Failure::seed).containsExactly(1001L, 1002L, 1003L);
    assertThat(s.failures().get(1).keptIn()).isEqualTo("target/soak/x");
  }

  @Test
  void aFencedWriteOutsideItsLeadershipFailsTheHistoryAndIsCounted() {
    HistoryResult fencedClean = history(1, 0, 0, 0, 400L, null)
        .withFencing(new HistoryResult.Fencing(120, 3, 2, List.of()));
    HistoryResult lateWrite = history(2, 0, 0, 0, 400L, null).withFencing(new HistoryResult.Fencing(80, 0, 2,
        List.of("write #7 by east-0 with token 3 at 1200 ms lies outside every leadership of token 3")));
    HistoryResult unchecked = history(3, 0, 0, 0, 400L, null);

    assertThat(SoakSummary.problems(fencedClean)).isEmpty();
    assertThat(SoakSummary.problems(lateWrite)).containsExactly(Problem.FENCED_WRITE);
    SoakSummary s = SoakSummary.of(List.of(fencedClean, lateWrite, unchecked));
    assertThat(s.fencing()).isEqualTo(new SoakSummary.Fencing(2, 200, 3, 1));
    assertThat(s.failures()).singleElement().satisfies(f -> {
      assertThat(f.seed()).isEqualTo(2);
      assertThat(f.violations()).singleElement().asString().contains("outside every leadership");
    });
  }

  @Test
  void nothingRecoveredHasNoPercentiles() {
    assertThat(SoakSummary.of(List.of(history(1, 0, 0, 0, null, null))).recovery()).isNull();
    assertThat(SoakSummary.of(List.of()).ok()).isTrue();
  }

  @Test
  void percentilesAreNearestRank() {
    List<Long> hundred = LongStream.rangeClosed(1, 100).boxed().toList();
    assertThat(SoakSummary.rank(hundred, 0.50)).isEqualTo(50);
    assertThat(SoakSummary.rank(hundred, 0.99)).isEqualTo(99);
    assertThat(SoakSummary.rank(List.of(7L), 0.99)).isEqualTo(7);
    assertThat(SoakSummary.rank(List.of(1L, 2L, 3L), 0.50)).isEqualTo(2);
  }
}
