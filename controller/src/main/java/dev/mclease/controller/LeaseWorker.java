package dev.mclease.controller;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of one MultiClusterLease (protocol.md, "Controller side"); its states are {@link LeaseState}.
 * Not thread-safe: the controller runs every call for one lease on one serialized executor. Deterministic given the
 * injected clocks, so unit tests drive it directly: feed {@link #onSpec}, {@link #onLockEvent}, call
 * {@link #reconcile()} and read the returned next wake-up instant.
 *
 * <p>The safety rules are pure and live elsewhere: whether a heartbeat may be echoed and for how long
 * ({@link EchoRule}), when a held key may be released ({@link ReleaseRule}); the status is rendered from the state
 * by {@link StatusRenderer}. This class does the I/O: backend calls, metrics, events, the status write.
 */
final class LeaseWorker {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseWorker.class);

  private final String namespace;
  private final String name;
  private final String key;
  private final ControllerConfig cfg;
  private final GlobalLockBackend backend;
  private final LeaseOutput out;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final ControllerMetrics metrics;
  private final EchoRule echoRule;
  private final ReleaseRule releaseRule;
  private final StatusRenderer renderer;
  private final long retryNanos;
  private final StandbyRule standbyRule;

  // --- what the candidates wrote, and when this process saw it change
  private MultiClusterLeaseSpec spec;
  private long generation;
  private final HeartbeatObserver heartbeat = new HeartbeatObserver();
  /** What the object's annotations ask of an operator hand-over, and this controller's part in it. */
  private HandOver.Request handOverRequest = HandOver.Request.NONE;
  private final HandOver handOver;
  /** Why an operator wants {@link #mine} to step down, or null; decided at the start of every reconcile. */
  private ReleaseReason stepDown;

  // --- the global lock
  private LeaseState state = LeaseState.IDLE;
  private Acquisition mine;
  private final OtherHolder other;
  private String malformed;
  private String backendError;
  private boolean needLookup = true;
  /** The newest echo of {@link #mine}; null until its first echo. */
  private LastEcho lastEcho;

  // --- what the metrics read at a scrape (published at the end of every reconcile)
  private final long servedSinceNanos;
  private volatile boolean holdingNow;
  private volatile long lastHeldNanos;
  private volatile boolean specInvalidNow;
  private volatile int leaseSecondsNow;

  // --- lifecycle and output
  private boolean deleted;
  private boolean stopping;
  private final StatusWriter writer;
  private String lastInvalid;
  private String lastTooLong;
  private String lastMalformedEvent;

  LeaseWorker(String namespace, String name, ControllerConfig cfg, GlobalLockBackend backend, LeaseOutput out,
      Clock clock, LongSupplier nanoTime, ControllerMetrics metrics) {
    this.namespace = namespace;
    this.name = name;
    this.key = namespace + "/" + name;
    this.cfg = cfg;
    this.backend = backend;
    this.out = out;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.other = new OtherHolder(nanoTime, backend::watchReportsEveryChange);
    this.metrics = metrics;
    this.echoRule = EchoRule.of(cfg);
    this.releaseRule = ReleaseRule.of(cfg);
    this.renderer = new StatusRenderer(cfg, echoRule);
    this.retryNanos = cfg.retryPeriod().toNanos();
    this.standbyRule = new StandbyRule(cfg.retryPeriod(), cfg.standbyRecheck());
    this.writer = new StatusWriter(namespace, name, out, metrics, nanoTime, cfg.retryPeriod());
    this.handOver = new HandOver(cfg.clusterName());
    this.servedSinceNanos = nanoTime.getAsLong();
    this.lastHeldNanos = servedSinceNanos;
  }

  /**
   * Metric: 0 while this controller holds the lease's global lock, else seconds since it last held it (or since it
   * began serving the lease). The fleet has had no leader for the smallest value across its controllers.
   */
  double leaderlessSeconds() {
    return holdingNow ? 0 : Math.max(0, nanoTime.getAsLong() - lastHeldNanos) / 1e9;
  }

  /** Metric: L + G, within which a crashed candidate (L) or a crashed controller (G) is replaced; 0 before a spec. */
  double failoverBoundSeconds() {
    int l = leaseSecondsNow;
    return l <= 0 ? 0 : l + cfg.backendTtl().toMillis() / 1e3;
  }

  /** Metric: the spec cannot be served (condition InvalidSpec). */
  boolean specInvalid() {
    return specInvalidNow;
  }

  private void publish() {
    long now = nanoTime.getAsLong();
    if (mine != null || holdingNow) { // held now, or until this reconcile found it lost
      lastHeldNanos = now;
    }
    holdingNow = mine != null;
    specInvalidNow = spec != null && !deleted && SpecCheck.problem(spec) != null;
    Integer l = spec == null ? null : spec.getLeaseDurationSeconds();
    leaseSecondsNow = l == null ? 0 : l;
  }

  String key() {
    return key;
  }

  /** Where the lease stood at the end of the last {@link #reconcile()}. */
  LeaseState state() {
    return state;
  }

  /** The token of the acquisition this controller holds, if any. */
  Optional<Long> heldToken() {
    return mine == null ? Optional.empty() : Optional.of(mine.token());
  }

  boolean holding() {
    return mine != null;
  }

  /**
   * A new version of the object arrived. {@code observedAtNanos} is when this process received it: liveness is
   * judged from that instant, never from the renewTime value.
   */
  void onSpec(MultiClusterLease lease, long observedAtNanos) {
    MultiClusterLeaseSpec s = lease.getSpec() == null ? new MultiClusterLeaseSpec() : lease.getSpec();
    this.spec = s;
    this.deleted = false;
    Long gen = lease.getMetadata() == null ? null : lease.getMetadata().getGeneration();
    this.generation = gen == null ? 0 : gen;
    this.handOverRequest = HandOver.Request.of(lease.getMetadata() == null ? null
        : lease.getMetadata().getAnnotations());
    if (!heartbeat.seen() && lease.getStatus() != null) {
      writer.adopt(lease.getStatus().getConditions()); // keep lastTransitionTime of a previous controller process
    }
    heartbeat.observe(s, observedAtNanos);
  }

  /** The backend key changed (watch). */
  void onLockEvent(LockEvent e) {
    switch (e.type()) {
      case RELEASED -> {
        if (mine != null && (e.token() == mine.token())) {
          lose("the backend key was deleted or expired (token " + e.token() + ")");
        }
        other.released(e.token());
        malformed = null;
      }
      case ACQUIRED -> {
        if (mine != null && e.token() == mine.token()) {
          return;
        }
        if (e.holder() == null) {
          malformed = "backend key " + key + " was written with a malformed value (token " + e.token() + ")";
          other.forget();
        } else if (other.watchedAcquisition(new Held(e.holder(), e.token()))) {
          malformed = null;
        }
      }
      case RESYNC -> needLookup = true;
      default -> throw new IllegalStateException("unknown event " + e);
    }
  }

  /** The object was deleted: release once no echo can still be in force, then the worker is done. */
  void onDeleted() {
    deleted = true;
  }

  /** Graceful shutdown: no more echoes or acquisitions; release what is held once that is safe. */
  void stop() {
    stopping = true;
  }

  /** True when a deleted or stopping lease has nothing left to do. */
  boolean finished() {
    return (deleted || stopping) && mine == null;
  }

  /**
   * Does whatever the current state asks for (release, acquire, echo, write status) and returns the monotonic
   * instant at which it must run again even if nothing happens ({@link Long#MAX_VALUE} = only on events).
   */
  long reconcile() {
    try {
      return reconcileOnce();
    } finally {
      publish();
    }
  }

  private long reconcileOnce() {
    long now = nanoTime.getAsLong();
    long next = Long.MAX_VALUE;
    if (!heartbeat.seen()) {
      return next;
    }
    CandidateView cv = CandidateView.of(spec, heartbeat.changedAtNanos(), now, deleted, stopping);
    if (cv.alive()) {
      next = Math.min(next, cv.aliveUntilNanos());
    }
    stepDown = handOver.stepDown(handOverRequest, mine == null ? Long.MIN_VALUE : mine.token(), now, leaseNanos());

    // 1. Lost without releasing: once heldUntil has passed the session can no longer vouch for the key, and that is
    //    final (a lapse is never revived: HeldUntil).
    if (mine != null) {
      long hu = backend.heldUntilNanos();
      if (hu == Long.MIN_VALUE || hu - now <= 0) {
        lose("the backend session expired before it could be renewed");
      }
    }

    // 2. Release when the candidate is gone, changed, invalid, or we stop — only once ReleaseRule allows it.
    if (updateState(cv) == LeaseState.RELEASING) {
      ReleaseReason why = ReleaseReason.of(deleted, stopping, cv.invalid() != null, cv.holder().isEmpty(),
          cv.alive(), mine.holder().equals(cv.holder()), stepDown);
      if (releaseRule.mayRelease(why, lastEcho, now)) {
        release(why);
      } else {
        next = Math.min(next, releaseRule.releaseAt(why, lastEcho, now)); // an echo may still be in force
      }
      if (mine != null) {
        next = Math.min(next, now + retryNanos);
      }
    }
    if (deleted) {
      updateState(cv);
      return mine == null ? Long.MAX_VALUE : next;
    }

    // 3. Contend for the candidate, or learn who holds the key.
    long acquireFrom = handOver.acquireFrom(handOverRequest, now, leaseNanos());
    if (cv.candidate() != null && mine == null && acquireFrom - now <= 0) {
      long standbyUntil = standbyRule.waitUntil(heldElsewhereOnTheWatch() && !needLookup, other.seenAtNanos(), now);
      if (standbyUntil - now > 0) {
        next = Math.min(next, standbyUntil); // held elsewhere: the watch tells when it is free
      } else {
        acquire(cv.candidate(), cv.instance());
        if (mine == null) {
          next = Math.min(next, standbyRule.nextAttempt(heldElsewhereOnTheWatch(), nanoTime.getAsLong()));
        }
      }
    } else if (cv.candidate() != null && mine == null) {
      next = Math.min(next, acquireFrom); // an operator hand-over: another cluster's turn first
      if (needLookup) {
        lookup();
      }
    } else if (mine == null && needLookup && !stopping) {
      lookup();
      if (needLookup) {
        next = Math.min(next, now + retryNanos);
      }
    }

    // 4. Echo (or refuse to) and write the status.
    BackendHealth health = backend.health();
    boolean echoRuleHolds = updateState(cv) == LeaseState.HOLDING && echo(health, cv);
    reportSpecProblems(cv);
    MultiClusterLeaseStatus desired = renderer.render(new StatusRenderer.View(generation, state, cv, stopping, mine,
        lastEcho, echoRuleHolds, other.held(), malformed, health, backendError), writer.previousConditions(), clock.instant());
    reportRenewDeadline(desired);
    if (mine != null) {
      long hu = backend.heldUntilNanos();
      if (hu != Long.MIN_VALUE) {
        long ruleEnds = echoRule.grantEndsAt(hu, spec.getRenewDeadlineMilliseconds());
        next = Math.min(next, ruleEnds - now > 0 ? ruleEnds : now + retryNanos);
        next = Math.min(next, hu);
      }
    }
    next = Math.min(next, writer.write(desired, mine == null && !stopping, now));
    if (writer.failed()) {
      next = Math.min(next, now + Math.min(retryNanos, Duration.ofSeconds(1).toNanos()));
    }
    return next;
  }

  private LeaseState updateState(CandidateView cv) {
    state = LeaseState.of(mine != null, mine != null && mine.serves(cv.candidate(), cv.instance()) && stepDown == null,
        other.held() != null, cv.candidate() != null);
    return state;
  }

  // ------------------------------------------------------------------------------------------- transitions

  /**
   * HOLDING: whether the echo rule holds right now; if so and the heartbeat is new, it is echoed with the window
   * granted now. The window is fixed once per heartbeat: re-rendering status for the same T must not move it (nor
   * cause a write per reconcile), and the release wait must match what the candidate was told.
   */
  private boolean echo(BackendHealth health, CandidateView cv) {
    long echoAt = nanoTime.getAsLong(); // as late as possible: the rule is checked right before the write
    OptionalLong grant = health.reachable()
        ? echoRule.grant(backend.heldUntilNanos(), echoAt, spec.getRenewDeadlineMilliseconds())
        : OptionalLong.empty();
    if (grant.isPresent() && spec.getRenewTime() != null
        && (lastEcho == null || !Objects.equals(spec.getRenewTime(), lastEcho.renewTime()))) {
      lastEcho = new LastEcho(spec.getRenewTime(), heartbeat.changedAtNanos(), grant.getAsLong());
      metrics.echoed();
    }
    return grant.isPresent();
  }

  private void acquire(String candidate, String instance) {
    Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
    try {
      AcquireResult r = backend.acquire(key, new LockValue(candidate, cfg.clusterName(), at));
      backendError = null;
      malformed = null;
      needLookup = false;
      if (r instanceof AcquireResult.Granted g) {
        mine = new Acquisition(candidate, instance, g.token(), at);
        other.forget();
        lastEcho = null;
        metrics.acquired();
        metrics.held(1);
        LOG.info("{}: acquired the global lock for candidate {} (fencing token {})", key, candidate, g.token());
        out.event(namespace, name, "Normal", Conditions.REASON_ACQUIRED, "candidate " + candidate + " of cluster "
            + cfg.clusterName() + " acquired the global lock (fencing token " + g.token() + ")");
      } else if (r instanceof AcquireResult.HeldBy h) {
        if (other.held() == null || other.held().token() != h.token()) {
          LOG.debug("{}: held by {} of cluster {} (token {})", key, h.holder().holder(), h.holder().cluster(),
              h.token());
        }
        other.learned(new Held(h.holder(), h.token()));
      }
    } catch (MalformedValueException e) {
      onMalformed(e);
    } catch (BackendException e) {
      onBackendError("acquire", e);
    }
  }

  private void lookup() {
    try {
      Optional<Held> h = backend.current(key);
      if (h.isPresent()) {
        other.learned(h.get());
      } else {
        other.forget();
      }
      malformed = null;
      backendError = null;
      needLookup = false;
    } catch (MalformedValueException e) {
      onMalformed(e);
      needLookup = false;
    } catch (BackendException e) {
      onBackendError("current", e);
    }
  }

  /**
   * Another cluster's session holds the key, the backend answers, and the watch will report the end of that hold
   * ({@link OtherHolder#heldElsewhereOnTheWatch}: never for a key held in this cluster's own name).
   */
  private boolean heldElsewhereOnTheWatch() {
    return malformed == null && backendError == null && other.heldElsewhereOnTheWatch(cfg.clusterName());
  }

  private void release(ReleaseReason why) {
    try {
      backend.release(key, mine.token());
      backendError = null;
      LOG.info("{}: released the global lock of {} (token {}): {}", key, mine.holder(), mine.token(), why.label());
      out.event(namespace, name, "Normal", Conditions.REASON_RELEASED, "released the global lock of candidate "
          + mine.holder() + " (fencing token " + mine.token() + "): " + why.label());
      metrics.released(why.label());
      metrics.held(-1);
      handOver.released(why, nanoTime.getAsLong(), leaseNanos());
      mine = null;
      lastEcho = null;
      needLookup = true;
    } catch (BackendException e) {
      onBackendError("release", e);
    }
  }

  /** {@code L} of the spec in nanoseconds; 0 without one. */
  private long leaseNanos() {
    Integer l = spec == null ? null : spec.getLeaseDurationSeconds();
    return l == null ? 0 : Duration.ofSeconds(l).toNanos();
  }

  private void lose(String why) {
    LOG.warn("{}: lost the global lock of {} (token {}): {}", key, mine.holder(), mine.token(), why);
    out.event(namespace, name, "Warning", "GlobalLockLost", "lost the global lock of candidate " + mine.holder()
        + " (fencing token " + mine.token() + "): " + why + "; contending again when the backend is reachable");
    metrics.lost();
    metrics.held(-1);
    mine = null;
    lastEcho = null;
    needLookup = true;
  }

  private void onMalformed(MalformedValueException e) {
    malformed = e.getMessage();
    other.forget();
    backendError = null;
    if (!Objects.equals(lastMalformedEvent, e.getMessage())) {
      lastMalformedEvent = e.getMessage();
      LOG.error("{}: {}", key, e.getMessage());
      out.event(namespace, name, "Warning", Conditions.REASON_MALFORMED_BACKEND_VALUE, e.getMessage());
    }
  }

  private void onBackendError(String op, BackendException e) {
    metrics.backendError(op);
    if (Thread.currentThread().isInterrupted()) {
      LOG.debug("{}: backend {} interrupted by shutdown: {}", key, op, e.getMessage());
    } else if (!Objects.equals(backendError, e.getMessage())) {
      LOG.warn("{}: backend {} failed: {}", key, op, e.getMessage());
    }
    backendError = e.getMessage();
  }

  // ------------------------------------------------------------------------------------------- output

  /** One Warning event per new spec problem. */
  private void reportSpecProblems(CandidateView cv) {
    String invalid = cv.invalid();
    if (invalid != null && !invalid.equals(lastInvalid)) {
      LOG.warn("{}: {}", key, invalid);
      out.event(namespace, name, "Warning", Conditions.REASON_INVALID_SPEC, invalid);
    }
    lastInvalid = invalid;
  }

  /** One Warning event per new RenewDeadlineCovered=False message. */
  private void reportRenewDeadline(MultiClusterLeaseStatus st) {
    String tooLong = st.condition(Conditions.RENEW_DEADLINE_COVERED)
        .filter(c -> Conditions.FALSE.equals(c.getStatus())).map(Condition::getMessage).orElse(null);
    if (tooLong != null && !tooLong.equals(lastTooLong)) {
      LOG.warn("{}: {}", key, tooLong);
      out.event(namespace, name, "Warning", Conditions.REASON_RENEW_DEADLINE_TOO_LONG, tooLong);
    }
    lastTooLong = tooLong;
  }
}
