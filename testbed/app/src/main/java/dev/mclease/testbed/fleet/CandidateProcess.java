package dev.mclease.testbed.fleet;

import dev.mclease.testbed.candidate.JavaCandidateMain;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.history.History;
import dev.mclease.testbed.time.FakeTime;
import dev.mclease.testbed.util.ChildProcesses;
import dev.mclease.testbed.util.JavaCommand;
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
 * A candidate as an OS process in a fleet's cluster, in either language: the Go example binary of
 * {@code client/go/cmd/mclease-candidate} (client-go's elector on the Go lock, built once per JVM with
 * {@code go build}), or a JVM running {@link JavaCandidateMain} (fabric8's elector on {@code MultiClusterLeaseLock},
 * on this JVM's class path). Both run with the cluster's kubeconfig and print the same stdout lines (START,
 * CONFIRMED, STOP), which are recorded into the fleet's {@link History} like a {@link CandidateNode}'s callbacks, so
 * the history checker judges in-JVM and process leaders alike. As processes they take real signals: SIGSTOP (a long
 * GC pause, {@link #freeze()}), SIGKILL ({@link #kill()}); a Java process can also run on a libfaketime wall clock
 * ({@link Options#fakeWallClock()}, {@link Options#drift}, {@link #fakeTime()}).
 *
 * <p>The process reports how long its confirmation still holds ({@code validForNanos}), not an instant: the two
 * processes' monotonic clocks share no origin. The deadline recorded is this JVM's {@code System.nanoTime()} when
 * it reads the line plus that remainder, later than the lock's own by the pipe's delay only, so an interval's end
 * can only move later. Its START is stamped when the line is read, also by the pipe's delay (well under a
 * millisecond) after the callback: an overlap shorter than that at the start of a process leadership would go unseen.
 */
public final class CandidateProcess implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CandidateProcess.class);
  private static final Pattern LINE = Pattern.compile("MCLEASE (START|CONFIRMED) token=(-?\\d+) validForNanos=(-?\\d+)");

  /** The candidate's language: which elector and lock the process runs. */
  public enum Language {
    /** client-go's elector on the Go lock. */
    GO,
    /** fabric8's elector on {@code MultiClusterLeaseLock}. */
    JAVA
  }

  /**
   * How the process runs.
   *
   * @param fakeTime start the (Java) process under libfaketime, its clocks moved through {@link #fakeTime()}
   * @param rate the faked clocks' rate from the process's start (1.0: real time)
   * @param monotonicToo whether the rate applies to the monotonic clock too (drift), or only the wall clock is
   *     faked (jumps)
   */
  public record Options(boolean fakeTime, double rate, boolean monotonicToo) {
    public static final Options DEFAULT = new Options(false, 1.0, false);

    /** On a libfaketime wall clock that {@link CandidateProcess#fakeTime()} can jump; the monotonic clock is real. */
    public static Options fakeWallClock() {
      return new Options(true, 1.0, false);
    }

    /** Every clock of the process, the monotonic one too, running at {@code rate} times real time. */
    public static Options drift(double rate) {
      return new Options(true, rate, true);
    }
  }

  private final Language language;
  private final String identity;
  private final String clusterName;
  private final Cluster cluster;
  private final String namespace;
  private final String leaseName;
  private final Timings timings;
  private final History history;
  private final Options options;
  private final Path logDir;
  private final FakeTime fakeTime;

  // guarded by this
  private Process process;
  private int incarnation;
  private boolean leading;
  private long token = -1;
  private long validUntilNanos = Long.MIN_VALUE;

  public CandidateProcess(Language language, String identity, String clusterName, Cluster cluster, String namespace,
      String leaseName, Timings timings, History history, Options options) {
    this.language = language;
    this.identity = identity;
    this.clusterName = clusterName;
    this.cluster = cluster;
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.timings = timings;
    this.history = history;
    this.options = options;
    this.logDir = ChildProcesses.ownDir("candidate-processes", identity);
    if (options.fakeTime() && language == Language.GO) {
      throw new IllegalArgumentException("a Go binary reads the clock through the vDSO, not libc: libfaketime cannot "
          + "move its wall clock; use a Java candidate process");
    }
    this.fakeTime = options.fakeTime()
        ? FakeTime.create(logDir.resolve(identity + ".faketime"), options.monotonicToo()) : null;
    if (fakeTime != null && options.rate() != 1.0) {
      fakeTime.rate(options.rate());
    }
  }

  /** A Go candidate in {@code clusterName} of {@code fleet}, recording into the fleet's history. */
  public static CandidateProcess go(Fleet fleet, String clusterName, String identity) {
    return in(fleet, Language.GO, clusterName, identity, Options.DEFAULT);
  }

  /** A Java candidate process in {@code clusterName} of {@code fleet}, recording into the fleet's history. */
  public static CandidateProcess java(Fleet fleet, String clusterName, String identity, Options options) {
    return in(fleet, Language.JAVA, clusterName, identity, options);
  }

  private static CandidateProcess in(Fleet fleet, Language language, String clusterName, String identity,
      Options options) {
    return new CandidateProcess(language, identity, clusterName, fleet.cluster(clusterName).cluster(),
        fleet.namespace(), fleet.leaseName(), fleet.timings(), fleet.history(), options);
  }

  /** Why candidates of {@code language} cannot run as processes here, or empty when they can. */
  public static Optional<String> unavailable(Language language) {
    return language == Language.GO ? GoBinaries.unavailable() : Optional.empty();
  }

  /** {@code go build}s the Go candidate binary once per JVM ({@link GoBinaries}). */
  public static Path goBinary() {
    return GoBinaries.binary("mclease-candidate");
  }

  public Language language() {
    return language;
  }

  /** The process's libfaketime clocks; empty unless it runs with {@link Options#fakeTime()}. */
  public Optional<FakeTime> fakeTime() {
    return Optional.ofNullable(fakeTime);
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
    List<String> cmd = command();
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (fakeTime != null) {
      pb.environment().putAll(fakeTime.environment());
    }
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(identity + "-" + incarnation + ".log");
      Process p = pb.redirectError(log.toFile()).start();
      ChildProcesses.register(p);
      process = p;
      int inc = incarnation;
      Thread reader = new Thread(() -> read(p, inc), identity + "-" + inc + "-stdout");
      reader.setDaemon(true);
      reader.start();
      LOG.info("started {} candidate {} in {} (incarnation {}, pid {}, log {})", language, identity, clusterName, inc,
          p.pid(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
  }

  private List<String> command() {
    List<String> cmd = new ArrayList<>();
    if (language == Language.GO) {
      cmd.add(goBinary().toString());
    } else {
      cmd.addAll(JavaCommand.of(JavaCandidateMain.class.getName(), "128m"));
    }
    String unit = language == Language.GO ? "ms" : "";
    cmd.addAll(List.of("--kubeconfig", cluster.kubeconfig().toAbsolutePath().toString(),
        "--namespace", namespace, "--name", leaseName, "--identity", identity,
        "--lease-duration", timings.leaseDuration().toMillis() + unit,
        "--renew-deadline", timings.renewDeadline().toMillis() + unit,
        "--retry-period", timings.retryPeriod().toMillis() + unit));
    return cmd;
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
      long until = readAt + realNanos(Long.parseLong(m.group(3)));
      if (m.group(1).equals("START")) {
        leading = true;
        token = t;
        history.start(identity, inc, clusterName, t);
        LOG.info("{} candidate {} in {} started leading (token {})", language, identity, clusterName, t);
      }
      validUntilNanos = until;
      history.confirmed(identity, clusterName, t, until);
    } else if (line.equals("MCLEASE STOP")) {
      stopped();
    } else {
      LOG.debug("{}: {}", identity, line);
    }
  }

  /**
   * A remainder on the process's monotonic clock in this JVM's (real) nanoseconds: a drifting clock at rate r
   * measures r ns for every real one, so a process at 0.9 believes it leads 1/0.9 times as long as it says. The
   * history must hold what the process believes, or the checker would miss the overlap a slow clock causes.
   */
  private long realNanos(long processNanos) {
    return options.monotonicToo() ? (long) (processNanos / options.rate()) : processNanos;
  }

  private void stopped() {
    if (leading) {
      leading = false;
      history.stop(identity, clusterName);
      LOG.info("{} candidate {} in {} stopped leading", language, identity, clusterName);
    }
  }

  /**
   * SIGSTOP of the process, as a long GC pause or a throttled container: its leadership runs out on its own clock
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

  /** Leaves gracefully: SIGTERM, the process releases (spec.holderIdentity = "") and exits. */
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
    ChildProcesses.end(p, kill, timings.renewDeadline().plusSeconds(10), language + " candidate " + identity);
    synchronized (this) {
      // a dead process leads no more; a graceful one said STOP already (this records it only if it did not)
      stopped();
    }
    LOG.info("{} candidate {} {} (exit {})", language, identity, kill ? "killed" : "released and exited", p.exitValue());
  }

  @Override
  public void close() {
    kill();
  }

  @Override
  public String toString() {
    return clusterName + "/" + identity + (language == Language.GO ? " (Go)" : " (Java process)");
  }
}
