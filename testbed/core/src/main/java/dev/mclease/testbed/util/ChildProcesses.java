package dev.mclease.testbed.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server processes this JVM started (kube-apiserver, etcd) that must not outlive it.
 *
 * <p>Two nets. A shutdown hook kills every registered process that is still alive when the JVM exits normally or
 * on SIGTERM. And because a JVM killed with SIGKILL runs no hook, each process is also recorded in a file under
 * {@code ${java.io.tmpdir}/mclease-children/}; the next JVM to register a process kills those whose owning JVM is
 * gone. A kube-apiserver holds hundreds of MiB, so one orphan per crashed test run would add up on a shared
 * machine. A record is trusted only when the process's start time still matches, so a recycled pid is left alone.
 */
public final class ChildProcesses {

  private static final Logger LOG = LoggerFactory.getLogger(ChildProcesses.class);
  private static final Path RECORDS = Path.of(System.getProperty("java.io.tmpdir"), "mclease-children");
  private static final long SELF = ProcessHandle.current().pid();
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static volatile boolean reaped;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::killAll, "mclease-child-cleanup"));
  }

  private ChildProcesses() {
  }

  /**
   * A fresh directory for one child process's files (log, kubeconfig, libfaketime file) under
   * {@code target/<kind>/}: fleets running at once (the features run three scenarios in parallel) reuse names, and a
   * shared file would mix or move another scenario's process.
   */
  public static Path ownDir(String kind, String name) {
    return Path.of("target", kind, name + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Registers a started process: killed at JVM exit unless it has ended and been {@link #forget forgotten}. */
  public static void register(Process p) {
    if (!reaped) {
      reapOrphans();
    }
    LIVE.add(p);
    try {
      Files.createDirectories(RECORDS);
      Files.writeString(record(p.pid()), recordOf(p.toHandle()), StandardCharsets.UTF_8);
    } catch (IOException e) {
      LOG.debug("Cannot record child {} under {}", p.pid(), RECORDS, e);
    }
  }

  /** Unregisters a process that has exited (or that someone else now owns). */
  public static void forget(Process p) {
    LIVE.remove(p);
    try {
      Files.deleteIfExists(record(p.pid()));
    } catch (IOException e) {
      LOG.debug("Cannot delete the record of child {}", p.pid(), e);
    }
  }

  /**
   * Ends a child process and waits for it: SIGKILL when {@code kill} (a crash), else SIGTERM, escalated to SIGKILL
   * when it has not exited within {@code timeout}; then forgets it. {@code what} names it in the log.
   */
  public static void end(Process p, boolean kill, Duration timeout, String what) {
    if (p == null || !p.isAlive()) {
      return;
    }
    if (kill) {
      p.destroyForcibly();
    } else {
      // a frozen process (Signals.freeze) would hold SIGTERM until it runs again, and we would wait for nothing
      Signals.thaw(p.pid());
      p.destroy();
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} ignored SIGTERM for {} s: killing it", what, timeout.toSeconds());
        p.destroyForcibly().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    forget(p);
    LOG.info("{} {}", what, kill ? "killed" : "stopped");
  }

  private static Path record(long childPid) {
    return RECORDS.resolve(SELF + "-" + childPid);
  }

  private static void killAll() {
    for (Process p : List.copyOf(LIVE)) {
      p.destroyForcibly();
      forget(p);
    }
  }

  /** Kills the recorded children of JVMs that no longer run; once per JVM. */
  private static synchronized void reapOrphans() {
    if (!reaped) {
      reaped = true;
      reapOrphans(RECORDS);
    }
  }

  /** Kills the children recorded under {@code records} whose owning JVM no longer runs, and drops their records. */
  static void reapOrphans(Path records) {
    if (!Files.isDirectory(records)) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(records)) {
      for (Path f : files) {
        String[] pids = f.getFileName().toString().split("-");
        if (pids.length != 2 || ProcessHandle.of(Long.parseLong(pids[0])).isPresent()) {
          continue;
        }
        Optional<ProcessHandle> child = ProcessHandle.of(Long.parseLong(pids[1]));
        String recordedStart = Files.readAllLines(f, StandardCharsets.UTF_8).stream().findFirst().orElse("");
        if (child.isPresent() && !recordedStart.isEmpty()
            && start(child.get()).map(Instant::toString).orElse("?").equals(recordedStart)) {
          LOG.warn("Killing {} (pid {}), left running by a test JVM that died (pid {})",
              child.get().info().command().orElse("a child process"), pids[1], pids[0]);
          child.get().destroyForcibly();
        }
        Files.deleteIfExists(f);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not reap orphans under {}", records, e);
    }
  }

  /** A record's content: the start instant (what makes a recycled pid harmless), then the command for people. */
  static String recordOf(ProcessHandle h) {
    return start(h).map(Instant::toString).orElse("") + "\n" + h.info().command().orElse("");
  }

  private static Optional<Instant> start(ProcessHandle h) {
    return h.info().startInstant();
  }
}
