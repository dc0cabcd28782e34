package dev.mclease.testbed.etcd;

import dev.mclease.testbed.util.ChildProcesses;
import dev.mclease.testbed.util.Ports;
import dev.mclease.testbed.util.Signals;
import dev.mclease.testbed.util.TempDirs;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An etcd member run as a child process of this JVM, on loopback ports, with its own data directory. */
final class ProcessEtcdMember implements EtcdMember {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessEtcdMember.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final String binary;
  private final String name;
  private final Path dataDir;
  private final int clientPort;
  private final int peerPort;
  private final String initialCluster;
  private final String clusterToken;
  private final List<String> extraArgs;
  private Process process;

  ProcessEtcdMember(String binary, String name, Path dataDir, int clientPort, int peerPort, String initialCluster,
      String clusterToken, List<String> extraArgs) {
    this.binary = binary;
    this.name = name;
    this.dataDir = dataDir;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.initialCluster = initialCluster;
    this.clusterToken = clusterToken;
    this.extraArgs = List.copyOf(extraArgs);
  }

  static String peerUrl(int peerPort) {
    return "http://127.0.0.1:" + peerPort;
  }

  @Override
  public String clientUrl() {
    return "http://127.0.0.1:" + clientPort;
  }

  Path logFile() {
    return dataDir.resolve("etcd.log");
  }

  @Override
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    // Once the member directory exists, etcd ignores the --initial-* flags, so the same command restarts it.
    List<String> cmd = new ArrayList<>(List.of(binary,
        "--name", name,
        "--data-dir", dataDir.resolve("data").toString(),
        "--listen-client-urls", clientUrl(),
        "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peerUrl(peerPort),
        "--initial-advertise-peer-urls", peerUrl(peerPort),
        "--initial-cluster", initialCluster,
        "--initial-cluster-token", clusterToken,
        "--initial-cluster-state", "new"));
    cmd.addAll(extraArgs);
    try {
      File log = logFile().toFile();
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
      ChildProcesses.register(process);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run " + binary + ": install etcd (apt-get install etcd-server) "
          + "or set MCL_ETCD_BINARY", e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!Ports.listening(clientPort, Duration.ofMillis(200))) {
      if (!process.isAlive()) {
        ChildProcesses.forget(process);
        throw new IllegalStateException("etcd member " + name + " exited with " + process.exitValue()
            + " at start: see " + logFile());
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("etcd member " + name + " did not listen on " + clientUrl() + " within "
            + START_TIMEOUT.toSeconds() + " s: see " + logFile());
      }
      try {
        // Polling a child process's port: there is nothing to wait on but time.
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting etcd member " + name, e);
      }
    }
    LOG.info("etcd member {} pid {} serves {} (log {})", name, process.pid(), clientUrl(), logFile());
  }

  @Override
  public synchronized void stop() {
    end(false);
  }

  @Override
  public synchronized void kill() {
    end(true);
  }

  private void end(boolean kill) {
    ChildProcesses.end(process, kill, STOP_TIMEOUT, "etcd member " + name);
  }

  @Override
  public synchronized void freeze() {
    Signals.freeze(process == null ? -1 : process.pid());
  }

  @Override
  public synchronized void thaw() {
    Signals.thaw(process == null ? -1 : process.pid());
  }

  @Override
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized void destroy() {
    end(true);
    TempDirs.deleteRecursively(dataDir);
  }

  @Override
  public String toString() {
    return name + "@" + clientUrl();
  }
}
