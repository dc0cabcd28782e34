package dev.mclease.testbed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.TourFault;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The demo's tour on the demo's fleet (3 clusters × 2 candidates): every fault of the catalogue runs once and is
 * announced, leadership moves after each fault that should move it (the wall-clock jump and the lock-store outage
 * need not), and the checker finds the history clean.
 */
class DemoTourIT {

  @Test
  void everyFaultIsAnnouncedLeadershipMovesAndTheHistoryIsClean() {
    List<String> said = new CopyOnWriteArrayList<>();
    try (Fleet fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(2)
        .timings(Timings.fast()).build().start();
        FaultInjector injector = new FaultInjector(fleet.history())) {
      await().atMost(fleet.firstLeaderBound()).until(() -> fleet.leader().isPresent());

      List<DemoTour.Step> steps = new DemoTour(fleet, injector, said::add).run();

      assertThat(steps).extracting(DemoTour.Step::fault).containsExactly(TourFault.values());
      for (TourFault f : TourFault.values()) {
        assertThat(said).as("announced").anyMatch(line -> line.contains(f.label() + " — "));
      }
      assertThat(steps).filteredOn(s -> s.fault().healOnMove())
          .as("leadership moves after each fault aimed at the leader (%s)", said)
          .allMatch(DemoTour.Step::leaderChanged);
      assertThat(steps).filteredOn(s -> s.fault() == TourFault.CLOCK)
          .as("a wall-clock jump moves nothing").noneMatch(DemoTour.Step::leaderChanged);
      assertThat(said).anyMatch(line -> line.matches(".*→ .* leads, token \\d+ \\(leaderless for \\d+\\.\\d\\d s\\)"));

      var verdict = DemoTour.verdict(fleet, Path.of("target", "demo-tour"), said::add);
      assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
      assertThat(said).anyMatch(line -> line.startsWith("verdict: clean"));
    }
  }
}
