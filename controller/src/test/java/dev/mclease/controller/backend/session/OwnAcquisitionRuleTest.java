package dev.mclease.controller.backend.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.OwnAcquisitionRule.Verdict;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OwnAcquisitionRuleTest {

  private static final Instant AT = Instant.parse("2026-03-01T10:00:00Z");
  private static final LockValue EAST_A = new LockValue("pod-a", "east", AT);
  private static final LockValue EAST_B = new LockValue("pod-b", "east", AT);
  private static final LockValue WEST_A = new LockValue("pod-a", "west", AT);

  static Stream<Arguments> cases() {
    return Stream.of(
        // ownSession, granted, lapsed, found, wanted, verdict
        Arguments.of("another session's key is held", false, null, null, EAST_A, EAST_A, Verdict.HELD_BY),
        Arguments.of("another session, even with our granted token", false, 7L, null, EAST_A, EAST_A, Verdict.HELD_BY),
        Arguments.of("our own known acquisition is held", true, 7L, null, EAST_A, EAST_A, Verdict.HELD_BY),
        Arguments.of("a late write of ours for the same holder is adopted", true, null, null, EAST_A, EAST_A,
            Verdict.ADOPT),
        Arguments.of("a late write of ours beside an older grant is adopted", true, 3L, null, EAST_A, EAST_A,
            Verdict.ADOPT),
        Arguments.of("a late write of ours for another holder is replaced", true, null, null, EAST_B, EAST_A,
            Verdict.REPLACE),
        Arguments.of("a late write of ours for another cluster is replaced", true, null, null, WEST_A, EAST_A,
            Verdict.REPLACE),
        Arguments.of("an acquisition reported lost is never adopted", true, null, 7L, EAST_A, EAST_A,
            Verdict.REPLACE),
        Arguments.of("a lost token of an older acquisition does not block adoption", true, null, 5L, EAST_A, EAST_A,
            Verdict.ADOPT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void judges(String name, boolean own, Long granted, Long lapsed, LockValue found, LockValue wanted, Verdict v) {
    assertThat(OwnAcquisitionRule.judge(own, granted, lapsed, new Held(found, 7), wanted)).isEqualTo(v);
  }
}
