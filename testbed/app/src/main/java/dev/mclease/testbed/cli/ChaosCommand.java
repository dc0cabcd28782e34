package dev.mclease.testbed.cli;

import dev.mclease.testbed.chaos.ChaosRunner;
import dev.mclease.testbed.fleet.Fleet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mcl testbed chaos}: random faults against a live election, then the checker's verdict. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Run seeded random faults against a live election; end with the split-brain checker's verdict "
        + "and a timeline picture. Exit code 0 only if the history is clean.")
final class ChaosCommand implements Callable<Integer> {

  @Mixin
  FleetOptions fleet = new FleetOptions();

  @Option(names = "--candidates", defaultValue = "2", description = "Candidates per cluster (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--duration", defaultValue = "60s", description = "How long to inject faults (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--seed", description = "Random seed (default: time-based; printed so a run can be replayed).")
  Long seed;

  @Option(names = "--out", defaultValue = "target/chaos", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    long s = seed != null ? seed : System.currentTimeMillis();
    try (Fleet f = fleet.builder(candidates).build()) {
      Session.printClusters(f, System.out);
      System.out.println("chaos seed " + s + " for " + duration.toSeconds() + " s");
      f.start();
      ChaosRunner.Result result = new ChaosRunner(f, s, line -> System.out.println("  " + line)).run(duration, out);
      System.out.println();
      System.out.println("faults injected: " + result.faults());
      System.out.println("verdict: " + result.verdict().summary());
      result.verdict().violations().forEach(v -> System.out.println("  VIOLATION " + v));
      System.out.println("history:  " + result.historyFile().toAbsolutePath());
      System.out.println("timeline: " + result.timelineFile().toAbsolutePath());
      System.out.println("replay with: ./mcl testbed chaos " + fleet.asArguments() + " --candidates " + candidates
          + " --duration " + duration.toSeconds() + "s --seed " + s);
      return result.verdict().ok() ? 0 : 1;
    }
  }
}
