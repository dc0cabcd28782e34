package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Why a held acquisition no longer serves its candidate: first match wins; only RELEASED is the candidate's own. */
class ReleaseReasonTest {

  @ParameterizedTest(name = "deleted {0} stopping {1} invalid {2} holder empty {3} alive {4} same holder {5} -> {6}")
  @CsvSource({
      // deleted, stopping, invalid, holder "", alive, same holder, reason, metric label
      "true,  true,  true,  true,  false, false, DELETED,           deleted",
      "false, true,  true,  true,  false, false, SHUTDOWN,          shutdown",
      "false, false, true,  true,  false, false, INVALID_SPEC,      invalid-spec",
      "false, false, false, true,  false, true,  RELEASED,          released",
      "false, false, false, false, false, true,  HEARTBEAT_EXPIRED, heartbeat-expired",
      "false, false, false, false, true,  true,  RESTARTED,         restarted",
      "false, false, false, false, true,  false, HOLDER_CHANGED,    holder-changed",
  })
  void firstMatchWins(boolean deleted, boolean stopping, boolean invalid, boolean holderEmpty, boolean alive,
      boolean sameHolder, ReleaseReason expected, String label) {
    ReleaseReason r = ReleaseReason.of(deleted, stopping, invalid, holderEmpty, alive, sameHolder, null);
    assertThat(r).isEqualTo(expected);
    assertThat(r.label()).isEqualTo(label);
    assertThat(r.askedByCandidate()).isEqualTo(r == ReleaseReason.RELEASED);
  }
}
