package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl mcl status} (the Go plugin, built by {@link GoBinaries}) against a live fleet of two clusters through
 * {@link KubectlMcl}'s merged kubeconfig: a line per cluster, and the fleet's leader as the candidates see it.
 */
class KubectlMclIT {

  @Test
  void statusShowsTheFleetsLeaderInEveryContext() {
    Optional<String> why = KubectlMcl.unavailable();
    assumeTrue(why.isEmpty(), why.orElse(""));
    Timings t = Timings.fast();
    try (Fleet fleet = Fleet.builder().clusters("east", "west").candidatesPerCluster(1).timings(t).build().start()) {
      KubectlMcl mcl = KubectlMcl.forFleet(fleet);
      CandidateNode leader = await().atMost(fleet.firstLeaderBound()).pollInterval(Duration.ofMillis(20))
          .until(fleet::leader, Optional::isPresent).orElseThrow();
      String line = fleet.namespace() + "/" + fleet.leaseName() + ": fleet leader " + leader.identity() + " in "
          + leader.clusterName() + ", token " + leader.fencingToken() + " (contexts east, west)";
      // each controller writes its own cluster's status: the follower's may come a moment later
      AtomicReference<KubectlMcl.Result> last = new AtomicReference<>();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        KubectlMcl.Result r = mcl.status();
        last.set(r);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains(line);
      });
      List<String> rows = last.get().stdout().lines()
          .filter(l -> l.startsWith("east ") || l.startsWith("west ")).toList();
      assertThat(rows).hasSize(2).allSatisfy(r -> assertThat(r).contains(leader.identity(), leader.clusterName()));
      assertThat(last.get().stdout()).contains("Leader=True", "Leader=False(GlobalLockHeldElsewhere)");

      KubectlMcl.Result json = mcl.status("-o", "json");
      assertThat(json.exitCode()).isZero();
      assertThat(json.stdout()).contains("\"leader\": \"" + leader.identity() + "\"", "\"context\": \"west\"");
    }
  }
}
