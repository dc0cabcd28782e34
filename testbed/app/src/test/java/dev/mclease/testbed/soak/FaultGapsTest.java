package dev.mclease.testbed.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.soak.HistoryResult.FaultResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which gap each fault caused, and which part of it the bound holds: hand-made histories on a fake clock. */
class FaultGapsTest {

  private static final Duration BOUND = Duration.ofMillis(7500);
  private long now;
  private final History history = new History(() -> now);

  private void at(long millis) {
    now = Duration.ofMillis(millis).toNanos();
  }

  @Test
  void aGapBelongsToTheLatestFaultBeforeItAndCountsOnlyOutsideFaults() throws Exception {
    at(0);
    history.start("east-1", "east", 1);
    at(1000);
    AutoCloseable kill = history.fault("kill east controller");
    at(1500);
    history.stop("east-1", "east");
    at(2000);
    kill.close();
    at(3000);
    history.start("west-1", "west", 2);
    at(4000);
    AutoCloseable slow = history.fault("latency 50ms on west controller <-> lock store");
    at(4500);
    slow.close();
    at(5000);
    history.note("end");

    List<FaultResult> faults = FaultGaps.of(history, List.of("controller killed", "slow lock-store links"), BOUND);

    assertThat(faults).containsExactly(
        new FaultResult("controller killed", "kill east controller", 1000, 1000, 1500, 1000, 7500),
        new FaultResult("slow lock-store links", "latency 50ms on west controller <-> lock store", 4000, 500, 0, 0,
            7500));
    assertThat(faults).noneMatch(FaultResult::overBound);
  }

  @Test
  void aGapLongerThanTheBoundAfterTheHealIsOverIt() throws Exception {
    at(0);
    history.start("east-1", "east", 1);
    at(1000);
    AutoCloseable lost = history.fault("lose cluster east");
    history.stop("east-1", "east");
    at(2000);
    lost.close();
    at(10000);
    history.note("still nobody");

    FaultResult f = FaultGaps.of(history, List.of("cluster lost"), BOUND).get(0);

    assertThat(f.gapMillis()).isEqualTo(9000);
    assertThat(f.countedMillis()).isEqualTo(8000);
    assertThat(f.overBound()).isTrue();
    // the same gap the checker holds to its bound
    assertThat(HistoryChecker.check(history, BOUND).violations()).singleElement().asString()
        .startsWith("leaderless for 8.0 s outside faults");
  }

  @Test
  void theFirstElectionBelongsToNoFaultAndAMissingTypeReadsUnknown() throws Exception {
    at(0);
    history.note("fleet started");
    at(2000);
    history.start("east-1", "east", 1);
    at(3000);
    history.fault("pause east-1").close();
    at(4000);
    history.note("end");

    assertThat(FaultGaps.of(history, List.of(), BOUND)).singleElement()
        .satisfies(f -> assertThat(f.type()).isEqualTo("unknown"))
        .satisfies(f -> assertThat(f.gapMillis()).isZero());
  }
}
