package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.Fleet;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mcl testbed up}: clusters, etcd and a controller per cluster; demo candidates on request. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start N clusters, etcd and one election controller per cluster, with the live page on 127.0.0.1;"
        + " stays up until Ctrl-C.")
final class UpCommand implements Callable<Integer> {

  @Mixin
  FleetOptions fleet = new FleetOptions();

  @Mixin
  PageOptions page = new PageOptions();

  @Option(names = "--candidates", defaultValue = "0", description = "Demo candidates per cluster (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--duration", description = "Stop after this long; default: until Ctrl-C.")
  Duration duration;

  @Override
  public Integer call() throws Exception {
    Fleet f = fleet.builder(candidates).build();
    return Session.run(f, duration, System.out, new Session.Plan(false, page, null));
  }
}
