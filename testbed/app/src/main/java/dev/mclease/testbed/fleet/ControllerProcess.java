package dev.mclease.testbed.fleet;

import dev.mclease.controller.ControllerConfig;
import dev.mclease.controller.ControllerMain;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.testbed.util.ChildProcesses;
import dev.mclease.testbed.util.JavaCommand;
import dev.mclease.testbed.util.Signals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's election controller as an OS process: {@link ControllerMain} (the container image's entry point) in
 * a JVM of its own on this JVM's class path, with the flags the in-JVM controller's configuration amounts to
 * ({@link #flags}) and a kubeconfig that points at the controller's API proxy, so that the testbed's link faults
 * still apply. As a process it takes real signals: SIGKILL (a crash: no release, no revoke, its sessions expire after
 * G), SIGSTOP/SIGCONT (a long pause), SIGTERM (a graceful stop that releases held locks once safe).
 */
final class ControllerProcess {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerProcess.class);
  /** A child JVM's start on a loaded 2-core machine: tens of seconds were seen; setting up is not under test. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Pattern SERVER = Pattern.compile("(?m)^(\\s*server:\\s*)\\S+\\s*$");

  private final String clusterName;
  private final Path logDir;
  private final Map<String, String> environment;
  private Process process;
  private int incarnation;

  ControllerProcess(String clusterName, Map<String, String> environment) {
    this.clusterName = clusterName;
    this.environment = Map.copyOf(environment);
    this.logDir = ChildProcesses.ownDir("controller-processes", clusterName);
  }

  /**
   * The command-line flags of {@link ControllerMain} for {@code config} and {@code backend}: every setting the
   * testbed changes from the defaults. Pure, for its test; backends whose testbed setup needs more than flags (dummy
   * cloud credentials, a hub kubeconfig file) are refused with the reason.
   */
  static List<String> flags(ControllerConfig config, BackendConfig backend) {
    List<String> f = new ArrayList<>(List.of(
        "--cluster-name", config.clusterName(),
        "--namespaces", String.join(",", config.namespaces()),
        "--backend", backend.kind().flagValue(),
        "--backend-ttl", millis(backend.ttl()),
        "--backend-renew-interval", millis(backend.renewInterval()),
        "--candidate-renew-deadline", millis(config.candidateRenewDeadline()),
        "--candidate-retry-period", millis(config.candidateRetryPeriod()),
        "--safety-margin", millis(config.safetyMargin()),
        "--standby-recheck", millis(config.standbyRecheck()),
        "--http-port", "0"));
    switch (backend.kind()) {
      case ETCD -> f.addAll(List.of("--etcd-endpoints", String.join(",", backend.etcdEndpoints()),
          "--etcd-key-prefix", backend.keyPrefix()));
      case POSTGRES -> f.addAll(List.of("--postgres-url", backend.postgresUrl(), "--postgres-user",
          backend.postgresUser(), "--postgres-password", backend.postgresPassword() == null ? ""
              : backend.postgresPassword(), "--postgres-table", backend.postgresTable()));
      case ZOOKEEPER -> f.addAll(List.of("--zookeeper-connect", backend.zookeeperConnect(),
          "--zookeeper-base-path", backend.keyPrefix()));
      default -> throw new IllegalArgumentException("controller processes run on etcd, postgres or zookeeper here; "
          + backend.kind().flagValue() + " needs more than flags in the testbed: run its controllers in the JVM");
    }
    return f;
  }

  private static String millis(Duration d) {
    return d.toMillis() + "ms";
  }

  /**
   * The cluster's kubeconfig with its server replaced by {@code server}: same credentials and CA (the API server's
   * certificate names 127.0.0.1, which the proxy shares).
   */
  static String pointedAt(String kubeconfig, URI server) {
    Matcher m = SERVER.matcher(kubeconfig);
    if (!m.find()) {
      throw new IllegalArgumentException("a kubeconfig without a server: line");
    }
    return m.replaceAll(Matcher.quoteReplacement(m.group(1)) + Matcher.quoteReplacement(server.toString()));
  }

  synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  synchronized void start(Path clusterKubeconfig, URI apiProxy, List<String> flags) {
    if (isRunning()) {
      return;
    }
    incarnation++;
    try {
      Files.createDirectories(logDir);
      Path kubeconfig = logDir.resolve(clusterName + ".kubeconfig");
      Files.writeString(kubeconfig, pointedAt(Files.readString(clusterKubeconfig), apiProxy), StandardCharsets.UTF_8);
      List<String> cmd = JavaCommand.of(ControllerMain.class.getName(), "256m");
      cmd.addAll(flags);
      Path log = logDir.resolve(clusterName + "-" + incarnation + ".log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(environment);
      pb.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
      long t0 = System.nanoTime();
      Process p = pb.start();
      ChildProcesses.register(p);
      process = p;
      StartedLine started = StartedLine.watch(p.getInputStream(), log,
          "election controller of cluster " + clusterName + " started", "controller-log-" + clusterName);
      awaitStarted(p, started, log);
      LOG.info("started the controller of {} as a process in {} ms (incarnation {}, pid {}, log {})", clusterName,
          (System.nanoTime() - t0) / 1_000_000, incarnation, p.pid(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the controller process of " + clusterName, e);
    }
  }

  /**
   * Returns once the controller says it started (informers synced, serving), as the in-JVM controller's start does;
   * throws when the process exits first or does not get there within {@link #START_TIMEOUT}.
   */
  private void awaitStarted(Process p, StartedLine started, Path log) {
    try {
      CompletableFuture.anyOf(started.seen(), p.onExit()).get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the controller process of " + clusterName + " did not start within "
          + START_TIMEOUT + "; its log: " + log, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the controller process of " + clusterName + " failed to start; its log: "
          + log, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the controller process of " + clusterName + " started", e);
    }
    if (!started.seen().isDone() || started.seen().isCompletedExceptionally()) {
      throw new IllegalStateException("the controller process of " + clusterName + " exited"
          + (p.isAlive() ? "" : " with " + p.exitValue()) + " before it started; its log: " + log);
    }
  }

  /** SIGKILL: the process dies without a word, its connections drop, its sessions expire after G. */
  void kill() {
    end(true);
  }

  /** SIGTERM: the controller releases what it holds once safe and exits. */
  void stop() {
    end(false);
  }

  void freeze() {
    Signals.freeze(pid());
  }

  void thaw() {
    Signals.thaw(pid());
  }

  private synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  private void end(boolean kill) {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p == null || !p.isAlive()) {
      return;
    }
    ChildProcesses.end(p, kill, Duration.ofSeconds(20), "controller process of " + clusterName);
    LOG.info("controller process of {} {} (exit {})", clusterName, kill ? "killed" : "stopped", p.exitValue());
  }
}
