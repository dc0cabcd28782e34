package dev.mclease.controller.backend.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throw-away PostgreSQL server for tests: Debian's binaries ({@code /usr/lib/postgresql/<v>/bin}), a temporary
 * data directory, a free loopback port, trust authentication. PostgreSQL refuses to run as root, so as root every
 * command runs as the {@code postgres} user (created by the Debian package) through {@code runuser}.
 */
final class PostgresServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** The newest {@code /usr/lib/postgresql/<v>/bin} holding initdb, if any. */
  static Optional<Path> findBinaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString(), PostgresServer::compareVersions));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int compareVersions(String a, String b) {
    try {
      return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  /** initdb + start; throws when the binaries exist but the server does not come up (a real failure). */
  static PostgresServer start(Path bin) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    // /tmp, not the build directory: the postgres user must be able to reach the data directory.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "mclease-pg-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PostgresServer server = new PostgresServer(bin, dir, port, root);
    if (root) {
      run(List.of("chown", "postgres:postgres", dir.toString()), Duration.ofSeconds(10));
    }
    server.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust",
        "-U", "postgres", "-E", "UTF8", "--no-sync"), Duration.ofSeconds(60));
    server.startProcess();
    // a JVM stopped without @AfterAll must not leave a postmaster behind
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-pg-stop"));
    LOG.info("PostgreSQL ({}) on 127.0.0.1:{}, data in {}", bin, port, dir);
    return server;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  int port() {
    return port;
  }

  /** Kills the server without a shutdown checkpoint (crash recovery at the next start) and starts it again. */
  void killAndRestart() throws Exception {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w",
        "stop"), Duration.ofSeconds(30));
    startProcess();
  }

  private void startProcess() throws Exception {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("log").toString(), "-w", "-t", "60", "-o", "-p " + port + " -k " + dir
            + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"), Duration.ofSeconds(70));
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
  }

  @Override
  public synchronized void close() {
    if (!Files.isDirectory(dir)) {
      return; // closed already
    }
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w",
          "stop"), Duration.ofSeconds(30));
    } catch (Exception e) {
      LOG.warn("stopping PostgreSQL failed: {}", e.getMessage());
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }

  private void pg(List<String> command, Duration timeout) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    run(cmd, timeout);
  }

  private static void run(List<String> cmd, Duration timeout) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    String out = new String(p.getInputStream().readAllBytes());
    if (!done) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeout + ": " + out);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    }
  }
}
