package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.LockStore;
import dev.mclease.testbed.soak.SoakPlan;
import dev.mclease.testbed.soak.SoakRunner;
import dev.mclease.testbed.soak.SoakSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mcl soak}: many seeded fault schedules, each on a fresh fleet, and a report of what they add up to. */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "Run seeded fault schedules (2-4 faults each, some overlapping), each on a fresh fleet of 3 clusters"
        + " with one candidate each and fast timings, judge every history with the split-brain checker and write"
        + " report.md and report.json. Exit code 0 only if every history passed.")
final class SoakCommand implements Callable<Integer> {

  @Option(names = "--histories", defaultValue = "500", description = "Seeds per lock store (default: ${DEFAULT-VALUE}).")
  int histories;

  @Option(names = "--seed", defaultValue = "" + SoakPlan.FIRST_SEED,
      description = "First seed; the histories take this one and the ones after it (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--backend", defaultValue = "etcd", split = ",", paramLabel = "<store>",
      description = "Lock store(s), comma-separated; every seed runs on each (default: ${DEFAULT-VALUE}). One of "
          + "etcd, postgres, zookeeper, dynamodb, gcs, kubernetes.")
  List<String> backends;

  @Option(names = "--parallel", defaultValue = "1",
      description = "Histories at a time (default: ${DEFAULT-VALUE}; each fleet wants about a core).")
  int parallel;

  @Option(names = "--store-outages", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Whether schedules may stop or kill the lock store (default: on; --no-store-outages leaves them"
          + " out).")
  boolean storeOutages;

  @Option(names = "--cluster-kind", defaultValue = "apiserver", paramLabel = "<kind>",
      description = "apiserver (real kube-apiserver processes, built by ./mcl), embedded (fabric8's mock server) or"
          + " k3s (default: ${DEFAULT-VALUE}).")
  String clusterKind;

  @Option(names = "--out", defaultValue = "target/soak", description = "Report directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    backends.forEach(LockStore::validKind);
    SoakPlan plan = new SoakPlan(histories, seed, backends, parallel, storeOutages, clusterKind, out.toString());
    System.out.printf("soak: %d histories per store on %s from seed %d, %d at a time%n", histories,
        String.join(", ", backends), seed, parallel);
    SoakRunner.Outcome outcome = new SoakRunner(plan, line -> System.out.println("  " + line)).run();
    SoakSummary s = outcome.summary();
    System.out.println();
    System.out.printf("%d histories in %d s: %d faults, %d overlaps, %d token-order violations, %d gaps over the"
        + " bound, %d late and %d missing recoveries, %d errors%n", s.histories(), outcome.took().toSeconds(),
        s.faults(), s.overlaps(), s.tokenViolations(), s.gapMisses(), s.lateRecoveries(), s.noRecovery(), s.errors());
    if (s.recovery() != null) {
      System.out.printf("recovery after the last heal: p50 %d ms, p99 %d ms, max %d ms%n", s.recovery().p50Millis(),
          s.recovery().p99Millis(), s.recovery().maxMillis());
    }
    s.failures().forEach(f -> System.out.println("FAILED seed " + f.seed() + " on " + f.backend() + " "
        + f.problems() + ": replay with " + plan.replay(f.seed(), f.backend())));
    System.out.println("report: " + outcome.report().toAbsolutePath());
    return s.ok() ? 0 : 1;
  }
}
