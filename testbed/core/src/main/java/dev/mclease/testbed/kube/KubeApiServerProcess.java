package dev.mclease.testbed.kube;

import dev.mclease.testbed.util.ChildProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real {@code kube-apiserver} child process on {@code https://127.0.0.1:PORT}, storing its objects in etcd
 * under its own prefix. It can be stopped, killed and started again on the same port with the same certificates
 * and storage, which is a real cluster restart.
 *
 * <p>The flags follow envtest's ({@code controller-runtime pkg/internal/testing/controlplane/apiserver.go}): RBAC,
 * client-certificate authentication against the cluster's CA, service-account token signing, the
 * {@code ServiceAccount} admission plugin off (no controller manager creates {@code default} service accounts, so
 * pods without one would be refused), privileged pods allowed. Added here: loopback only, priority and fairness off
 * (it runs a dozen controllers and costs CPU on a 2-core machine; requests are then limited by max-in-flight only),
 * profiling off, and no endpoint reconciler (1.37 refuses one with a loopback advertise address). Its output goes to
 * {@code <dir>/kube-apiserver.log}, appended across restarts.
 */
public final class KubeApiServerProcess {

  /** {@code MCL_APISERVER_PROFILING=1}: serve Go's {@code /debug/pprof} (for a CPU profile of the API server). */
  public static final String PROFILING_ENV = "MCL_APISERVER_PROFILING";
  private static final Logger LOG = LoggerFactory.getLogger(KubeApiServerProcess.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Path binary;
  private final String name;
  private final Path dir;
  private final int port;
  private final ClusterPki pki;
  private final String etcdServers;
  private final String etcdPrefix;
  private final List<String> extraArgs;
  private final HttpClient http;
  private Process process;

  /**
   * A server not yet started.
   *
   * @param etcdServers comma-separated etcd client URLs
   * @param etcdPrefix the key prefix of this cluster's objects; distinct per cluster on a shared etcd
   * @param extraArgs more flags, appended last (a repeated flag wins)
   */
  public KubeApiServerProcess(Path binary, String name, Path dir, int port, ClusterPki pki, String etcdServers,
      String etcdPrefix, List<String> extraArgs) {
    this.binary = binary;
    this.name = name;
    this.dir = dir;
    this.port = port;
    this.pki = pki;
    this.etcdServers = etcdServers;
    this.etcdPrefix = etcdPrefix;
    this.extraArgs = List.copyOf(extraArgs);
    this.http = HttpClient.newBuilder().sslContext(pki.adminSslContext()).connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  /** {@code https://127.0.0.1:PORT}. */
  public URI url() {
    return URI.create("https://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  public String etcdPrefix() {
    return etcdPrefix;
  }

  /** Where the process's stdout and stderr go. */
  public Path logFile() {
    return dir.resolve("kube-apiserver.log");
  }

  /** The full command line. */
  public List<String> command() {
    List<String> c = new ArrayList<>(List.of(binary.toString(),
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--secure-port=" + port,
        "--cert-dir=" + dir,
        "--tls-cert-file=" + pki.servingCertFile(),
        "--tls-private-key-file=" + pki.servingKeyFile(),
        "--client-ca-file=" + pki.caFile(),
        "--authorization-mode=RBAC",
        "--service-account-issuer=" + url(),
        "--service-account-key-file=" + pki.serviceAccountPublicKeyFile(),
        "--service-account-signing-key-file=" + pki.serviceAccountKeyFile(),
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        "--disable-admission-plugins=ServiceAccount",
        "--etcd-servers=" + etcdServers,
        "--etcd-prefix=" + etcdPrefix,
        // kube-apiserver 1.37 refuses a loopback advertise address for the endpoint reconciler, which only keeps the
        // endpoints of the "kubernetes" Service up to date; nothing here reaches the server through that Service.
        "--endpoint-reconciler-type=none",
        "--enable-priority-and-fairness=false",
        // /debug/pprof only when asked for (docs/performance.md takes its API-server profiles that way): off, a
        // profile request can neither cost the measured runs anything nor be sent by a test by mistake
        "--profiling=" + "1".equals(System.getenv(PROFILING_ENV))));
    c.addAll(extraArgs);
    return c;
  }

  /**
   * Starts the process and returns once {@code /readyz} answers 200 (every post-start hook done: bootstrap RBAC
   * roles, the {@code default} namespace's controller, CRD handlers). A no-op when it runs.
   *
   * @throws IllegalStateException when it exits or is not ready within {@code timeout}; the message names the log
   */
  public synchronized void start(Duration timeout) {
    if (isRunning()) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(logFile(), "=== mclease testbed: starting kube-apiserver for cluster " + name + " at "
          + Instant.now() + "\n" + String.join(" ", command()) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      process = new ProcessBuilder(command()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run " + binary + " (" + KubeBinaries.INSTALL_HINT + ")", e);
    }
    ChildProcesses.register(process);
    long t0 = System.nanoTime();
    awaitReady(timeout);
    LOG.info("kube-apiserver {} pid {} ready at {} in {} ms (log {})", name, process.pid(), url(),
        (System.nanoTime() - t0) / 1_000_000, logFile());
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (true) {
      if (!process.isAlive()) {
        ChildProcesses.forget(process);
        throw new IllegalStateException("kube-apiserver of cluster " + name + " exited with " + process.exitValue()
            + " while starting: see " + logFile() + "\n" + tail());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url().resolve("/readyz"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting kube-apiserver " + name, e);
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException("kube-apiserver of cluster " + name + " not ready within "
            + timeout.toSeconds() + " s (last /readyz: " + last + "): see " + logFile());
      }
      sleep();
    }
  }

  /** The last lines of the log, for failure messages. */
  public String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Graceful stop (SIGTERM); returns once the process has exited. */
  public synchronized void stop() {
    end(false);
  }

  /** Abrupt stop (SIGKILL), as a crash; returns once the process has exited. */
  public synchronized void kill() {
    end(true);
  }

  private void end(boolean kill) {
    ChildProcesses.end(process, kill, STOP_TIMEOUT, "kube-apiserver " + name);
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The process id, or -1 before the first start. */
  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** Resident memory of the running process in bytes (Linux {@code /proc}), or -1 when unknown. */
  public long residentBytes() {
    return Rss.of(pid());
  }

  private static void sleep() {
    try {
      // Polling a child process's readiness endpoint: there is nothing to wait on but time.
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for kube-apiserver", e);
    }
  }

  @Override
  public String toString() {
    return "kube-apiserver[" + name + " " + url() + "]";
  }
}
