package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fabric8 {@link Lock} on a {@link MultiClusterLease}: drop it into a {@code LeaderElectionConfig} in place
 * of a {@code LeaseLock} and the elector elects one leader across every cluster that runs the election
 * controller, without comparing anybody's wall clock.
 *
 * <p>How the elector's questions are answered (see the package documentation for the contract):
 * <ul>
 *   <li>{@link #get} is the lock's tick. It reads the object (creating it with our heartbeat if it is missing),
 *       writes at most one heartbeat when this process may hold {@code spec} (it holds it, it is free, or the
 *       holder's heartbeat has not changed for leaseDuration on <em>this</em> process's monotonic clock), and
 *       then answers from the monotonic judgement: a record naming us with {@code renewTime} = now only while a
 *       fresh echo of our own heartbeat confirms us; otherwise a record naming the global leader (or
 *       {@link #NO_LEADER}) with {@code renewTime} = now, so the elector never decides to "take over" by
 *       wall-clock expiry. It never returns null and never throws; if the API server does not answer within
 *       retryPeriod it answers from the last observed state.</li>
 *   <li>{@link #update} writes nothing for a renewal (the heartbeat of this tick was written in {@code get}); it
 *       returns normally only while confirmed and throws a {@link LockException} (code 409) otherwise. A record
 *       with an empty holder (the elector's {@code release()}, i.e. {@code releaseOnCancel}) stops counting us
 *       leader and then writes {@code spec.holderIdentity = ""} with a CAS on spec.</li>
 *   <li>{@link #create} returns normally only if confirmed, which it never is right after creating.</li>
 * </ul>
 *
 * <p>An informer on the one object feeds confirmations and losses in as they happen; {@link #isLeader()},
 * {@link #validUntilNanos()} and {@link #fencingToken()} read only memory and the monotonic clock, so they
 * answer at once and keep answering correctly while the API server is unreachable.
 *
 * <p>Thread-safe. One instance per candidate process and object; do not share an identity between processes.
 */
public final class MultiClusterLeaseLock implements Lock, AutoCloseable {

  /** Holder named in {@link #get}'s record when no confirmed global leader is known. */
  public static final String NO_LEADER = "<no-confirmed-leader>";
  /** Default leaseDuration: a heartbeat counts for 15 s. */
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);
  /** Default renewDeadline: a confirmation lets this process lead for 10 s after the confirmed heartbeat. */
  public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(10);
  /** Default retryPeriod: one heartbeat every 2 s. */
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(MultiClusterLeaseLock.class);

  private final LockSettings settings;
  /** The monotonic source of every judgement. */
  private final LongSupplier nanoTime;
  private final Problems problems;
  private final Problems watchProblems;
  private final Problems schemaProblems;
  /**
   * Random per lock instance, written as spec.holderInstance with every heartbeat: a restart under the same identity
   * shows the controller a new instance, which it turns into a new acquisition with a larger fencing token.
   */
  private final String instance;
  // The lock's parts. The state they share is guarded by this lock's monitor: the observed object and the judgement
  // on it (state), the client and whether the lock is closed (LockIo), the heartbeats written (LockLedger).
  private final LeaseJudgement state;
  private final ElectorAnswers answers;
  private final StepDown stepDown;

  private MultiClusterLeaseLock(LockSettings s) {
    this.settings = s;
    this.nanoTime = s.nanoTime();
    String subject = s.subject();
    this.problems = new Problems(LOG, subject);
    this.watchProblems = new Problems(LOG, subject + " watch");
    this.schemaProblems = new Problems(LOG, subject);
    IoLane io = new IoLane(subject, "mclease-lock-" + s.namespace() + "/" + s.name(), nanoTime, s.renewDeadline(),
        problems);
    this.instance = UUID.randomUUID().toString();
    this.state = new LeaseJudgement(this, s, instance);
    HeartbeatWriter writer = new HeartbeatWriter(s.namespace(), s.name(), s.identity(), instance, s.leaseDuration(),
        s.renewDeadline(), subject, problems, schemaProblems, new LockLedger(this, s, state));
    LockIo lockIo = new LockIo(this, s, state, watchProblems, io, writer);
    this.answers = new ElectorAnswers(this, s, state, lockIo);
    this.stepDown = new StepDown(this, s, state, lockIo);
  }

  /**
   * A builder for the lock on {@code namespace/name} for the candidate {@code identity} (unique per process,
   * e.g. the pod name; at most 253 characters).
   */
  public static Builder builder(String namespace, String name, String identity) {
    return new Builder(namespace, name, identity);
  }

  // ------------------------------------------------------------------------------------------------ Lock

  @Override
  public LeaderElectionRecord get(KubernetesClient client) {
    return answers.get(client);
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    answers.create(client, leaderElectionRecord);
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    answers.update(client, leaderElectionRecord);
  }

  @Override
  public String identity() {
    return settings.identity();
  }

  @Override
  public String describe() {
    return "MultiClusterLeaseLock: " + settings.namespace() + " - " + settings.name() + " (" + settings.identity()
        + ")";
  }

  // ------------------------------------------------------------------------------------------ judgement

  /**
   * True iff, right now on the monotonic clock, this instance is the confirmed global leader: the last observed
   * status names it and echoes a heartbeat T this instance wrote, and {@code now − t0(T) < min(renewDeadline, W)}
   * ({@link LeadershipJudge}). Reads memory only; correct while the API server is unreachable.
   */
  public synchronized boolean isLeader() {
    return state.judge.leaderAt(nanoTime.getAsLong());
  }

  /**
   * The monotonic instant (scale of the injected nanoTime source, {@code System.nanoTime} by default) at which
   * the current leadership ends unless a newer heartbeat is confirmed; {@link Long#MIN_VALUE} if not leader now.
   */
  public synchronized long validUntilNanos() {
    return leadership().validUntilNanos();
  }

  /**
   * Leader?, fencing token and monotonic deadline in one atomic answer: use this, not {@link #isLeader()} followed
   * by {@link #fencingToken()}, to fence a side effect (the two calls can disagree when the judgement changes in
   * between).
   */
  public synchronized Leadership leadership() {
    return state.judge.leadership(nanoTime.getAsLong());
  }

  /** The random id of this lock instance, written as {@code spec.holderInstance} with every heartbeat. */
  public String instance() {
    return instance;
  }

  /** {@code status.fencingToken} of the confirmed leadership; empty when not leader (or none was published). */
  public synchronized OptionalLong fencingToken() {
    return leadership().fencingToken();
  }

  /** {@code status.leader} as last observed, wherever it runs; empty when none is known. Informational only. */
  public synchronized Optional<String> globalLeader() {
    return LeadershipJudge.nonEmpty(state.status() == null ? null : state.status().getLeader());
  }

  /** {@code status.leaderCluster} as last observed. Informational only. */
  public synchronized Optional<String> leaderCluster() {
    return LeadershipJudge.nonEmpty(state.status() == null ? null : state.status().getLeaderCluster());
  }

  /** {@code spec.holderIdentity} as last observed: this cluster's local candidate. Informational only. */
  public synchronized Optional<String> localCandidate() {
    return LeadershipJudge.nonEmpty(state.observed.spec() == null ? null : state.observed.spec().getHolderIdentity());
  }

  /** The current problem talking to the API server (what happened and what to do), if any. */
  public Optional<String> problem() {
    return problems.current().or(watchProblems::current).or(schemaProblems::current);
  }

  /**
   * Calls {@code onChange} whenever the observed object or the judgement changes (from the informer's or the
   * elector's thread; keep it short). Lets runners react at once instead of on the next tick.
   */
  public void addListener(Runnable onChange) {
    state.addListener(onChange);
  }

  public String namespace() {
    return settings.namespace();
  }

  public String name() {
    return settings.name();
  }

  public Duration leaseDuration() {
    return settings.leaseDuration();
  }

  public Duration renewDeadline() {
    return settings.renewDeadline();
  }

  public Duration retryPeriod() {
    return settings.retryPeriod();
  }

  // ------------------------------------------------------------------------------------------- release

  /**
   * Gives up this cluster's local candidacy now if this instance holds it: stops counting itself leader first,
   * then writes {@code spec.holderIdentity = ""} (a CAS on spec, re-read and retried on conflict) so the
   * election controller frees the global lock at once. Returns whether it wrote; false when it did not hold spec.
   *
   * @throws LockException when the write fails for another reason than losing the object to someone else
   */
  public boolean release(KubernetesClient client) {
    return stepDown.release(client);
  }

  /** Stops the informer; first releases the local candidacy (best effort) if this instance holds it. */
  @Override
  public void close() {
    stepDown.close();
  }

  @Override
  public String toString() {
    return describe();
  }

  /** Options; every default is documented on its setter. */
  public static final class Builder {
    private final String namespace;
    private final String name;
    private final String identity;
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration renewDeadline = DEFAULT_RENEW_DEADLINE;
    private Duration retryPeriod = DEFAULT_RETRY_PERIOD;
    private Clock clock = Clock.systemUTC();
    private LongSupplier nanoTime = System::nanoTime;
    private boolean watch = true;
    private SharedLeaseWatch sharedWatch;
    private Duration confirmationWait;

    private Builder(String namespace, String name, String identity) {
      this.namespace = LockSettings.requireText(namespace, "namespace");
      this.name = LockSettings.requireText(name, "name");
      this.identity = LockSettings.requireIdentity(identity);
    }

    /**
     * How long a holder's heartbeat counts for the other local candidates and for the controller (L, whole
     * seconds, 1..3600). Default 15 s.
     */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = Objects.requireNonNull(leaseDuration, "leaseDuration");
      return this;
    }

    /** How long a confirmed heartbeat lets this process lead, from its own write request (D). Default 10 s. */
    public Builder renewDeadline(Duration renewDeadline) {
      this.renewDeadline = Objects.requireNonNull(renewDeadline, "renewDeadline");
      return this;
    }

    /** Interval between heartbeats, and the longest a tick waits for the API server (R). Default 2 s. */
    public Builder retryPeriod(Duration retryPeriod) {
      this.retryPeriod = Objects.requireNonNull(retryPeriod, "retryPeriod");
      return this;
    }

    /** Wall clock for the heartbeat values and the records given to the elector. Default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Monotonic clock in nanoseconds, for every judgement. Default {@code System::nanoTime}. */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * How long after a tick began {@code get()} may wait for the echo of this process's heartbeat while it is its
     * cluster's local candidate and not confirmed yet, so that {@code onStartLeading} follows the confirmation at once
     * instead of on fabric8's next tick (up to 2.2 × retryPeriod later). Default 2.2 × retryPeriod, fabric8's longest
     * tick period. {@link Duration#ZERO} turns the wait off: do that when many locks share a small executor, since a
     * follower cluster's candidate waits on every tick and would hold a thread that other electors need.
     */
    public Builder confirmationWait(Duration confirmationWait) {
      this.confirmationWait = Objects.requireNonNull(confirmationWait, "confirmationWait");
      return this;
    }

    /**
     * Take this lock's object states from {@code watch}, one informer for many locks of this process, instead of an
     * informer of its own; for processes that contend for many leases. The watch must cover this lock's namespace
     * and outlive the lock. Default: an informer per lock.
     *
     * @throws IllegalArgumentException at {@link #build()} when it watches another namespace
     */
    public Builder sharedWatch(SharedLeaseWatch watch) {
      this.sharedWatch = Objects.requireNonNull(watch, "watch");
      return this;
    }

    /** Tests only: without the informer the lock sees the object once per tick. Default on. */
    Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /** Validates {@code L > D > R > 0} and L in whole seconds. */
    public MultiClusterLeaseLock build() {
      return new MultiClusterLeaseLock(new LockSettings(namespace, name, identity, leaseDuration, renewDeadline,
          retryPeriod, confirmationWait, clock, nanoTime, watch, sharedWatch));
    }
  }
}
