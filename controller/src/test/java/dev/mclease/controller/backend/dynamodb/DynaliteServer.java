package dev.mclease.controller.backend.dynamodb;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code dynalite} 4.0.0 (an open-source DynamoDB emulator on LevelDB, from the npm registry) as a Node process on a
 * free loopback port, with its data in a temp directory so that it can be killed and restarted with its items.
 * The package is looked for in {@code mclease.dynalite.dir} (default {@code <repo>/.mcl/dynalite}, where
 * {@code ./mcl test} installs it); when it is missing and {@code npm} is there, it is installed once into that
 * directory, so later runs work offline.
 */
final class DynaliteServer implements AutoCloseable {

  static final String VERSION = "4.0.0";
  private static final Logger LOG = LoggerFactory.getLogger(DynaliteServer.class);

  private final Path cli;
  private final Path data;
  private final int port;
  private Process process;

  private DynaliteServer(Path cli, Path data, int port) {
    this.cli = cli;
    this.data = data;
    this.port = port;
  }

  /** The dynalite CLI, installing it first when npm can; empty (with the reason logged) when it cannot be had. */
  static Optional<Path> findOrInstall() {
    if (!onPath("node")) {
      LOG.warn("no 'node' on PATH: dynalite cannot run");
      return Optional.empty();
    }
    Path dir = Path.of(System.getProperty("mclease.dynalite.dir", "../.mcl/dynalite")).toAbsolutePath();
    Path cli = dir.resolve("node_modules/dynalite/cli.js");
    if (Files.isRegularFile(cli)) {
      return Optional.of(cli);
    }
    if (!onPath("npm")) {
      LOG.warn("dynalite is not in {} and there is no 'npm' to install it", dir);
      return Optional.empty();
    }
    try {
      Files.createDirectories(dir);
      Process p = new ProcessBuilder("npm", "install", "--prefix", dir.toString(), "--no-audit", "--no-fund",
          "dynalite@" + VERSION).redirectErrorStream(true).start();
      boolean done = p.waitFor(3, TimeUnit.MINUTES);
      String out = new String(p.getInputStream().readAllBytes());
      if (!done || p.exitValue() != 0) {
        p.destroyForcibly();
        LOG.warn("npm install dynalite@{} into {} failed: {}", VERSION, dir, out);
        return Optional.empty();
      }
    } catch (IOException e) {
      LOG.warn("npm install dynalite failed: {}", e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    return Files.isRegularFile(cli) ? Optional.of(cli) : Optional.empty();
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
  }

  static DynaliteServer start(Path cli) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    DynaliteServer server = new DynaliteServer(cli, Files.createTempDirectory("mclease-dynalite-"), port);
    server.startProcess();
    // a JVM stopped without @AfterAll must not leave a node process behind
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-dynalite-stop"));
    LOG.info("dynalite {} on 127.0.0.1:{}, data in {}", VERSION, port, server.data);
    return server;
  }

  int port() {
    return port;
  }

  /** SIGKILL and start again on the same port and data. */
  void killAndRestart() throws Exception {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    startProcess();
  }

  private void startProcess() throws Exception {
    process = new ProcessBuilder(List.of("node", cli.toString(), "--host", "127.0.0.1", "--port",
        Integer.toString(port), "--path", data.toString(), "--createTableMs", "0", "--deleteTableMs", "0",
        "--updateTableMs", "0")).redirectErrorStream(true).redirectOutput(data.resolveSibling(data.getFileName()
        + ".log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("dynalite did not listen on " + port + " (alive=" + process.isAlive()
              + "); see " + data.resolveSibling(data.getFileName() + ".log"), e);
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public synchronized void close() {
    if (!Files.isDirectory(data)) {
      return; // closed already
    }
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> all = Files.walk(data)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", data, e.getMessage());
    }
  }
}
