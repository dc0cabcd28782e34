package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How a {@link MultiClusterLeaseLock} answers fabric8's elector, the bodies of its {@code Lock} methods
 * {@link MultiClusterLeaseLock#get get}, {@link MultiClusterLeaseLock#create create} and
 * {@link MultiClusterLeaseLock#update update} (their contract is on the lock's class documentation): {@code get} is
 * the tick and answers from the monotonic judgement, {@code update} is a renewal that writes nothing, a release, or a
 * refused take-over. It exists so that what fabric8 is told, and when it must wait for a confirmation, stands apart
 * from the lock's public surface and from the I/O.
 */
final class ElectorAnswers {

  /** The lock: its monitor guards the state; a release is its own {@code release}. */
  private final MultiClusterLeaseLock lock;
  private final LeaseJudgement state;
  private final LockIo lockIo;
  private final String identity;
  private final String subject;
  private final Duration leaseDuration;
  /** How long after a tick began {@link #get} may still wait for a confirmation (see awaitConfirmation). */
  private final long confirmWaitNanos;
  private final Clock clock;
  /** The monotonic source of every judgement. */
  private final LongSupplier nanoTime;
  /**
   * The clock of fabric8's scheduler, which times the elector's ticks: only the confirmation wait of a tick is
   * bounded on it (never a judgement), because that bound is about when the elector asks next.
   */
  private final LongSupplier schedulerNanoTime = System::nanoTime;

  ElectorAnswers(MultiClusterLeaseLock lock, LockSettings s, LeaseJudgement state, LockIo lockIo) {
    this.lock = lock;
    this.state = state;
    this.lockIo = lockIo;
    this.identity = s.identity();
    this.subject = s.subject();
    this.leaseDuration = s.leaseDuration();
    this.confirmWaitNanos = s.confirmWaitNanos();
    this.clock = s.clock();
    this.nanoTime = s.nanoTime();
  }

  /** {@link MultiClusterLeaseLock#get}. */
  LeaderElectionRecord get(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    long tickStart = schedulerNanoTime.getAsLong();
    if (lockIo.startUsing(client)) {
      lockIo.tick(client);
      awaitConfirmation(tickStart + confirmWaitNanos);
    }
    return recordNow();
  }

  /**
   * Lets a confirmation that arrives between two ticks be answered at once instead of at the next tick.
   *
   * <p>Why: fabric8's elector asks again only every {@code retryPeriod} to {@code 2.2 × retryPeriod} (a jittered
   * rate), so a confirmation that the informer delivers just after a tick would wait about {@code 0.84 ×
   * retryPeriod} on average, and up to {@code 2.2 × retryPeriod}, before {@code onStartLeading}: most of a graceful
   * handover with the default timings, since the protocol itself takes tens of milliseconds. So a candidate that
   * holds this cluster's spec, has a heartbeat that may be echoed, and is not leader yet waits here for the informer,
   * until the longest tick period after the tick began. fabric8 schedules at a rate, so the next tick then follows at
   * once, and no moment is left in which a confirmation waits for a tick. A waiting candidate ticks, and so
   * heartbeats, at most every {@code 2.2 × retryPeriod}, which is less than renewDeadline (fabric8 requires it) and
   * so less than leaseDuration. The leader never waits: its {@code onStopLeading} must not be delayed. Nor does
   * anyone without an informer, or without spec, since nothing could confirm them.
   * {@link MultiClusterLeaseLock#close()} and a release end the wait at once. The bound is on the scheduler's clock;
   * the judgement itself uses the monotonic source.
   */
  private void awaitConfirmation(long deadline) {
    synchronized (lock) {
      while (confirmWaitNanos > 0 && !lockIo.isClosed() && state.watching() != null && state.judge.awaitsEcho()
          && !state.judge.leaderAt(nanoTime.getAsLong()) && state.holdsSpec()) {
        long left = deadline - schedulerNanoTime.getAsLong();
        if (left <= 0) {
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** {@link MultiClusterLeaseLock#create}. */
  void create(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    if (!identity.equals(leaderElectionRecord.getHolderIdentity())) {
      throw new LockException(subject + ": refusing to create a record for " + leaderElectionRecord.getHolderIdentity()
          + "; only the candidate itself may write its heartbeat");
    }
    get(client); // creates the object with our heartbeat if it is missing
    if (!lock.isLeader()) {
      throw notConfirmed();
    }
  }

  /** {@link MultiClusterLeaseLock#update}. */
  void update(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    String holder = leaderElectionRecord.getHolderIdentity();
    if (holder == null || holder.isEmpty()) {
      lock.release(client);
      return;
    }
    if (!identity.equals(holder)) {
      throw new LockException(subject + ": refusing to take " + MultiClusterLease.KIND + " over for " + holder
          + " by wall-clock expiry; the local election follows heartbeats observed on this process's monotonic clock");
    }
    // A renewal: this tick's heartbeat was already written by get(). Never a second write. It succeeds only for the
    // acquisition the elector was last told about (ElectorTerm).
    synchronized (lock) {
      Leadership now = state.judge.leadership(nanoTime.getAsLong());
      if (!now.leader()) {
        throw notConfirmed();
      }
      if (!state.term.renews(now)) {
        throw new LockException(subject + ": confirmed for a new acquisition (fencing token "
            + now.fencingToken().orElse(-1) + "), not the one this elector's term began with; the term ends at the "
            + "next tick and a new one starts with onStartLeading");
      }
    }
  }

  private LeaderElectionRecord recordNow() {
    state.judgementMayHaveChanged();
    ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
    synchronized (lock) {
      long t = nanoTime.getAsLong();
      return ElectorRecords.of(state.term.answerLeader(state.judge.leadership(t)), identity, state.status(),
          leaseDuration, now);
    }
  }

  private LockException notConfirmed() {
    String why;
    synchronized (lock) {
      why = state.judge.whyNot(state.status(), state.observed.exists());
    }
    return new LockException(subject + ": not leader: " + why
        + ". The election controller of this cluster confirms a leader by echoing its heartbeat into status");
  }
}
