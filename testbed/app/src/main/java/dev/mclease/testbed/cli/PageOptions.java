package dev.mclease.testbed.cli;

import picocli.CommandLine.Option;

/** The live page's options, for every command that keeps a fleet up for people to watch. */
final class PageOptions {

  @Option(names = "--page-port", defaultValue = "0", paramLabel = "<port>",
      description = "Port of the live page on 127.0.0.1 (default: any free port; the URL is printed).")
  int port;

  @Option(names = "--no-page", description = "Serve no live page.")
  boolean off;
}
