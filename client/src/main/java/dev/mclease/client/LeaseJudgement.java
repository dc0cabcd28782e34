package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link MultiClusterLeaseLock} has observed of its object and what it concludes from it: the newest state
 * seen ({@link ObservedLease}) and the watch that delivers states, the local election and the leadership judgement
 * kept current on every state taken in, and the elector's term. It exists so that the one path by which a state
 * enters the lock (watch, read or write answer: {@link #observe}) and the one place a leadership change is logged and
 * told to listeners stand apart from the lock's I/O and from the fabric8 adapter.
 *
 * <p>Guarded by the lock's monitor, as before: the fields are the lock's state, which the lock's parts read and change
 * only while they hold that monitor, and a confirmation wakes a tick waiting on it.
 */
final class LeaseJudgement {

  private static final Logger LOG = LoggerFactory.getLogger(MultiClusterLeaseLock.class);

  /** The lock: its monitor guards everything here. */
  private final Object monitor;
  private final String identity;
  private final String subject;
  /** The monotonic source of every judgement. */
  private final LongSupplier nanoTime;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  // --- state, guarded by the lock's monitor ---
  final ObservedLease observed = new ObservedLease();
  final LocalElection election;
  final LeadershipJudge judge;
  /** Holds a new acquisition back from fabric8 until the elector's previous term has ended. */
  final ElectorTerm term;
  private boolean reportedLeader;
  /** The own informer, or the registration with the shared watch; null before the first call and after close. */
  private WatchView watching;

  LeaseJudgement(Object monitor, LockSettings s, String instance) {
    this.monitor = monitor;
    this.identity = s.identity();
    this.subject = s.subject();
    this.nanoTime = s.nanoTime();
    this.election = new LocalElection(identity, instance, s.leaseDuration(), nanoTime.getAsLong());
    this.judge = new LeadershipJudge(identity, s.renewDeadline());
    this.term = new ElectorTerm();
  }

  /** The running watch, or null (none yet, none configured, or closed). Caller holds the monitor. */
  WatchView watching() {
    return watching;
  }

  /** Set by {@link LockIo} when the watch has started, and cleared at close. Caller holds the monitor. */
  void watching(WatchView w) {
    watching = w;
  }

  /** Takes in a state of the object (null = it does not exist); older resourceVersions than seen are ignored. */
  void observe(MultiClusterLease obj) {
    boolean changed;
    synchronized (monitor) {
      if (observed.isStale(obj)) {
        return;
      }
      changed = observed.take(obj);
      election.observed(obj == null ? null : obj.getSpec(), nanoTime.getAsLong());
      if (judge.judge(status())) {
        monitor.notifyAll(); // a tick waiting in ElectorAnswers.awaitConfirmation answers now
      }
    }
    if (changed) {
      notifyListeners();
    }
    judgementMayHaveChanged();
  }

  /** Whether the last observed spec names this instance as its cluster's local candidate. Caller holds the monitor. */
  boolean holdsSpec() {
    return observed.specHeldBy(identity);
  }

  /** Logs a leadership change once, and tells listeners. */
  void judgementMayHaveChanged() {
    String line = null;
    synchronized (monitor) {
      long now = nanoTime.getAsLong();
      boolean leader = judge.leaderAt(now);
      if (leader != reportedLeader) {
        reportedLeader = leader;
        line = judge.describe(leader, status(), observed.exists(), now);
      }
    }
    if (line != null) {
      LOG.info("{}: {}", subject, line);
      notifyListeners();
    }
  }

  /** See {@link MultiClusterLeaseLock#addListener}. */
  void addListener(Runnable onChange) {
    listeners.add(Objects.requireNonNull(onChange, "onChange"));
  }

  private void notifyListeners() {
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.warn("{}: a listener failed", subject, e);
      }
    }
  }

  /** The last observed status, or null. Caller holds the monitor. */
  MultiClusterLeaseStatus status() {
    return observed.status();
  }
}
