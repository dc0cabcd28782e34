package dev.mclease.testbed.cli;

import picocli.CommandLine.Command;

/** {@code mcl testbed up|chaos}. */
@Command(name = "testbed", mixinStandardHelpOptions = true,
    description = "Bring up a local multi-cluster testbed, or run chaos against a live election.",
    subcommands = {UpCommand.class, ChaosCommand.class})
final class TestbedCommand {
}
