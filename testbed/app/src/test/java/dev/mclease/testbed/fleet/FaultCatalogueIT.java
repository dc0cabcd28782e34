package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import dev.mclease.testbed.history.TimelineRenderer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every fault type of the testbed, applied to a running election one after another (each aimed at the current
 * leader, held for a while, healed), with the split-brain checker over the whole history at the end and a
 * leader required back after each heal.
 */
class FaultCatalogueIT {

  private static final Duration HOLD = Duration.ofMillis(2500);

  @Test
  void everyFaultOnOneClusterEtcdKeepsOneLeaderAtATime() throws Exception {
    List<Function<Fleet, Fault>> faults = new ArrayList<>();
    faults.add(f -> Fault.partitionCandidateFromApi(leader(f)));
    faults.add(f -> Fault.partitionControllerFromApi(f.cluster(leader(f).clusterName())));
    faults.add(f -> Fault.partitionControllerFromEtcd(f.cluster(leader(f).clusterName())));
    faults.add(f -> Fault.isolateCluster(f.cluster(leader(f).clusterName())));
    faults.add(f -> Fault.slowEtcdLinks(f.cluster(leader(f).clusterName()), Duration.ofMillis(150)));
    faults.add(f -> Fault.pauseCandidate(leader(f)));
    faults.add(f -> Fault.killCandidate(leader(f)));
    faults.add(f -> Fault.releaseCandidate(leader(f)));
    faults.add(f -> Fault.killController(f.cluster(leader(f).clusterName())));
    faults.add(f -> Fault.loseCluster(f.cluster(leader(f).clusterName())));
    faults.add(f -> Fault.skewCandidateClock(leader(f), Duration.ofHours(1)));
    faults.add(f -> Fault.skewCandidateClock(leader(f), Duration.ofHours(-1)));
    faults.add(f -> Fault.skewControllerClock(f.cluster(leader(f).clusterName()), Duration.ofMinutes(-10)));
    faults.add(f -> Fault.driftCandidateClock(leader(f), 1.05));
    faults.add(f -> Fault.stopEtcdMembers(f, List.of(0)));
    runAll(Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(2), faults, "catalogue-1-member", true);
  }

  @Test
  void etcdMemberFaultsOnThreeMembers() throws Exception {
    List<Function<Fleet, Fault>> faults = new ArrayList<>();
    faults.add(f -> Fault.killEtcdMember(f, 0));
    faults.add(f -> Fault.stopEtcdMembers(f, List.of(1)));
    faults.add(f -> Fault.stopEtcdMembers(f, List.of(0, 2)));   // quorum loss
    // a member fault or a short quorum loss need not move leadership (the leader's etcd lease may outlive it)
    runAll(Fleet.builder().clusters("east", "west").candidatesPerCluster(1).etcdMembers(3), faults,
        "catalogue-3-members", false);
  }

  private static CandidateNode leader(Fleet f) {
    // one read both tests and returns: the leader runAll awaited may have lapsed by the time the fault is made
    return await("a single leader to aim the fault at").atMost(f.timings().leaderlessBound())
        .pollInterval(Duration.ofMillis(20)).until(f::leader, Optional::isPresent).orElseThrow();
  }

  private void runAll(Fleet.Builder builder, List<Function<Fleet, Fault>> faults, String name, boolean mustMove)
      throws Exception {
    try (Fleet fleet = builder.timings(Timings.fast()).build().start();
        FaultInjector injector = new FaultInjector(fleet.history())) {
      Timings t = fleet.timings();
      await().atMost(fleet.firstLeaderBound()).pollInterval(Duration.ofMillis(20)).until(() -> fleet.leader().isPresent());
      for (Function<Fleet, Fault> make : faults) {
        Fault fault = make.apply(fleet);
        try (AutoCloseable ignored = injector.inject(fault)) {
          // hold the fault for a fixed span; during it the checker alone judges (at most one leader at a time)
          await().pollDelay(HOLD).atMost(HOLD.plusSeconds(1)).until(() -> fleet.leaders().size() <= 1);
        }
        await().atMost(t.leaderlessBound().plusSeconds(3)).pollInterval(Duration.ofMillis(20))
            .alias("a leader after healing '" + fault.description() + "'")
            .until(() -> fleet.leader().isPresent());
      }
      Path dir = Path.of("target", "histories");
      fleet.history().writeJsonLines(dir.resolve(name + ".jsonl"));
      TimelineRenderer.writeSvg(fleet.history(), dir.resolve(name + ".svg"));
      fleet.history().note("end of test"); // so a leaderless tail counts too
      var verdict = HistoryChecker.check(fleet.history(), t.leaderlessBound());
      assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
      assertThat(fleet.history().events().stream().filter(e -> e.type() == HistoryEvent.Type.FAULT_START))
          .hasSize(faults.size());
      if (mustMove) {
        assertThat(fleet.history().events().stream().filter(e -> e.type() == HistoryEvent.Type.START).count())
            .as("leadership moved at least once under these faults").isGreaterThan(1);
      }
    }
  }
}
