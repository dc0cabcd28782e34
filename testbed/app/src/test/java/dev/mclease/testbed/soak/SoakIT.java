package dev.mclease.testbed.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.store.PostgresProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The soak of {@code ./mcl soak}, small enough for every CI run: the first seed (3 etcd members, lock-store outages
 * in the menu) on etcd and on ZooKeeper (in-process, nothing to install), on real kube-apiservers. Each history
 * passes the split-brain checker and recovers within its bound, its leaders' fenced writes pass the fenced-write
 * checker (where PostgreSQL is installed; CI installs it), and the report says so. The 500-history run is
 * {@code ./mcl soak}, recorded in docs/reliability.md.
 */
class SoakIT {

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aSmallSoakPassesAndReportsIt() throws Exception {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    Path out = Path.of("target", "soak-it");
    SoakPlan plan = new SoakPlan(1, SoakPlan.FIRST_SEED, List.of("etcd", "zookeeper"), 1, true, "apiserver",
        out.toString());

    SoakRunner.Outcome outcome = new SoakRunner(plan, System.out::println).run();

    assertThat(outcome.summary().failures()).as("failing histories, see " + outcome.report()).isEmpty();
    assertThat(outcome.histories()).extracting(HistoryResult::backend).containsExactly("etcd", "zookeeper");
    assertThat(outcome.histories()).allSatisfy(h -> {
      assertThat(h.faults()).hasSizeBetween(2, 4);
      assertThat(h.recoveryMillis()).isNotNull().isLessThanOrEqualTo(h.boundMillis());
    });
    assertThat(outcome.histories().get(0).members()).as("seed 1000 on etcd").isEqualTo(3);
    if (PostgresProvider.available()) {
      // leaders wrote to their fenced row throughout, and every accepted write lay inside its leadership
      assertThat(outcome.histories()).allSatisfy(h -> {
        assertThat(h.fencing()).as("the fenced row of seed %d on %s", h.seed(), h.backend()).isNotNull();
        assertThat(h.fencing().accepted()).isGreaterThan(10);
        assertThat(h.fencing().violations()).isEmpty();
      });
      assertThat(outcome.summary().fencing().histories()).isEqualTo(2);
    }
    assertThat(Files.readString(out.resolve("report.md"))).contains("**Verdict: every history passed.**")
        .contains("| histories | 2 |");
    assertThat(out.resolve("report.json")).isNotEmptyFile();
  }
}
