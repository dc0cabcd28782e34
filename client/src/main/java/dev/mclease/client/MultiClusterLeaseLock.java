package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
 *       leader and then writes {@code spec.holderIdentity = ""} with a resourceVersion CAS.</li>
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

  private final String namespace;
  private final String name;
  private final String identity;
  private final Duration leaseDuration;
  private final Duration renewDeadline;
  private final Duration retryPeriod;
  private final HeartbeatCadence cadence;
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
  private final boolean watch;
  private final SharedLeaseWatch sharedWatch;
  private final String subject;
  private final Problems problems;
  private final Problems watchProblems;
  private final Problems schemaProblems;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final IoLane io;
  private final HeartbeatWriter writer;
  /**
   * Random per lock instance, written as spec.holderInstance with every heartbeat: a restart under the same identity
   * shows the controller a new instance, which it turns into a new acquisition with a larger fencing token.
   */
  private final String instance;

  // --- state, guarded by this ---
  private final ObservedLease observed = new ObservedLease();
  private final LocalElection election;
  private final LeadershipJudge judge;
  /** Holds a new acquisition back from fabric8 until the elector's previous term has ended. */
  private final ElectorTerm term;
  private boolean wrote;
  private long lastWriteNanos;
  private boolean reportedLeader;
  private volatile KubernetesClient client;
  private boolean watchStarted;
  /** The own informer, or the registration with the shared watch; null before the first call and after close. */
  private WatchView watching;
  private boolean closed;

  private MultiClusterLeaseLock(Builder b) {
    this.namespace = b.namespace;
    this.name = b.name;
    this.identity = b.identity;
    this.leaseDuration = b.leaseDuration;
    this.renewDeadline = b.renewDeadline;
    this.retryPeriod = b.retryPeriod;
    this.cadence = new HeartbeatCadence(leaseDuration, renewDeadline, retryPeriod);
    this.confirmWaitNanos = b.confirmationWait != null ? b.confirmationWait.toNanos()
        : retryPeriod.toNanos() * 22 / 10; // fabric8: retryPeriod × (1 + JITTER_FACTOR 1.2)
    this.clock = b.clock;
    this.nanoTime = b.nanoTime;
    this.watch = b.watch;
    this.sharedWatch = b.sharedWatch;
    this.subject = MultiClusterLease.KIND + " " + namespace + "/" + name + " (" + identity + ")";
    this.problems = new Problems(LOG, subject);
    this.watchProblems = new Problems(LOG, subject + " watch");
    this.schemaProblems = new Problems(LOG, subject);
    this.io = new IoLane(subject, "mclease-lock-" + namespace + "/" + name, nanoTime, renewDeadline, problems);
    this.instance = UUID.randomUUID().toString();
    this.election = new LocalElection(identity, instance, leaseDuration, nanoTime.getAsLong());
    this.judge = new LeadershipJudge(identity, renewDeadline);
    this.term = new ElectorTerm();
    this.writer = new HeartbeatWriter(namespace, name, identity, instance, leaseDuration, renewDeadline, subject,
        problems, schemaProblems, new Ledger());
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
    Objects.requireNonNull(client, "client");
    long tickStart = schedulerNanoTime.getAsLong();
    if (startUsing(client)) {
      io.run(() -> {
        writer.tick(client);
        return null;
      }, retryPeriod, "heartbeat", true);
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
   * anyone without an informer, or without spec, since nothing could confirm them. {@link #close()} and a release
   * end the wait at once. The bound is on the scheduler's clock; the judgement itself uses the monotonic source.
   */
  private void awaitConfirmation(long deadline) {
    synchronized (this) {
      while (confirmWaitNanos > 0 && !closed && watching != null && judge.awaitsEcho()
          && !judge.leaderAt(nanoTime.getAsLong()) && holdsSpec()) {
        long left = deadline - schedulerNanoTime.getAsLong();
        if (left <= 0) {
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    if (!identity.equals(leaderElectionRecord.getHolderIdentity())) {
      throw new LockException(subject + ": refusing to create a record for " + leaderElectionRecord.getHolderIdentity()
          + "; only the candidate itself may write its heartbeat");
    }
    get(client); // creates the object with our heartbeat if it is missing
    if (!isLeader()) {
      throw notConfirmed();
    }
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord leaderElectionRecord) {
    String holder = leaderElectionRecord.getHolderIdentity();
    if (holder == null || holder.isEmpty()) {
      Objects.requireNonNull(client, "client");
      startUsing(client);
      release(client, true);
      return;
    }
    if (!identity.equals(holder)) {
      throw new LockException(subject + ": refusing to take " + MultiClusterLease.KIND + " over for " + holder
          + " by wall-clock expiry; the local election follows heartbeats observed on this process's monotonic clock");
    }
    // A renewal: this tick's heartbeat was already written by get(). Never a second write. It succeeds only for the
    // acquisition the elector was last told about (ElectorTerm).
    synchronized (this) {
      Leadership now = judge.leadership(nanoTime.getAsLong());
      if (!now.leader()) {
        throw notConfirmed();
      }
      if (!term.renews(now)) {
        throw new LockException(subject + ": confirmed for a new acquisition (fencing token "
            + now.fencingToken().orElse(-1) + "), not the one this elector's term began with; the term ends at the "
            + "next tick and a new one starts with onStartLeading");
      }
    }
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public String describe() {
    return "MultiClusterLeaseLock: " + namespace + " - " + name + " (" + identity + ")";
  }

  // ------------------------------------------------------------------------------------------ judgement

  /**
   * True iff, right now on the monotonic clock, this instance is the confirmed global leader: the last observed
   * status names it and echoes a heartbeat T this instance wrote, and {@code now − t0(T) < min(renewDeadline, W)}
   * ({@link LeadershipJudge}). Reads memory only; correct while the API server is unreachable.
   */
  public synchronized boolean isLeader() {
    return judge.leaderAt(nanoTime.getAsLong());
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
    return judge.leadership(nanoTime.getAsLong());
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
    return LeadershipJudge.nonEmpty(status() == null ? null : status().getLeader());
  }

  /** {@code status.leaderCluster} as last observed. Informational only. */
  public synchronized Optional<String> leaderCluster() {
    return LeadershipJudge.nonEmpty(status() == null ? null : status().getLeaderCluster());
  }

  /** {@code spec.holderIdentity} as last observed: this cluster's local candidate. Informational only. */
  public synchronized Optional<String> localCandidate() {
    return LeadershipJudge.nonEmpty(observed.spec() == null ? null : observed.spec().getHolderIdentity());
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
    listeners.add(Objects.requireNonNull(onChange, "onChange"));
  }

  public String namespace() {
    return namespace;
  }

  public String name() {
    return name;
  }

  public Duration leaseDuration() {
    return leaseDuration;
  }

  public Duration renewDeadline() {
    return renewDeadline;
  }

  public Duration retryPeriod() {
    return retryPeriod;
  }

  // ------------------------------------------------------------------------------------------- release

  /**
   * Gives up this cluster's local candidacy now if this instance holds it: stops counting itself leader first,
   * then writes {@code spec.holderIdentity = ""} (resourceVersion CAS, re-read and retried on conflict) so the
   * election controller frees the global lock at once. Returns whether it wrote; false when it did not hold spec.
   *
   * @throws LockException when the write fails for another reason than losing the object to someone else
   */
  public boolean release(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    startUsing(client);
    return release(client, true);
  }

  /** Stops the informer; first releases the local candidacy (best effort) if this instance holds it. */
  @Override
  public void close() {
    KubernetesClient c;
    synchronized (this) {
      if (closed || judge.isClosed()) {
        return;
      }
      // final from here on: no confirmation, early or late, makes this instance leader again
      judge.close();
      notifyAll();
      c = holdsSpec() ? client : null;
    }
    judgementMayHaveChanged();
    if (c != null) {
      try {
        release(c, false);
      } catch (RuntimeException e) {
        LOG.warn("{}: could not release on close ({}); the other candidates take over after leaseDuration {}",
            subject, e.getMessage(), leaseDuration);
      }
    }
    WatchView w;
    synchronized (this) {
      closed = true;
      w = watching;
      watching = null;
      notifyAll(); // no tick waits for a confirmation any more
    }
    stopWatching(w);
    io.close();
  }

  private boolean release(KubernetesClient client, boolean throwOnFailure) {
    synchronized (this) {
      // stop counting ourselves leader before writing; forget our heartbeats so no late echo confirms us
      judge.forget();
      notifyAll(); // a tick waiting for a confirmation stops waiting: none can come now
    }
    judgementMayHaveChanged();
    Boolean released = io.run(() -> writer.release(client), renewDeadline, "release", false);
    if (released == null) {
      if (throwOnFailure) {
        throw new LockException(subject + ": could not write spec.holderIdentity=\"\" within renewDeadline "
            + renewDeadline + (problem().map(p -> ": " + p).orElse("")));
      }
      return false;
    }
    return released;
  }

  // ------------------------------------------------------------------------------------------- the tick

  /** What the writer asks the lock; each decision under the lock's monitor. */
  private final class Ledger implements HeartbeatWriter.Ledger {
    @Override
    public void observe(MultiClusterLease obj) {
      MultiClusterLeaseLock.this.observe(obj);
    }

    @Override
    public HeartbeatWriter.Heartbeat nextHeartbeat(MultiClusterLeaseSpec current, boolean served, boolean create) {
      synchronized (MultiClusterLeaseLock.this) {
        long now = nanoTime.getAsLong();
        if (judge.isClosed()) {
          return null;
        }
        // the local election decides who may write (never by wall-clock expiry); the cadence, whether it is needed
        String took = create ? "" : election.mayWrite(current, now);
        if (took == null
            || !cadence.due(create || !wrote || !took.isEmpty(), lastWriteNanos, judge.leadership(now), served,
            now)) {
          return null;
        }
        wrote = true;
        lastWriteNanos = now;
        return new HeartbeatWriter.Heartbeat(judge.heartbeat(clock.instant(), now), took);
      }
    }

    @Override
    public WatchView.Stored known() {
      WatchView w;
      synchronized (MultiClusterLeaseLock.this) {
        w = watching;
      }
      WatchView.Stored s = w == null ? null : w.stored();
      if (s == null) {
        return null;
      }
      if (s.object() != null) {
        MultiClusterLeaseLock.this.observe(s.object()); // ignored when older than what a write's answer showed us
      }
      synchronized (MultiClusterLeaseLock.this) {
        // the newest of the watch's store and this process's own reads and writes: a create or write answered a
        // moment ago may not have reached the store yet (and if the object is gone, the write says 404)
        return new WatchView.Stored(observed.object());
      }
    }

    @Override
    public Instant forgetForRelease() {
      Instant t;
      synchronized (MultiClusterLeaseLock.this) {
        judge.forget();
        term.ended();
        t = judge.nextT(clock.instant());
      }
      judgementMayHaveChanged();
      return t;
    }
  }

  // --------------------------------------------------------------------------------------- observation

  /** Takes in a state of the object (null = it does not exist); older resourceVersions than seen are ignored. */
  private void observe(MultiClusterLease obj) {
    boolean changed;
    synchronized (this) {
      if (observed.isStale(obj)) {
        return;
      }
      changed = observed.take(obj);
      election.observed(obj == null ? null : obj.getSpec(), nanoTime.getAsLong());
      if (judge.judge(status())) {
        notifyAll(); // a tick waiting in awaitConfirmation answers now
      }
    }
    if (changed) {
      notifyListeners();
    }
    judgementMayHaveChanged();
  }

  /** Whether the last observed spec names this instance as its cluster's local candidate. Caller holds the monitor. */
  private boolean holdsSpec() {
    return observed.specHeldBy(identity);
  }

  /** Logs a leadership change once, and tells listeners. */
  private void judgementMayHaveChanged() {
    String line = null;
    synchronized (this) {
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

  private LeaderElectionRecord recordNow() {
    judgementMayHaveChanged();
    ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
    synchronized (this) {
      long t = nanoTime.getAsLong();
      return ElectorRecords.of(term.answerLeader(judge.leadership(t)), identity, status(), leaseDuration, now);
    }
  }


  // ------------------------------------------------------------------------------------------ plumbing

  /** Remembers the client and starts the informer once; false when closed. */
  private boolean startUsing(KubernetesClient c) {
    synchronized (this) {
      if (closed) {
        return false;
      }
      client = c;
      if (!watch || watchStarted) {
        return true;
      }
      watchStarted = true;
    }
    WatchView started = sharedWatch != null ? sharedWatch.register(name, this::observe, watchProblems)
        : ObjectWatch.start(writer.resource(c), namespace + "/" + name, this::observe, watchProblems,
            t -> writer.explain("list/watch", t, c));
    boolean stopNow;
    synchronized (this) {
      stopNow = closed;
      if (!stopNow) {
        watching = started;
      }
    }
    if (stopNow) {
      stopWatching(started); // closed while it started
    }
    return true;
  }

  private void stopWatching(WatchView w) {
    if (w == null) {
      return;
    }
    try {
      w.close();
    } catch (RuntimeException e) {
      LOG.debug("{}: stopping the watch failed", subject, e);
    }
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

  private MultiClusterLeaseStatus status() {
    return observed.status();
  }

  private LockException notConfirmed() {
    String why;
    synchronized (this) {
      why = judge.whyNot(status(), observed.exists());
    }
    return new LockException(subject + ": not leader: " + why
        + ". The election controller of this cluster confirms a leader by echoing its heartbeat into status");
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
      this.namespace = requireText(namespace, "namespace");
      this.name = requireText(name, "name");
      this.identity = requireText(identity, "identity");
      if (identity.length() > MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH) {
        throw new IllegalArgumentException("identity must be at most " + MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH
            + " characters, got " + identity.length());
      }
      if (NO_LEADER.equals(identity)) {
        throw new IllegalArgumentException("identity " + NO_LEADER + " is reserved");
      }
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
      LockTimings.check(leaseDuration, renewDeadline, retryPeriod, confirmationWait);
      if (sharedWatch != null && !sharedWatch.namespace().equals(namespace)) {
        throw new IllegalArgumentException("the shared watch covers namespace " + sharedWatch.namespace()
            + ", not this lock's namespace " + namespace + ": start a SharedLeaseWatch for " + namespace);
      }
      return new MultiClusterLeaseLock(this);
    }

    private static String requireText(String s, String what) {
      if (s == null || s.isEmpty()) {
        throw new IllegalArgumentException(what + " is required");
      }
      return s;
    }
  }
}
