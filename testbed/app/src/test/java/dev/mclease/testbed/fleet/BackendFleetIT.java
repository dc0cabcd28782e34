package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import dev.mclease.testbed.store.DynaliteProvider;
import dev.mclease.testbed.store.FakeGcsProvider;
import dev.mclease.testbed.store.PostgresProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A live election on each non-etcd lock store: 3 embedded clusters, the store started by the fleet, one controller
 * (its backend built by BackendFactory, behind its own proxy to the store) and one candidate per cluster, short
 * timings. A leader appears, hands over gracefully to another cluster, survives the store crashing and coming back
 * (for the in-memory hub: the hub unreachable for every controller), and the history stays clean.
 */
class BackendFleetIT {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"postgres", "dynamodb", "gcs", "zookeeper", "kubernetes"})
  void liveElectionOnEveryStore(String backend) throws Exception {
    switch (backend) {
      case "postgres" -> assumeTrue(PostgresProvider.available(), PostgresProvider.INSTALL_HINT);
      case "dynamodb" -> assumeTrue(DynaliteProvider.findOrInstall().isPresent(), DynaliteProvider.INSTALL_HINT);
      case "gcs" -> assumeTrue(FakeGcsProvider.find().isPresent(), FakeGcsProvider.INSTALL_HINT);
      default -> {
        // ZooKeeper runs in-process and the hub is an embedded cluster: nothing to install
      }
    }
    Timings t = Timings.fast();
    try (Fleet fleet = Fleet.builder().backend(backend).clusters("east", "west", "south").candidatesPerCluster(1)
        .timings(t).build().start()) {
      assertThat(fleet.backend()).isEqualTo(backend);
      try {
        CandidateNode first = awaitLeader(fleet, fleet.firstLeaderBound());
        long firstToken = first.fencingToken();
        assertThat(firstToken).isPositive();

        // graceful hand-over: the leader releases, a candidate of another cluster takes over
        first.release();
        CandidateNode second = awaitLeader(fleet, t.leaderlessBound());
        assertThat(second.clusterName()).isNotEqualTo(first.clusterName());
        assertThat(second.fencingToken()).isGreaterThan(firstToken);
        first.start();

        // the store crashes for longer than the backend TTL and comes back with its data
        try (FaultInjector injector = new FaultInjector(fleet.history());
            AutoCloseable outage = injector.inject(Fault.restartStore(fleet))) {
          pause(t.backendTtl());
        }
        // a leader confirmed again and again after the outage: one that leads for a whole renewDeadline (a leader
        // seen at once may be the outgoing one, still inside its last confirmation)
        CandidateNode third = await().atMost(t.leaderlessBound().plus(t.renewDeadline().multipliedBy(2)))
            .during(t.renewDeadline()).pollInterval(Duration.ofMillis(20))
            .until(fleet::leader, Optional::isPresent).orElseThrow();
        assertThat(third.fencingToken()).isGreaterThanOrEqualTo(second.fencingToken());
      } finally {
        fleet.history().writeJsonLines(Path.of("target", "histories", "BackendFleetIT-" + backend + ".jsonl"));
      }
      fleet.history().note("end");
      var verdict = HistoryChecker.check(fleet.history(), t.leaderlessBound());
      assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
      assertThat(fleet.history().events()).filteredOn(e -> e.type() == HistoryEvent.Type.START).hasSizeGreaterThan(1);
    }
  }

  private static CandidateNode awaitLeader(Fleet fleet, Duration within) {
    // one read both tests and returns: a leader seen by the poll may lapse before a second read (after the store
    // outage the outgoing leader is still inside its renewDeadline when the poll first sees it)
    return await().atMost(within).pollInterval(Duration.ofMillis(20))
        .until(fleet::leader, Optional::isPresent).orElseThrow();
  }

  private static void pause(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < until) {
      LockSupport.parkNanos(Math.min(until - System.nanoTime(), 50_000_000L));
    }
  }
}
