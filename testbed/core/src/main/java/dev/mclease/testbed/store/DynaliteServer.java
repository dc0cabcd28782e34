package dev.mclease.testbed.store;

import dev.mclease.testbed.util.Ports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code dynalite} (an open-source DynamoDB emulator on LevelDB) as a Node process on a free loopback port, with its
 * data in a temp directory so that it can be killed and restarted with its items. Start one with
 * {@link DynaliteProvider#start()}. A JVM shutdown hook closes it.
 */
public final class DynaliteServer implements AutoCloseable {

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

  /** Starts the dynalite CLI {@code cli} ({@code node_modules/dynalite/cli.js}). */
  public static DynaliteServer start(Path cli) {
    DynaliteServer server;
    try {
      int port = Ports.free();
      server = new DynaliteServer(cli, Files.createTempDirectory("mclease-dynalite-"), port);
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare a dynalite data directory: " + e.getMessage(), e);
    }
    // a JVM stopped without close() must not leave a node process behind
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-dynalite-stop"));
    server.start();
    LOG.info("dynalite {} on 127.0.0.1:{}, data in {}", DynaliteProvider.VERSION, server.port, server.data);
    return server;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port>}, the endpoint override for a DynamoDB client. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGTERM; {@link #start()} brings it back with its data. */
  public synchronized void stop() {
    halt(false);
  }

  /** SIGKILL; {@link #start()} brings it back with its data. */
  public synchronized void kill() {
    halt(true);
  }

  private void halt(boolean forcibly) {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    if (forcibly) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGKILL and start again on the same port and data. */
  public void killAndRestart() {
    kill();
    start();
  }

  /** Starts the (stopped) emulator on the same port and data; returns once it listens. */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    Path log = data.resolveSibling(data.getFileName() + ".log");
    try {
      Path guard = data.resolveSibling(data.getFileName() + "-guard.js");
      try (var in = DynaliteServer.class.getResourceAsStream("dynalite-guard.js")) {
        Files.copy(in, guard, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      // through the guard: dynalite itself dies when a client aborts a request (see dynalite-guard.js)
      process = new ProcessBuilder(List.of("node", guard.toString(), cli.toString(), "--host", "127.0.0.1", "--port",
          Integer.toString(port), "--path", data.toString(), "--createTableMs", "0", "--deleteTableMs", "0",
          "--updateTableMs", "0")).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 200);
          return;
        } catch (IOException e) {
          if (!process.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("dynalite did not listen on " + port + " (alive=" + process.isAlive()
                + "); see " + log, e);
          }
          Thread.sleep(50);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run node " + cli + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting dynalite", e);
    }
  }

  /** Kills the emulator and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    if (!Files.isDirectory(data)) {
      return; // closed already
    }
    Path log = data.resolveSibling(data.getFileName() + ".log");
    boolean diedOnItsOwn = process != null && !process.isAlive();
    if (diedOnItsOwn) {
      // a test then saw "Connection refused" from a healthy-looking fleet: say why, and keep the log
      LOG.warn("dynalite on port {} exited on its own (code {}) before close; its log {} ends with:\n{}", port,
          process.exitValue(), log, tail(log, 30));
    }
    halt(true);
    try (Stream<Path> all = Files.walk(data)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", data, e.getMessage());
    }
    if (diedOnItsOwn) {
      return;
    }
    try {
      Files.deleteIfExists(log);
      Files.deleteIfExists(data.resolveSibling(data.getFileName() + "-guard.js"));
    } catch (IOException e) {
      LOG.debug("could not remove the dynalite log", e);
    }
  }

  private static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
