package dev.mclease.controller;

import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
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
 * by {@link StatusRenderer}. This class decides; the backend calls and what they leave known about the key are
 * {@link GlobalLock}, the events {@link LeaseEvents}, the gauges {@link LeaseGauges}, the status write
 * {@link StatusWriter}.
 */
final class LeaseWorker {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseWorker.class);

  private final String key;
  private final GlobalLockBackend backend;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final EchoRule echoRule;
  private final ReleaseRule releaseRule;
  private final StatusRenderer renderer;
  private final long retryNanos;
  private final long statusRetryNanos;
  private final StandbyRule standbyRule;

  // --- what the candidates wrote, and when this process saw it change
  private MultiClusterLeaseSpec spec;
  private long generation;
  private final HeartbeatObserver heartbeat = new HeartbeatObserver();
  /** What the object's annotations ask of an operator hand-over, and this controller's part in it. */
  private HandOver.Request handOverRequest = HandOver.Request.NONE;
  private final HandOver handOver;
  /**
   * Why an operator wants {@link GlobalLock#mine()} to step down, or null; decided at the start of every reconcile.
   */
  private ReleaseReason stepDown;

  // --- the global lock
  private LeaseState state = LeaseState.IDLE;
  private final GlobalLock lock;

  // --- what the metrics read at a scrape (published at the end of every reconcile)
  private final LeaseGauges gauges;

  // --- lifecycle and output
  private boolean deleted;
  private boolean stopping;
  private final StatusWriter writer;
  private final LeaseEvents events;

  /** A worker whose status writes run on the calling thread, before {@link #reconcile()} returns (unit tests). */
  LeaseWorker(String namespace, String name, ControllerConfig cfg, GlobalLockBackend backend, LeaseOutput out,
      Clock clock, LongSupplier nanoTime, ControllerMetrics metrics) {
    this(namespace, name, cfg, backend, out, clock, nanoTime, metrics, Runnable::run, () -> { });
  }

  /**
   * @param statusWrites where the lease's status writes run ({@link StatusLane}), off its loop
   * @param statusWriteFailed called when a write failed: the loop must reconcile again after
   *     {@link StatusWriter#retryDelay}
   */
  LeaseWorker(String namespace, String name, ControllerConfig cfg, GlobalLockBackend backend, LeaseOutput out,
      Clock clock, LongSupplier nanoTime, ControllerMetrics metrics, Executor statusWrites,
      Runnable statusWriteFailed) {
    this.key = namespace + "/" + name;
    this.backend = backend;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.events = new LeaseEvents(namespace, name, cfg.clusterName(), out, LOG);
    this.lock = new GlobalLock(key, cfg.clusterName(), backend, events, clock, nanoTime, metrics, LOG);
    this.echoRule = EchoRule.of(cfg);
    this.releaseRule = ReleaseRule.of(cfg);
    this.renderer = new StatusRenderer(cfg, echoRule);
    this.retryNanos = cfg.retryPeriod().toNanos();
    this.statusRetryNanos = StatusWriter.retryDelay(cfg.retryPeriod()).toNanos();
    this.standbyRule = new StandbyRule(cfg.retryPeriod(), cfg.standbyRecheck());
    this.writer = new StatusWriter(new StatusLane(namespace, name, out, metrics, nanoTime, statusWrites,
        statusWriteFailed), cfg.retryPeriod());
    this.handOver = new HandOver(cfg.clusterName());
    this.gauges = new LeaseGauges(nanoTime, cfg.backendTtl());
  }

  /** Metric: {@link LeaseGauges#leaderlessSeconds()}. */
  double leaderlessSeconds() {
    return gauges.leaderlessSeconds();
  }

  /** Metric: {@link LeaseGauges#failoverBoundSeconds()}. */
  double failoverBoundSeconds() {
    return gauges.failoverBoundSeconds();
  }

  /** Metric: {@link LeaseGauges#specInvalid()}. */
  boolean specInvalid() {
    return gauges.specInvalid();
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
    Acquisition mine = lock.mine();
    return mine == null ? Optional.empty() : Optional.of(mine.token());
  }

  boolean holding() {
    return lock.mine() != null;
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
    lock.onLockEvent(e);
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
    return (deleted || stopping) && lock.mine() == null;
  }

  /**
   * Does whatever the current state asks for (release, acquire, echo, write status) and returns the monotonic
   * instant at which it must run again even if nothing happens ({@link Long#MAX_VALUE} = only on events).
   */
  long reconcile() {
    try {
      return reconcileOnce();
    } finally {
      gauges.publish(lock.mine() != null, spec, deleted);
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
    stepDown = handOver.stepDown(handOverRequest, lock.mine() == null ? Long.MIN_VALUE : lock.mine().token(), now,
        leaseNanos());

    // 1. Lost without releasing: once heldUntil has passed the session can no longer vouch for the key, and that is
    //    final (a lapse is never revived: HeldUntil).
    lock.loseIfLapsed(now);

    // 2. Release when the candidate is gone, changed, invalid, or we stop — only once ReleaseRule allows it.
    if (updateState(cv) == LeaseState.RELEASING) {
      ReleaseReason why = ReleaseReason.of(deleted, stopping, cv.invalid() != null, cv.holder().isEmpty(),
          cv.alive(), lock.mine().holder().equals(cv.holder()), stepDown);
      if (releaseRule.mayRelease(why, lock.lastEcho(), now)) {
        if (lock.release(why)) {
          handOver.released(why, nanoTime.getAsLong(), leaseNanos());
        }
      } else {
        next = Math.min(next, releaseRule.releaseAt(why, lock.lastEcho(), now)); // an echo may still be in force
      }
      if (lock.mine() != null) {
        next = Math.min(next, now + retryNanos);
      }
    }
    if (deleted) {
      updateState(cv);
      return lock.mine() == null ? Long.MAX_VALUE : next;
    }

    // 3. Contend for the candidate, or learn who holds the key.
    long acquireFrom = handOver.acquireFrom(handOverRequest, now, leaseNanos());
    if (cv.candidate() != null && lock.mine() == null && acquireFrom - now <= 0) {
      long standbyUntil = standbyRule.waitUntil(lock.heldElsewhereOnTheWatch() && !lock.needLookup(),
          lock.otherSeenAtNanos(), now);
      if (standbyUntil - now > 0) {
        next = Math.min(next, standbyUntil); // held elsewhere: the watch tells when it is free
      } else {
        lock.acquire(cv.candidate(), cv.instance());
        if (lock.mine() == null) {
          next = Math.min(next, standbyRule.nextAttempt(lock.heldElsewhereOnTheWatch(), nanoTime.getAsLong()));
        }
      }
    } else if (cv.candidate() != null && lock.mine() == null) {
      next = Math.min(next, acquireFrom); // an operator hand-over: another cluster's turn first
      if (lock.needLookup()) {
        lock.lookup();
      }
    } else if (lock.mine() == null && lock.needLookup() && !stopping) {
      lock.lookup();
      if (lock.needLookup()) {
        next = Math.min(next, now + retryNanos);
      }
    }

    // 4. Echo (or refuse to) and write the status.
    BackendHealth health = backend.health();
    boolean echoRuleHolds = updateState(cv) == LeaseState.HOLDING && echo(health, cv);
    events.specProblems(cv);
    MultiClusterLeaseStatus desired = renderer.render(new StatusRenderer.View(generation, state, cv, stopping,
        lock.mine(), lock.lastEcho(), echoRuleHolds, lock.otherHeld(), lock.malformed(), health, lock.backendError()),
        writer.previousConditions(), clock.instant());
    events.renewDeadline(desired);
    if (lock.mine() != null) {
      long hu = backend.heldUntilNanos();
      if (hu != Long.MIN_VALUE) {
        long ruleEnds = echoRule.grantEndsAt(hu, spec.getRenewDeadlineMilliseconds());
        next = Math.min(next, ruleEnds - now > 0 ? ruleEnds : now + retryNanos);
        next = Math.min(next, hu);
      }
    }
    next = Math.min(next, writer.write(desired, lock.mine() == null && !stopping, now));
    if (writer.failed()) {
      next = Math.min(next, now + statusRetryNanos);
    }
    return next;
  }

  private LeaseState updateState(CandidateView cv) {
    Acquisition mine = lock.mine();
    state = LeaseState.of(mine != null, mine != null && mine.serves(cv.candidate(), cv.instance()) && stepDown == null,
        lock.otherHeld() != null, cv.candidate() != null);
    return state;
  }

  // ------------------------------------------------------------------------------------------- echo

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
    if (grant.isPresent() && spec.getRenewTime() != null) {
      lock.echoed(spec.getRenewTime(), heartbeat.changedAtNanos(), grant.getAsLong());
    }
    return grant.isPresent();
  }

  /** {@code L} of the spec in nanoseconds; 0 without one. */
  private long leaseNanos() {
    Integer l = spec == null ? null : spec.getLeaseDurationSeconds();
    return l == null ? 0 : Duration.ofSeconds(l).toNanos();
  }
}
