package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet deployed at once ({@link Fleet#startTogether()}, what the cold-start bench measures): every candidate and
 * every controller starts on a thread of its own, so candidates heartbeat before any controller serves them. Once
 * the call returns all of them run, one leader is elected and the history is clean.
 */
class StartTogetherIT {

  private Fleet fleet;

  @AfterEach
  void close() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  void everyoneStartsAtOnceAndOneLeaderIsElected() {
    fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(2).timings(Timings.fast())
        .build();

    fleet.startTogether();

    assertThat(fleet.clusters()).allMatch(n -> n.controller().isRunning());
    assertThat(fleet.candidates()).hasSize(6).allMatch(CandidateNode::isRunning);
    CandidateNode leader = await().atMost(fleet.firstLeaderBound()).pollInterval(Duration.ofMillis(20))
        .until(fleet::leader, Optional::isPresent).orElseThrow();
    assertThat(leader.fencingToken()).isPositive();
    fleet.history().note("end of test");
    var verdict = HistoryChecker.check(fleet.history(), fleet.timings().leaderlessBound());
    assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
    assertThat(fleet.history().events()).anyMatch(e -> e.type() == HistoryEvent.Type.START);
  }
}
