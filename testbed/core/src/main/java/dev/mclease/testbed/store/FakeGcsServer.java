package dev.mclease.testbed.store;

import dev.mclease.testbed.util.Ports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * {@code fake-gcs-server} (an open-source Google Cloud Storage emulator, Go) as a child process on a free loopback
 * port, speaking the JSON API over plain HTTP. Its objects live in a temp directory (its {@code filesystem} backend)
 * so that it can be SIGKILLed and restarted with them, as the conformance suite's kill-and-restart test needs; its
 * log is kept beside them and reported when it died on its own. Start one with {@link FakeGcsProvider#start()}. A
 * JVM shutdown hook closes it.
 */
public final class FakeGcsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FakeGcsServer.class);

  private final Path binary;
  private final Path data;
  private final Path log;
  private final int port;
  private Process process;

  private FakeGcsServer(Path binary, Path data, int port) {
    this.binary = binary;
    this.data = data;
    this.log = data.resolveSibling(data.getFileName() + ".log");
    this.port = port;
  }

  /** Starts the emulator binary {@code binary}. */
  public static FakeGcsServer start(Path binary) {
    FakeGcsServer server;
    try {
      server = new FakeGcsServer(binary, Files.createTempDirectory("mclease-fake-gcs-"), Ports.free());
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare a fake-gcs-server data directory: " + e.getMessage(), e);
    }
    // a JVM stopped without close() must not leave the emulator behind
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-fake-gcs-stop"));
    server.start();
    LOG.info("fake-gcs-server {} on {}, objects in {}", FakeGcsProvider.VERSION, server.endpoint(), server.data);
    return server;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port>}, the host a GCS client is pointed at (its {@code STORAGE_EMULATOR_HOST}). */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** Creates bucket {@code name} (the GCS backend expects an existing bucket); one that exists already is fine. */
  public void createBucket(String name) {
    HttpRequest create = HttpRequest.newBuilder(URI.create(endpoint() + "/storage/v1/b?project=mclease-emulator"))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build();
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(create, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200 && r.statusCode() != 409) {
        throw new IllegalStateException("fake-gcs-server: creating bucket " + name + " answered HTTP "
            + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      throw new IllegalStateException("fake-gcs-server: creating bucket " + name + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating bucket " + name, e);
    }
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGKILL; {@link #start()} brings it back with its objects. */
  public synchronized void kill() {
    halt();
  }

  /** SIGKILL and start again on the same port and objects. */
  public void killAndRestart() {
    kill();
    start();
  }

  private void halt() {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the (stopped) emulator on the same port and objects; returns once it listens. */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    try {
      process = new ProcessBuilder(List.of(binary.toString(), "-scheme", "http", "-host", "127.0.0.1", "-port",
          Integer.toString(port), "-public-host", "127.0.0.1:" + port, "-external-url", endpoint(), "-backend",
          "filesystem", "-filesystem-root", data.toString(), "-log-level", "warn")).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 200);
          return;
        } catch (IOException e) {
          if (!process.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("fake-gcs-server did not listen on " + port + " (alive="
                + process.isAlive() + "); its log " + log + " ends with:\n" + tail(log, 20), e);
          }
          Thread.sleep(50);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting fake-gcs-server", e);
    }
  }

  /** Kills the emulator and deletes its objects (and its log, unless it died on its own). Idempotent. */
  @Override
  public synchronized void close() {
    if (!Files.isDirectory(data)) {
      return;
    }
    boolean diedOnItsOwn = process != null && !process.isAlive();
    if (diedOnItsOwn) {
      LOG.warn("fake-gcs-server on port {} exited on its own (code {}) before close; its log {} ends with:\n{}", port,
          process.exitValue(), log, tail(log, 30));
    }
    halt();
    try (Stream<Path> all = Files.walk(data)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", data, e.getMessage());
    }
    if (!diedOnItsOwn) {
      try {
        Files.deleteIfExists(log);
      } catch (IOException e) {
        LOG.debug("could not remove the fake-gcs-server log", e);
      }
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
