package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The worker's state from what it holds and sees. */
class LeaseStateTest {

  @ParameterizedTest(name = "holding {0} serves {1} held elsewhere {2} candidate {3} -> {4}")
  @CsvSource({
      // holding, serves the candidate, held elsewhere, local candidate, state
      "true,  true,  false, true,  HOLDING",
      "true,  false, false, true,  RELEASING",  // e.g. a restarted instance: not echoed under the old acquisition
      "true,  false, false, false, RELEASING",
      "true,  false, true,  false, RELEASING",  // what this controller holds comes first
      "false, false, true,  true,  FOLLOWING",
      "false, false, true,  false, FOLLOWING",
      "false, false, false, true,  CONTENDING",
      "false, false, false, false, IDLE",
  })
  void fromWhatIsHeldAndSeen(boolean holding, boolean serves, boolean elsewhere, boolean candidate,
      LeaseState expected) {
    assertThat(LeaseState.of(holding, serves, elsewhere, candidate)).isEqualTo(expected);
  }
}
