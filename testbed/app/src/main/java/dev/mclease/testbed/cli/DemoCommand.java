package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.Fleet;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mcl demo}: 3 embedded clusters, etcd, a controller and two candidates per cluster, live. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "A live election across local clusters: prints who leads (cluster, identity, token) as it changes.")
final class DemoCommand implements Callable<Integer> {

  @Mixin
  FleetOptions fleet = new FleetOptions();

  @Option(names = "--candidates", defaultValue = "2", description = "Candidates per cluster (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--duration", description = "Stop after this long (e.g. 10s); default: until Ctrl-C.")
  Duration duration;

  @Override
  public Integer call() throws Exception {
    Fleet f = fleet.builder(candidates).build();
    return Session.run(f, duration, System.out);
  }
}
