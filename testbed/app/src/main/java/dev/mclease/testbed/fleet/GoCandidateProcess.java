package dev.mclease.testbed.fleet;

import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.history.History;
import dev.mclease.testbed.util.ChildProcesses;
import dev.mclease.testbed.util.Signals;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Go candidate in a fleet's cluster: the example binary of {@code client/go/cmd/mclease-candidate} (client-go's
 * elector on the Go lock), built once per JVM with {@code go build} into {@code client/go/target/}, run as a child
 * process with the cluster's kubeconfig. Its stdout lines (START, CONFIRMED, STOP) are recorded into the fleet's
 * {@link History} like a {@link CandidateNode}'s callbacks, so the history checker judges Go and Java leaders alike.
 *
 * <p>The Go process reports how long its confirmation still holds ({@code validForNanos}), not an instant: the two
 * processes' monotonic clocks share no origin. The deadline recorded is this JVM's {@code System.nanoTime()} when
 * it reads the line plus that remainder, later than the Go lock's own by the pipe's delay only, so an interval's end
 * can only move later. Its START is stamped when the line is read, also by the pipe's delay (well under a
 * millisecond) after the Go callback: an overlap shorter than that at the start of a Go leadership would go unseen.
 */
public final class GoCandidateProcess implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GoCandidateProcess.class);
  private static final Pattern LINE = Pattern.compile("MCLEASE (START|CONFIRMED) token=(-?\\d+) validForNanos=(-?\\d+)");

  private final String identity;
  private final String clusterName;
  private final Cluster cluster;
  private final String namespace;
  private final String leaseName;
  private final Timings timings;
  private final History history;
  private final Path logDir;

  // guarded by this
  private Process process;
  private int incarnation;
  private boolean leading;
  private long token = -1;
  private long validUntilNanos = Long.MIN_VALUE;

  public GoCandidateProcess(String identity, String clusterName, Cluster cluster, String namespace, String leaseName,
      Timings timings, History history) {
    this.identity = identity;
    this.clusterName = clusterName;
    this.cluster = cluster;
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.timings = timings;
    this.history = history;
    this.logDir = Path.of("target", "go-candidates");
  }

  /** A Go candidate in {@code clusterName} of {@code fleet}, recording into the fleet's history. */
  public static GoCandidateProcess in(Fleet fleet, String clusterName, String identity) {
    return new GoCandidateProcess(identity, clusterName, fleet.cluster(clusterName).cluster(), fleet.namespace(),
        fleet.leaseName(), fleet.timings(), fleet.history());
  }

  /** Why Go candidates cannot run here (no {@code go} tool, no client/go module), or empty when they can. */
  public static Optional<String> unavailable() {
    return GoBinaries.unavailable();
  }

  /** {@code go build}s the candidate binary once per JVM ({@link GoBinaries}). */
  public static Path binary() {
    return GoBinaries.binary("mclease-candidate");
  }

  public String identity() {
    return identity;
  }

  public String clusterName() {
    return clusterName;
  }

  /** 1 for the first process, one more for each start after it (each a new lock instance). */
  public synchronized int incarnation() {
    return incarnation;
  }

  /** Started and not yet released or killed. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Leads right now: it said START and its last reported confirmation has not run out on this JVM's clock. */
  public synchronized boolean isLeader() {
    return isRunning() && leading && System.nanoTime() - validUntilNanos < 0;
  }

  /** The fencing token of the current leadership, or -1. */
  public synchronized long fencingToken() {
    return isLeader() ? token : -1;
  }

  /** Starts a new process (a new incarnation, a new lock instance). */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    incarnation++;
    leading = false;
    List<String> cmd = new ArrayList<>(List.of(binary().toString(),
        "--kubeconfig", cluster.kubeconfig().toAbsolutePath().toString(),
        "--namespace", namespace, "--name", leaseName, "--identity", identity,
        "--lease-duration", timings.leaseDuration().toMillis() + "ms",
        "--renew-deadline", timings.renewDeadline().toMillis() + "ms",
        "--retry-period", timings.retryPeriod().toMillis() + "ms"));
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(identity + "-" + incarnation + ".log");
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      ChildProcesses.register(p);
      process = p;
      int inc = incarnation;
      Thread reader = new Thread(() -> read(p, inc), identity + "-" + inc + "-stdout");
      reader.setDaemon(true);
      reader.start();
      LOG.info("started Go candidate {} in {} (incarnation {}, pid {}, log {})", identity, clusterName, inc, p.pid(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
  }

  private void read(Process p, int inc) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        long now = System.nanoTime();
        onLine(p, inc, line, now);
      }
    } catch (IOException e) {
      LOG.debug("stdout of {} ended: {}", identity, e.getMessage());
    }
  }

  private synchronized void onLine(Process p, int inc, String line, long readAt) {
    if (p != process) {
      return; // a line of an earlier process, read after a new one started
    }
    Matcher m = LINE.matcher(line);
    if (m.matches()) {
      long t = Long.parseLong(m.group(2));
      long until = readAt + Long.parseLong(m.group(3));
      if (m.group(1).equals("START")) {
        leading = true;
        token = t;
        history.start(identity, inc, clusterName, t);
        LOG.info("Go candidate {} in {} started leading (token {})", identity, clusterName, t);
      }
      validUntilNanos = until;
      history.confirmed(identity, clusterName, t, until);
    } else if (line.equals("MCLEASE STOP")) {
      stopped();
    } else {
      LOG.debug("{}: {}", identity, line);
    }
  }

  private void stopped() {
    if (leading) {
      leading = false;
      history.stop(identity, clusterName);
      LOG.info("Go candidate {} in {} stopped leading", identity, clusterName);
    }
  }

  /**
   * SIGSTOP of the Go process, as a long GC pause or a throttled container: its leadership runs out on its own clock
   * while it cannot say so; {@link #thaw()} resumes it, and it must notice before doing anything as leader.
   */
  public void freeze() {
    Process p;
    synchronized (this) {
      p = process;
    }
    Signals.freeze(p == null ? -1 : p.pid());
  }

  /** SIGCONT after {@link #freeze()}. */
  public void thaw() {
    Process p;
    synchronized (this) {
      p = process;
    }
    Signals.thaw(p == null ? -1 : p.pid());
  }

  /** Leaves gracefully: SIGTERM, the Go process releases (spec.holderIdentity = "") and exits. */
  public void release() {
    end(false);
  }

  /** Dies without a word: SIGKILL, no release; the lease runs out after L. */
  public void kill() {
    end(true);
  }

  private void end(boolean kill) {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p == null || !p.isAlive()) {
      return;
    }
    // a graceful exit releases first, which takes up to renewDeadline against a slow API server
    ChildProcesses.end(p, kill, timings.renewDeadline().plusSeconds(10), "Go candidate " + identity);
    synchronized (this) {
      // a dead process leads no more; a graceful one said STOP already (this records it only if it did not)
      stopped();
    }
    LOG.info("Go candidate {} {} (exit {})", identity, kill ? "killed" : "released and exited", p.exitValue());
  }

  @Override
  public void close() {
    kill();
  }

  @Override
  public String toString() {
    return clusterName + "/" + identity + " (Go)";
  }
}
