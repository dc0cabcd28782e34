package dev.mclease.testbed.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./mcl} command line: demo, testbed up, testbed chaos, soak. */
@Command(name = "mcl", mixinStandardHelpOptions = true,
    description = "MultiClusterLease: leader election across Kubernetes clusters, on this machine.",
    subcommands = {DemoCommand.class, TestbedCommand.class, SoakCommand.class})
public final class MclCli {

  public static void main(String[] args) {
    dev.mclease.controller.ControllerMain.routeJavaUtilLogging();
    CommandLine cli = new CommandLine(new MclCli());
    cli.registerConverter(java.time.Duration.class, new DurationConverter());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("mcl: " + e.getMessage());
      return 2;
    });
    System.exit(cli.execute(args));
  }
}
