package dev.mclease.testbed.store;

import dev.mclease.testbed.util.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throw-away PostgreSQL server: Debian's binaries ({@code /usr/lib/postgresql/<v>/bin}), a temporary data
 * directory, a free loopback port, trust authentication (user {@code postgres}, empty password). PostgreSQL refuses
 * to run as root, so as root every command runs as the {@code postgres} user (created by the Debian package)
 * through {@code runuser}. Start one with {@link PostgresProvider#start()}. A JVM shutdown hook closes it.
 */
public final class PostgresServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgresUser;
  private volatile boolean running;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** initdb + start from the binaries in {@code bin}; throws when the server does not come up. */
  public static PostgresServer start(Path bin) {
    boolean root = "root".equals(System.getProperty("user.name"));
    PostgresServer server;
    try {
      // /tmp, not the build directory: the postgres user must be able to reach the data directory.
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "mclease-pg-");
      int port = Ports.free();
      server = new PostgresServer(bin, dir, port, root);
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), Duration.ofSeconds(10));
      }
      server.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust",
          "-U", "postgres", "-E", "UTF8", "--no-sync"), Duration.ofSeconds(60));
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare a PostgreSQL data directory: " + e.getMessage(), e);
    }
    // a JVM stopped without close() must not leave a postmaster behind
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-pg-stop"));
    server.start();
    LOG.info("PostgreSQL ({}) on 127.0.0.1:{}, data in {}", bin, server.port, server.dir);
    return server;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}; user {@code postgres}, empty password. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public int port() {
    return port;
  }

  public boolean isRunning() {
    return running;
  }

  /** Clean shutdown (SIGTERM-like, {@code pg_ctl -m fast}); {@link #start()} brings it back with its data. */
  public synchronized void stop() {
    ctlStop("fast");
  }

  /** Crash: {@code pg_ctl -m immediate}, no shutdown checkpoint (crash recovery at the next start). */
  public synchronized void kill() {
    ctlStop("immediate");
  }

  /** Starts the (stopped) server again on the same port and data; returns once it accepts connections. */
  public synchronized void start() {
    if (running) {
      return;
    }
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
          dir.resolve("log").toString(), "-w", "-t", "60", "-o", "-p " + port + " -k " + dir
              + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"),
          Duration.ofSeconds(70));
      running = true;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "")) {
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("PostgreSQL did not accept connections on " + port + "; see "
                + dir.resolve("log"), e);
          }
          Thread.sleep(100);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting PostgreSQL", e);
    }
  }

  /** Kills the server without a shutdown checkpoint and starts it again. */
  public void killAndRestart() {
    kill();
    start();
  }

  private void ctlStop(String mode) {
    if (!running) {
      return;
    }
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", mode, "-w",
        "stop"), Duration.ofSeconds(30));
    running = false;
  }

  /** Stops the server and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    if (!Files.isDirectory(dir)) {
      return; // closed already
    }
    try {
      if (running) {
        ctlStop("fast");
      }
    } catch (RuntimeException e) {
      LOG.warn("stopping PostgreSQL failed: {}", e.getMessage());
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }

  private void pg(List<String> command, Duration timeout) {
    List<String> cmd = new ArrayList<>();
    if (asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    run(cmd, timeout);
  }

  private static void run(List<String> cmd, Duration timeout) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      String out = done ? new String(p.getInputStream().readAllBytes()) : "";
      if (!done) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeout);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", cmd) + " could not run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
