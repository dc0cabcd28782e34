package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller and the client together, end to end: 3 embedded clusters, a real etcd, one controller and one
 * candidate (fabric8 LeaderElector + MultiClusterLeaseLock) per cluster, short timings. Every test ends with the
 * split-brain checker over the recorded history.
 */
class FailoverIT {

  private Fleet fleet;
  private Timings t;

  @BeforeEach
  void startFleet() {
    fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(1).timings(Timings.fast())
        .build().start();
    t = fleet.timings();
  }

  @AfterEach
  void checkHistoryAndClose(org.junit.jupiter.api.TestInfo test) {
    try {
      fleet.history().writeJsonLines(java.nio.file.Path.of("target", "histories",
          test.getTestMethod().orElseThrow().getName() + ".jsonl"));
      fleet.history().note("end of test"); // so a leaderless tail counts too
      var verdict = HistoryChecker.check(fleet.history(), t.leaderlessBound());
      assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
      // a history without leaders would pass the checker vacuously
      assertThat(fleet.history().events()).anyMatch(e -> e.type() == HistoryEvent.Type.START);
    } finally {
      fleet.close();
    }
  }

  private CandidateNode awaitSingleLeader(Duration within) {
    // one read both tests and returns: a second read may find the seen leader lapsed
    return await().atMost(within).pollInterval(Duration.ofMillis(20))
        .until(fleet::leader, Optional::isPresent).orElseThrow();
  }

  @Test
  void exactlyOneLeaderAcrossThreeClusters() {
    CandidateNode leader = awaitSingleLeader(fleet.firstLeaderBound());
    // hold for several renew deadlines: the same single leader keeps being confirmed
    await().during(t.renewDeadline().multipliedBy(2)).atMost(t.renewDeadline().multipliedBy(3))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> fleet.leaders().size() == 1 && fleet.leaders().get(0) == leader);
    assertThat(leader.fencingToken()).isPositive();
  }

  @Test
  void gracefulReleaseMovesLeadershipToAnotherCluster() {
    CandidateNode first = awaitSingleLeader(fleet.firstLeaderBound());
    long firstToken = first.fencingToken();
    first.release();
    CandidateNode second = awaitSingleLeader(Duration.ofSeconds(5));
    assertThat(second.clusterName()).isNotEqualTo(first.clusterName());
    assertThat(second.fencingToken()).isGreaterThan(firstToken);
  }

  @Test
  void killedLeaderCandidateIsReplacedAfterAboutLeaseDuration() {
    CandidateNode first = awaitSingleLeader(fleet.firstLeaderBound());
    long killedAt = System.nanoTime();
    first.kill();
    CandidateNode second = awaitSingleLeader(t.leaseDuration().plus(t.retryPeriod().multipliedBy(5)).plusSeconds(3));
    long tookMillis = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(second).isNotSameAs(first);
    // the controller waits for the heartbeat to go stale: not before L has passed
    assertThat(tookMillis).isGreaterThanOrEqualTo(t.leaseDuration().toMillis() - t.retryPeriod().toMillis());
  }

  @Test
  void lostControllerHandsOverAfterAboutTheBackendTtl() {
    CandidateNode first = awaitSingleLeader(fleet.firstLeaderBound());
    fleet.cluster(first.clusterName()).controller().kill();
    // the candidate stops leading within D (no more confirmations) ...
    await().atMost(t.renewDeadline().plus(t.retryPeriod().multipliedBy(3)))
        .pollInterval(Duration.ofMillis(20)).until(() -> !first.isLeader());
    // ... and another cluster takes over once the dead controller's etcd lease expired (G)
    CandidateNode second = awaitSingleLeader(t.backendTtl().plus(t.leaseDuration()).plusSeconds(5));
    assertThat(second.clusterName()).isNotEqualTo(first.clusterName());
  }

  @Test
  void storeAnswersHeldPastTheSessionTtlDoNotReviveItAndALeaderComesBack() throws Exception {
    CandidateNode first = awaitSingleLeader(fleet.firstLeaderBound());
    ClusterNode cluster = fleet.cluster(first.clusterName());
    try (FaultInjector faults = new FaultInjector(fleet.history())) {
      AutoCloseable held = faults.inject(Fault.holdStoreAnswers(cluster));
      // requests still reach etcd, so the lease lives on there; the controller hears nothing and must stop
      // confirming: its candidate stops leading within D + M of the last answer
      await().atMost(t.renewDeadline().plus(t.safetyMargin()).plusSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> !first.isLeader());
      // hold on for G more, so the session has surely lapsed here. Its controller gives the session up, and since
      // requests still get through, its revoke frees the key: another cluster may take over meanwhile, never two
      await().during(t.backendTtl()).atMost(t.backendTtl().plusSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> fleet.leaders().size() <= 1);
      held.close(); // the held answers arrive now, all of them late
    }
    // the late answers must not keep the key held for a candidate that no longer leads
    awaitSingleLeader(t.leaderlessBound());
  }

  @Test
  void etcdOutageLeavesNobodyLeadingAndLeadershipReturnsAfterwards() throws Exception {
    awaitSingleLeader(fleet.firstLeaderBound());
    try (FaultInjector faults = new FaultInjector(fleet.history())) {
      AutoCloseable outage = faults.inject(Fault.stopEtcdMembers(fleet, List.of(0)));
      await().atMost(t.renewDeadline().plus(t.safetyMargin()).plusSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> fleet.leaders().isEmpty());
      await().during(t.backendTtl()).atMost(t.backendTtl().plusSeconds(2)).pollInterval(Duration.ofMillis(20))
          .until(() -> fleet.leaders().isEmpty());
      outage.close();
    }
    awaitSingleLeader(t.leaderlessBound());
  }

  @Test
  void fencingTokensStrictlyIncreaseAcrossHandovers() {
    long previous = 0;
    for (int i = 0; i < 3; i++) {
      CandidateNode leader = awaitSingleLeader(fleet.firstLeaderBound());
      assertThat(leader.fencingToken()).isGreaterThan(previous);
      previous = leader.fencingToken();
      leader.release();
      await().atMost(Duration.ofSeconds(5)).until(() -> !leader.isLeader());
      leader.start();
    }
    List<Long> starts = fleet.history().events().stream()
        .filter(e -> e.type() == HistoryEvent.Type.START).map(HistoryEvent::token).toList();
    assertThat(starts).hasSizeGreaterThanOrEqualTo(3).isSorted().doesNotHaveDuplicates();
  }
}
