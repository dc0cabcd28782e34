package dev.mclease.client;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
  private static final int RELEASE_ATTEMPTS = 3;
  private static final String RBAC_HINT = "grant the candidate's ServiceAccount a Role with the rule "
      + "{apiGroups: [\"" + MultiClusterLease.GROUP + "\"], resources: [\"" + MultiClusterLease.PLURAL
      + "\"], verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\"]} and a RoleBinding";

  private final String namespace;
  private final String name;
  private final String identity;
  private final Duration leaseDuration;
  private final Duration renewDeadline;
  private final Duration retryPeriod;
  private final long leaseNanos;
  private final long deadlineNanos;
  private final long minWriteIntervalNanos;
  /** How long after a tick began {@link #get} may still wait for a confirmation (see awaitConfirmation). */
  private final long confirmWaitNanos;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final boolean watch;
  private final String subject;
  private final Problems problems;
  private final Problems watchProblems;
  private final Problems schemaProblems;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService io;
  private final Object ioGate = new Object();
  /**
   * Random per lock instance, written as spec.holderInstance with every heartbeat: a restart under the same identity
   * shows the controller a new instance, which it turns into a new acquisition with a larger fencing token.
   */
  private final String instance;

  // --- state, guarded by this ---
  private MultiClusterLease observed;
  private long observedRv = -1;
  private String pairHolder;
  private String pairRenewTime;
  private long pairSinceNanos;
  /** Heartbeats T this instance wrote (or is writing) → monotonic instant t0 of the write request. */
  private final HeartbeatLedger heartbeats;
  private Instant lastT;
  private boolean wrote;
  private long lastWriteNanos;
  private boolean confirmed;
  /** Monotonic end of the newest confirmation: t0(T) + min(D, status.confirmationWindowMilliseconds). */
  private long confirmedUntil;
  private Long confirmedToken;
  private boolean reportedLeader;
  private volatile KubernetesClient client;
  private SharedIndexInformer<MultiClusterLease> informer;
  private boolean closed;
  /** Set first thing in {@link #close()}: from then on this instance never counts itself leader again. */
  private boolean closing;

  // guarded by ioGate
  private Future<?> inFlight;
  private long inFlightSinceNanos;

  private MultiClusterLeaseLock(Builder b) {
    this.namespace = b.namespace;
    this.name = b.name;
    this.identity = b.identity;
    this.leaseDuration = b.leaseDuration;
    this.renewDeadline = b.renewDeadline;
    this.retryPeriod = b.retryPeriod;
    this.leaseNanos = leaseDuration.toNanos();
    this.deadlineNanos = renewDeadline.toNanos();
    this.minWriteIntervalNanos = retryPeriod.toNanos() / 2;
    this.confirmWaitNanos = b.confirmationWait != null ? b.confirmationWait.toNanos()
        : retryPeriod.toNanos() * 22 / 10; // fabric8: retryPeriod × (1 + JITTER_FACTOR 1.2)
    this.clock = b.clock;
    this.nanoTime = b.nanoTime;
    this.watch = b.watch;
    this.subject = MultiClusterLease.KIND + " " + namespace + "/" + name + " (" + identity + ")";
    this.problems = new Problems(LOG, subject);
    this.watchProblems = new Problems(LOG, subject + " watch");
    this.schemaProblems = new Problems(LOG, subject);
    this.io = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "mclease-lock-" + namespace + "/" + name);
      t.setDaemon(true);
      return t;
    });
    this.pairSinceNanos = nanoTime.getAsLong();
    this.heartbeats = new HeartbeatLedger(deadlineNanos);
    this.instance = UUID.randomUUID().toString();
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
    long tickStart = System.nanoTime();
    if (startUsing(client)) {
      runOnIo(() -> {
        signal(client);
        return null;
      }, retryPeriod, "heartbeat");
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
   * end the wait at once. The bound is on {@link System#nanoTime()} because the elector's scheduler runs on it; the
   * leadership judgement itself still uses the injected monotonic clock.
   */
  private void awaitConfirmation(long deadline) {
    synchronized (this) {
      while (confirmWaitNanos > 0 && !closed && watch && informer != null && !heartbeats.isEmpty()
          && !leaderAt(nanoTime.getAsLong()) && holdsSpec()) {
        long left = deadline - System.nanoTime();
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
    // A renewal: this tick's heartbeat was already written by get(). Never a second write.
    if (!isLeader()) {
      throw notConfirmed();
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
   * status names it and echoes a heartbeat T this instance wrote, and {@code now − t0(T) < renewDeadline}.
   * Reads memory only; correct while the API server is unreachable.
   */
  public synchronized boolean isLeader() {
    return leaderAt(nanoTime.getAsLong());
  }

  /**
   * The monotonic instant (scale of the injected nanoTime source, {@code System.nanoTime} by default) at which
   * the current leadership ends unless a newer heartbeat is confirmed; {@link Long#MIN_VALUE} if not leader now.
   */
  public synchronized long validUntilNanos() {
    return leaderAt(nanoTime.getAsLong()) ? confirmedUntil : Long.MIN_VALUE;
  }

  /**
   * Leader?, fencing token and monotonic deadline in one atomic answer: use this, not {@link #isLeader()} followed
   * by {@link #fencingToken()}, to fence a side effect (the two calls can disagree when the judgement changes in
   * between).
   */
  public synchronized Leadership leadership() {
    if (!leaderAt(nanoTime.getAsLong())) {
      return Leadership.NONE;
    }
    return new Leadership(true, confirmedToken == null ? OptionalLong.empty() : OptionalLong.of(confirmedToken),
        confirmedUntil);
  }

  /** The random id of this lock instance, written as {@code spec.holderInstance} with every heartbeat. */
  public String instance() {
    return instance;
  }

  /** {@code status.fencingToken} of the confirmed leadership; empty when not leader (or none was published). */
  public synchronized OptionalLong fencingToken() {
    return leaderAt(nanoTime.getAsLong()) && confirmedToken != null ? OptionalLong.of(confirmedToken)
        : OptionalLong.empty();
  }

  /** {@code status.leader} as last observed, wherever it runs; empty when none is known. Informational only. */
  public synchronized Optional<String> globalLeader() {
    return nonEmpty(status() == null ? null : status().getLeader());
  }

  /** {@code status.leaderCluster} as last observed. Informational only. */
  public synchronized Optional<String> leaderCluster() {
    return nonEmpty(status() == null ? null : status().getLeaderCluster());
  }

  /** {@code spec.holderIdentity} as last observed: this cluster's local candidate. Informational only. */
  public synchronized Optional<String> localCandidate() {
    return nonEmpty(observed == null || observed.getSpec() == null ? null : observed.getSpec().getHolderIdentity());
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
    SharedIndexInformer<MultiClusterLease> inf;
    synchronized (this) {
      if (closed || closing) {
        return;
      }
      // final from here on: no confirmation, early or late, makes this instance leader again
      closing = true;
      heartbeats.clear();
      confirmed = false;
      confirmedToken = null;
      notifyAll();
      c = holdsSpec() ? client : null;
      inf = informer;
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
    synchronized (this) {
      closed = true;
      informer = null;
      notifyAll(); // no tick waits for a confirmation any more
    }
    if (inf != null) {
      inf.stop();
    }
    io.shutdownNow();
  }

  private boolean release(KubernetesClient client, boolean throwOnFailure) {
    synchronized (this) {
      // stop counting ourselves leader before writing; forget our heartbeats so no late echo confirms us
      heartbeats.clear();
      confirmed = false;
      confirmedToken = null;
      notifyAll(); // a tick waiting for a confirmation stops waiting: none can come now
    }
    judgementMayHaveChanged();
    Boolean released = runOnIo(() -> releaseNow(client), renewDeadline, "release");
    if (released == null) {
      if (throwOnFailure) {
        throw new LockException(subject + ": could not write spec.holderIdentity=\"\" within renewDeadline "
            + renewDeadline + (problem().map(p -> ": " + p).orElse("")));
      }
      return false;
    }
    return released;
  }

  /** Runs on the io thread. */
  private boolean releaseNow(KubernetesClient client) {
    for (int attempt = 1; ; attempt++) {
      MultiClusterLease current;
      try {
        current = resource(client).get();
      } catch (KubernetesClientException e) {
        reportFailure("get", e);
        throw new LockException(subject + ": cannot release: " + problems.current().orElse(e.getMessage()), e);
      }
      observe(current);
      if (current == null || current.getSpec() == null || !identity.equals(current.getSpec().getHolderIdentity())) {
        return false;
      }
      Instant t;
      synchronized (this) {
        // Again, on the io thread: a heartbeat of a tick that was still in flight when release() began may have
        // been recorded since. No echo may confirm us once the controller can see "" and free the lock at once.
        heartbeats.clear();
        confirmed = false;
        confirmedToken = null;
        t = nextT();
      }
      judgementMayHaveChanged();
      try {
        MultiClusterLease written = client.resource(withSpec(current, "", t)).update();
        observe(written);
        problems.clear();
        LOG.info("{}: released the local candidacy (spec.holderIdentity=\"\")", subject);
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          reportFailure("update", e);
          throw new LockException(subject + ": cannot release: " + problems.current().orElse(e.getMessage()), e);
        }
        if (attempt >= RELEASE_ATTEMPTS) {
          throw new LockException(subject + ": release lost " + RELEASE_ATTEMPTS + " resourceVersion races in a row");
        }
        LOG.debug("{}: conflict while releasing, re-reading", subject);
      }
    }
  }

  // ----------------------------------------------------------------------------------------- the tick

  /** Runs on the io thread: read, maybe one spec write, observe. */
  private void signal(KubernetesClient client) {
    MultiClusterLease current;
    try {
      current = resource(client).get();
    } catch (KubernetesClientException e) {
      reportFailure("get", e);
      return;
    }
    if (current == null) {
      observe(null);
      if (!isClosing()) {
        createWithHeartbeat(client);
      }
      return;
    }
    observe(current);
    Instant t;
    String took;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      took = closing ? null : mayWriteSpec(current.getSpec(), now);
      if (took == null || (wrote && now - lastWriteNanos < minWriteIntervalNanos)) {
        took = null;
        t = null;
      } else {
        t = heartbeat(now);
      }
    }
    if (t == null) {
      problems.clear();
      return;
    }
    try {
      MultiClusterLease written = client.resource(withSpec(current, identity, t)).update();
      problems.clear();
      if (!took.isEmpty()) {
        LOG.info("{}: became this cluster's local candidate ({}); leader once the election controller confirms",
            subject, took);
      }
      observe(written);
      checkSchema(written);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        problems.clear();
        LOG.debug("{}: another writer changed the object first (409); not an error, next tick decides", subject);
      } else {
        reportFailure("update", e);
      }
    }
  }

  private void createWithHeartbeat(KubernetesClient client) {
    Instant t;
    synchronized (this) {
      t = heartbeat(nanoTime.getAsLong());
    }
    MultiClusterLease fresh = new MultiClusterLease();
    fresh.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    fresh.setSpec(heartbeatSpec(t));
    try {
      MultiClusterLease created = client.resource(fresh).create();
      problems.clear();
      LOG.info("{}: created the object and became this cluster's local candidate", subject);
      observe(created);
      checkSchema(created);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        problems.clear();
        LOG.debug("{}: another candidate created the object first; not an error", subject);
      } else {
        reportFailure("create", e);
      }
    }
  }

  /**
   * A real API server prunes the fields its CRD's schema does not know (the embedded mock kept them): a heartbeat
   * that comes back without {@code holderInstance} or {@code renewDeadlineMilliseconds} means the cluster's CRD is
   * older than this client, so the controller can neither cap this process's confirmations by its renewDeadline nor
   * tell a restart under the same identity from the process before it. Reported once, cleared by a whole heartbeat.
   */
  private void checkSchema(MultiClusterLease written) {
    MultiClusterLeaseSpec spec = written == null ? null : written.getSpec();
    if (spec == null || !identity.equals(spec.getHolderIdentity())) {
      return;
    }
    if (spec.getHolderInstance() == null || spec.getRenewDeadlineMilliseconds() == null) {
      schemaProblems.report("crd-outdated", "the API server pruned spec.holderInstance and "
          + "spec.renewDeadlineMilliseconds from this heartbeat: the MultiClusterLease CRD of this cluster is older "
          + "than this client, so the election controller can neither cap confirmations by this process's "
          + "renewDeadline nor tell a restart under the same identity from its predecessor; apply the CRD of this "
          + "release (kubectl apply -f " + MultiClusterLease.CRD_NAME + "-v1.yml)");
    } else {
      schemaProblems.clear();
    }
  }

  /**
   * Whether this process may write spec now, per the local election rule; null if not, "" for a heartbeat of
   * our own, else a description of what we take.
   */
  private String mayWriteSpec(MultiClusterLeaseSpec spec, long now) {
    String holder = spec == null ? null : spec.getHolderIdentity();
    if (identity.equals(holder)) {
      String earlier = spec.getHolderInstance();
      // A restart under the same identity takes spec at once; the controller sees a new holderInstance and
      // re-acquires once the earlier instance's last confirmation has run out, so the new term gets a new token.
      return earlier == null || earlier.equals(instance) ? ""
          : "it was held by an earlier instance of this identity (" + earlier + "); leadership follows with a new "
              + "fencing token once that instance's last confirmation has run out";
    }
    if (holder == null || holder.isEmpty()) {
      return "it was free";
    }
    long holderLease = spec.getLeaseDurationSeconds() == null ? leaseNanos
        : TimeUnit.SECONDS.toNanos(spec.getLeaseDurationSeconds());
    if (Objects.equals(holder, pairHolder) && now - pairSinceNanos >= holderLease) {
      return holder + "'s heartbeat had not changed for " + Duration.ofNanos(now - pairSinceNanos).toMillis()
          + " ms on this process's clock";
    }
    return null;
  }

  /** Picks the next T and remembers T → t0. Caller holds the monitor. */
  private Instant heartbeat(long now) {
    Instant t = nextT();
    heartbeats.wrote(t, now);
    wrote = true;
    lastWriteNanos = now;
    return t;
  }

  /**
   * Strictly increasing per writer, and newer than any echo seen, so a stale status can never echo a T that this
   * instance is about to write. Only equality of T matters; its value is never compared with a clock.
   */
  private Instant nextT() {
    Instant t = clock.instant().truncatedTo(ChronoUnit.MICROS);
    if (lastT != null && !t.isAfter(lastT)) {
      t = lastT.plus(1, ChronoUnit.MICROS);
    }
    lastT = t;
    return t;
  }

  // --------------------------------------------------------------------------------------- observation

  /** Takes in a state of the object (null = it does not exist); older resourceVersions than seen are ignored. */
  private void observe(MultiClusterLease obj) {
    boolean changed;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      if (obj == null) {
        changed = observed != null;
        observed = null;
        observedRv = -1;
      } else {
        long rv = parseRv(obj);
        if (rv >= 0 && observedRv >= 0 && rv < observedRv) {
          return;
        }
        changed = observed == null || rv != observedRv || rv < 0;
        observed = obj;
        observedRv = rv;
      }
      MultiClusterLeaseSpec spec = obj == null ? null : obj.getSpec();
      String holder = spec == null ? null : spec.getHolderIdentity();
      String renew = spec == null || spec.getRenewTime() == null ? null : spec.getRenewTime().getTime();
      if (!Objects.equals(holder, pairHolder) || !Objects.equals(renew, pairRenewTime)) {
        pairHolder = holder;
        pairRenewTime = renew;
        pairSinceNanos = now;
      }
      MultiClusterLeaseStatus st = status();
      Instant echoed = st == null ? null : instantOrNull(st.getObservedRenewTime());
      if (echoed != null && (lastT == null || echoed.isAfter(lastT))) {
        lastT = echoed;
      }
      confirmed = false;
      confirmedToken = null;
      if (st != null && identity.equals(st.getLeader()) && !closing) {
        OptionalLong until = heartbeats.leadsUntil(echoed, st.getConfirmationWindowMilliseconds());
        if (until.isPresent()) {
          confirmed = true;
          confirmedUntil = until.getAsLong();
          confirmedToken = st.getFencingToken();
          notifyAll(); // a tick waiting in awaitConfirmation answers now
        }
      }
    }
    if (changed) {
      notifyListeners();
    }
    judgementMayHaveChanged();
  }

  /** Whether the last observed spec names this instance as its cluster's local candidate. Caller holds the monitor. */
  private boolean holdsSpec() {
    return observed != null && observed.getSpec() != null && identity.equals(observed.getSpec().getHolderIdentity());
  }

  private synchronized boolean isClosing() {
    return closing;
  }

  private boolean leaderAt(long now) {
    return confirmed && !closing && now - confirmedUntil < 0;
  }

  /** Logs a leadership change once, and tells listeners. */
  private void judgementMayHaveChanged() {
    String line = null;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      boolean leader = leaderAt(now);
      if (leader != reportedLeader) {
        reportedLeader = leader;
        line = leader ? "confirmed as global leader, fencing token " + confirmedToken + ", valid for "
            + Duration.ofNanos(confirmedUntil - now).toMillis() + " ms unless renewed"
            : "no longer leader: " + whyNotLeader(now);
      }
    }
    if (line != null) {
      LOG.info("{}: {}", subject, line);
      notifyListeners();
    }
  }

  private String whyNotLeader(long now) {
    MultiClusterLeaseStatus st = status();
    if (observed == null) {
      return "the object is gone or not yet read";
    }
    if (st == null || st.getLeader() == null || st.getLeader().isEmpty()) {
      return "status names no leader";
    }
    if (!identity.equals(st.getLeader())) {
      return "status names " + st.getLeader() + nonEmpty(st.getLeaderCluster()).map(c -> " in " + c).orElse("");
    }
    if (closing) {
      return "the lock is closed";
    }
    if (confirmed) {
      return "no fresh confirmation within the window of the last confirmed heartbeat (renewDeadline "
          + renewDeadline + ", capped by the controller's status.confirmationWindowMilliseconds "
          + st.getConfirmationWindowMilliseconds() + ")";
    }
    return "status echoes a heartbeat this instance did not write (stale status or released)";
  }

  private LeaderElectionRecord recordNow() {
    boolean leader;
    String holder;
    ZonedDateTime acquired;
    judgementMayHaveChanged();
    ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
    synchronized (this) {
      leader = leaderAt(nanoTime.getAsLong());
      MultiClusterLeaseStatus st = status();
      String statusLeader = st == null ? null : st.getLeader();
      holder = leader ? identity
          : statusLeader != null && !statusLeader.isEmpty() && !identity.equals(statusLeader) ? statusLeader
          : NO_LEADER;
      Instant at = st == null ? null : instantOrNull(st.getAcquireTime());
      acquired = leader && at != null ? at.atZone(ZoneOffset.UTC) : now;
    }
    // renewTime = now either way: ours is current while confirmed; a foreign or placeholder one must never look
    // expired to the elector's wall clock (it would call update() to "take over", which we refuse anyway).
    return new LeaderElectionRecord(holder, leaseDuration, acquired, now, 0);
  }

  // ------------------------------------------------------------------------------------------ plumbing

  /** Remembers the client and starts the informer once; false when closed. */
  private boolean startUsing(KubernetesClient c) {
    SharedIndexInformer<MultiClusterLease> toStart = null;
    synchronized (this) {
      if (closed) {
        return false;
      }
      client = c;
      if (watch && informer == null) {
        informer = resource(c).runnableInformer(0);
        toStart = informer;
      }
    }
    if (toStart != null) {
      toStart.addEventHandler(new ResourceEventHandler<MultiClusterLease>() {
        @Override
        public void onAdd(MultiClusterLease obj) {
          watchProblems.clear();
          observe(obj);
        }

        @Override
        public void onUpdate(MultiClusterLease oldObj, MultiClusterLease newObj) {
          watchProblems.clear();
          observe(newObj);
        }

        @Override
        public void onDelete(MultiClusterLease obj, boolean deletedFinalStateUnknown) {
          observe(null);
        }
      });
      toStart.exceptionHandler((started, t) -> {
        watchProblems.report(t.getClass().getName() + ":" + (t instanceof KubernetesClientException
                ? ((KubernetesClientException) t).getCode() : 0),
            "cannot watch the object (" + explain("list/watch", t, c) + "); confirmations are only seen once per "
                + "tick until this is fixed; retrying");
        return true;
      });
      toStart.start();
    }
    return true;
  }

  /** Runs {@code work} on the io thread, waiting at most {@code wait}; null if it failed or did not finish. */
  private <T> T runOnIo(Callable<T> work, Duration wait, String what) {
    Future<T> f;
    synchronized (ioGate) {
      if (inFlight != null && !inFlight.isDone() && "heartbeat".equals(what)) {
        // the previous tick's request still hangs (API server slow or unreachable): do not pile up writes
        long pending = nanoTime.getAsLong() - inFlightSinceNanos;
        if (pending >= deadlineNanos) {
          problems.report("hanging", "the API server has not answered a request for "
              + Duration.ofNanos(pending).toMillis() + " ms (more than renewDeadline " + renewDeadline
              + "); answering from the last observed state, so this candidate is not leader. Check the connection "
              + "to the API server and the client's request timeout.");
        }
        return null;
      }
      try {
        f = io.submit(work);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return null;
      }
      inFlight = f;
      inFlightSinceNanos = nanoTime.getAsLong();
    }
    try {
      return f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // not a problem yet (a busy API server); it becomes one when a request hangs past renewDeadline or fails
      LOG.debug("{}: no answer to a {} within {}; answering from the last observed state", subject, what, wait);
      return null;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LockException) {
        throw (LockException) cause;
      }
      problems.report("unexpected:" + cause, "unexpected failure during " + what + ": " + cause);
      LOG.debug("{}: unexpected failure", subject, cause);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void reportFailure(String verb, KubernetesClientException e) {
    problems.report(verb + ":" + e.getCode() + ":" + rootClass(e), explain(verb, e, client));
  }

  private String explain(String verb, Throwable t, KubernetesClient c) {
    String what = MultiClusterLease.CRD_NAME + " " + namespace + "/" + name;
    String server = c == null ? "the API server" : "the API server at " + c.getMasterUrl();
    if (!(t instanceof KubernetesClientException)) {
      return verb + " " + what + " failed: " + t;
    }
    KubernetesClientException e = (KubernetesClientException) t;
    String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
        : e.getMessage();
    if (e.getCode() <= 0 || "io".equals(rootClass(e))) {
      return "cannot reach " + server + " (" + verb + " " + what + ": " + rootMessage(e) + "); check the "
          + "network and kubeconfig. Until it answers, this candidate answers from the last observed state and "
          + "stops leading by renewDeadline " + renewDeadline;
    }
    switch (e.getCode()) {
      case HttpURLConnection.HTTP_FORBIDDEN:
        return "Forbidden: may not " + verb + " " + MultiClusterLease.PLURAL + "." + MultiClusterLease.GROUP
            + " in namespace " + namespace + "; " + RBAC_HINT + ". Server said: " + said;
      case HttpURLConnection.HTTP_UNAUTHORIZED:
        return "Unauthorized: " + server + " rejected the credentials; check the kubeconfig or ServiceAccount token";
      case HttpURLConnection.HTTP_NOT_FOUND:
        if (namespaceMissing(e)) {
          // a real API server refuses objects in a namespace that does not exist, with the namespace's 404
          return "namespace " + namespace + " does not exist in " + server + " (" + verb + " " + what
              + " answered 404): create it (kubectl create namespace " + namespace + ") or give the lock the "
              + "namespace the candidates run in. Server said: " + said;
        }
        return server + " has no " + MultiClusterLease.PLURAL + "." + MultiClusterLease.GROUP + " in namespace "
            + namespace + " (" + verb + " answered 404): install the CRD (kubectl apply -f "
            + MultiClusterLease.CRD_NAME + "-v1.yml) and check that the namespace exists. Server said: " + said;
      default:
        return verb + " " + what + " failed with HTTP " + e.getCode() + ": " + said;
    }
  }

  /** Whether a 404 is the API server's "namespaces X not found" for this lock's namespace (not a missing CRD). */
  private boolean namespaceMissing(KubernetesClientException e) {
    var details = e.getStatus() == null ? null : e.getStatus().getDetails();
    return details != null && "namespaces".equals(details.getKind()) && namespace.equals(details.getName());
  }

  private static String rootClass(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r instanceof IOException ? "io" : r.getClass().getSimpleName();
  }

  private static String rootMessage(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r.getClass().getSimpleName() + (r.getMessage() == null ? "" : ": " + r.getMessage());
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

  private Resource<MultiClusterLease> resource(KubernetesClient c) {
    return c.resources(MultiClusterLease.class).inNamespace(namespace).withName(name);
  }

  private MultiClusterLease withSpec(MultiClusterLease current, String holder, Instant t) {
    MultiClusterLease desired = new MultiClusterLease();
    desired.setMetadata(new ObjectMetaBuilder(current.getMetadata()).build());
    desired.setSpec(holder.isEmpty() ? new MultiClusterLeaseSpec("", leaseSeconds(), MicroTimes.of(t))
        : heartbeatSpec(t));
    desired.setStatus(null);
    return desired;
  }

  /** Our heartbeat T, with the renewDeadline the controller caps confirmations by, and this lock instance. */
  private MultiClusterLeaseSpec heartbeatSpec(Instant t) {
    return new MultiClusterLeaseSpec(identity, leaseSeconds(), MicroTimes.of(t), renewDeadline.toMillis(), instance);
  }

  private int leaseSeconds() {
    return (int) leaseDuration.toSeconds();
  }

  private MultiClusterLeaseStatus status() {
    return observed == null ? null : observed.getStatus();
  }

  private LockException notConfirmed() {
    return new LockException(subject + ": not leader: " + whyNotLeaderNow()
        + ". The election controller of this cluster confirms a leader by echoing its heartbeat into status");
  }

  private synchronized String whyNotLeaderNow() {
    return whyNotLeader(nanoTime.getAsLong());
  }

  private static long parseRv(MultiClusterLease obj) {
    String rv = obj.getMetadata() == null ? null : obj.getMetadata().getResourceVersion();
    if (rv == null) {
      return -1;
    }
    try {
      return Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Instant instantOrNull(MicroTime t) {
    try {
      return MicroTimes.toInstant(t);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
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

    /** Tests only: without the informer the lock sees the object once per tick. Default on. */
    Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /** Validates {@code L > D > R > 0} and L in whole seconds. */
    public MultiClusterLeaseLock build() {
      if (retryPeriod.isNegative() || retryPeriod.isZero()) {
        throw new IllegalArgumentException("retryPeriod must be > 0, got " + retryPeriod);
      }
      if (renewDeadline.compareTo(retryPeriod) <= 0) {
        throw new IllegalArgumentException("renewDeadline (" + renewDeadline + ") must be greater than retryPeriod ("
            + retryPeriod + ")");
      }
      if (confirmationWait != null && confirmationWait.isNegative()) {
        throw new IllegalArgumentException("confirmationWait must be >= 0 (zero turns it off), got " + confirmationWait);
      }
      if (leaseDuration.compareTo(renewDeadline) <= 0) {
        throw new IllegalArgumentException("leaseDuration (" + leaseDuration + ") must be greater than renewDeadline ("
            + renewDeadline + ")");
      }
      if (leaseDuration.toNanosPart() != 0 || leaseDuration.toSeconds() < MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS
          || leaseDuration.toSeconds() > MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS) {
        throw new IllegalArgumentException("leaseDuration must be whole seconds between "
            + MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS + " and " + MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS
            + " (spec.leaseDurationSeconds), got " + leaseDuration);
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
