package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.Fleet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mcl demo}: 3 clusters, etcd, a controller and two candidates per cluster, a tour of faults, a live page. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "A live election across local clusters. By default a tour of the fault catalogue: each fault "
        + "announced, then who leads next, how long the fleet was leaderless, the fencing token; at the end (or on "
        + "Ctrl-C) the history checker's verdict and the SVG timeline. A live page on 127.0.0.1 shows the fleet and "
        + "has a button for each fault. Exit code 1 if the verdict finds a violation.")
final class DemoCommand implements Callable<Integer> {

  @Mixin
  FleetOptions fleet = new FleetOptions();

  @Mixin
  PageOptions page = new PageOptions();

  @Option(names = "--candidates", defaultValue = "2", description = "Candidates per cluster (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--duration", description = "Stop after this long (e.g. 60s), tour or not; default: until Ctrl-C.")
  Duration duration;

  @Option(names = "--no-tour", description = "No faults: only print who leads as it changes (the demo before 0.2).")
  boolean noTour;

  @Option(names = "--out", defaultValue = "target/demo",
      description = "Where the tour writes history.jsonl and timeline.svg (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    Fleet f = fleet.builder(candidates).build();
    return Session.run(f, duration, System.out, new Session.Plan(!noTour, page, out));
  }
}
