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
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of one MultiClusterLease (protocol.md, "Controller side"). Not thread-safe: the controller
 * runs every call for one lease on one serialized executor. Deterministic given the injected clocks, so unit
 * tests drive it directly: feed {@link #onSpec}, {@link #onLockEvent}, call {@link #reconcile()} and read the
 * returned next wake-up instant.
 *
 * <pre>
 *            candidate alive                Granted(token)
 *   IDLE ─────────────────────▶ CONTENDING ────────────────▶ HOLDING ──┐ echo newest T while
 *    ▲  ◀── not alive / "" ───      │  ▲ HeldBy / watch: acquired      │ heldUntil − now ≥ D + M
 *    │                              ▼  │ by other                      │ (else Leader=False
 *    │                           FOLLOWING ◀── watch RELEASED ─┐       │  BackendUnreachable)
 *    │                                                         │       │
 *    └──── release(token): holder "" (at once), heartbeat older than L, holder changed, spec invalid,
 *          object deleted (these wait until the last echo's window has closed: seen(T) + D + M);
 *          lost without release: session expired (heldUntil passed) or key deleted (watch)
 * </pre>
 */
final class LeaseWorker {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseWorker.class);
  private static final DateTimeFormatter K8S_TIME = DateTimeFormatter.ISO_INSTANT;

  /** Where the lease stands, for tests and logs. */
  enum Phase { IDLE, CONTENDING, HOLDING, FOLLOWING, INVALID }

  /** What this controller holds: the global lock for one lock instance ({@code holderInstance}) of a candidate. */
  private record Mine(String holder, String instance, long token, Instant acquiredAt) {

    /** Whether this acquisition serves exactly that candidate process; a restart under the same name does not. */
    boolean serves(String candidate, String candidateInstance) {
      return holder.equals(candidate) && Objects.equals(instance, candidateInstance);
    }
  }

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
  private final long retryNanos;

  // --- what the candidates wrote, and when this process saw it change
  private MultiClusterLeaseSpec spec;
  private long generation;
  private String lastHolder;
  private String lastInstance;
  private String lastRenew;
  private long lastChangeNanos;
  private boolean seen;

  // --- the global lock
  private Mine mine;
  private Held other;
  private String malformed;
  private String backendError;
  private boolean needLookup = true;
  private MicroTime lastEchoed;
  private long lastEchoSeenNanos;
  /** The window granted with {@link #lastEchoed}: how long that echo lets its candidate lead from t0(T). */
  private long lastEchoWindowNanos;
  private boolean echoedThisAcquisition;

  // --- lifecycle and output
  private boolean deleted;
  private boolean stopping;
  private MultiClusterLeaseStatus lastWritten;
  private final Map<String, Condition> previousConditions = new HashMap<>();
  private boolean writeFailed;
  private String lastInvalid;
  private String lastTooLong;
  private String lastMalformedEvent;
  private Phase phase = Phase.IDLE;

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
    this.metrics = metrics;
    this.echoRule = EchoRule.of(cfg);
    this.retryNanos = cfg.retryPeriod().toNanos();
  }

  String key() {
    return key;
  }

  Phase phase() {
    return phase;
  }

  /** The token of the acquisition this controller holds, if any. */
  Optional<Long> heldToken() {
    return mine == null ? Optional.empty() : Optional.of(mine.token);
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
    String holder = nullToEmpty(s.getHolderIdentity());
    String instance = s.getHolderInstance();
    String renew = s.getRenewTime() == null ? null : s.getRenewTime().getTime();
    if (!seen || !holder.equals(lastHolder) || !Objects.equals(instance, lastInstance)
        || !Objects.equals(renew, lastRenew)) {
      lastHolder = holder;
      lastInstance = instance;
      lastRenew = renew;
      lastChangeNanos = observedAtNanos;
    }
    if (!seen && lease.getStatus() != null) {
      // Keep lastTransitionTime of conditions a previous controller process wrote.
      for (Condition c : lease.getStatus().getConditions()) {
        previousConditions.put(c.getType(), c);
      }
    }
    seen = true;
  }

  /** The backend key changed (watch). */
  void onLockEvent(LockEvent e) {
    switch (e.type()) {
      case RELEASED -> {
        if (mine != null && (e.token() == mine.token)) {
          lose("the backend key was deleted or expired (token " + e.token() + ")");
        }
        if (other != null && (e.token() == 0 || e.token() == other.token())) {
          other = null;
        }
        malformed = null;
      }
      case ACQUIRED -> {
        if (mine != null && e.token() == mine.token) {
          return;
        }
        if (e.holder() == null) {
          malformed = "backend key " + key + " was written with a malformed value (token " + e.token() + ")";
          other = null;
        } else if (other == null || e.token() > other.token()) {
          other = new Held(e.holder(), e.token());
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
    long now = nanoTime.getAsLong();
    long next = Long.MAX_VALUE;
    if (!seen) {
      return next;
    }
    String invalid = deleted ? null : validate(spec);
    long leaseNanos = invalid == null ? Duration.ofSeconds(spec.getLeaseDurationSeconds()).toNanos() : 0;
    String holder = nullToEmpty(spec.getHolderIdentity());
    String instance = spec.getHolderInstance();
    boolean alive = invalid == null && !holder.isEmpty() && now - lastChangeNanos < leaseNanos;
    String candidate = alive && !deleted && !stopping ? holder : null;
    if (alive) {
      next = Math.min(next, lastChangeNanos + leaseNanos);
    }

    // 1. Lost without releasing: the session can no longer vouch for the key.
    if (mine != null) {
      long hu = backend.heldUntilNanos();
      if (hu == Long.MIN_VALUE || hu - now <= 0) {
        lose("the backend session expired before it could be renewed");
      }
    }

    // 2. Release when the candidate is gone, changed, invalid, or we stop.
    if (mine != null && !mine.serves(candidate, instance)) {
      boolean explicit = !deleted && !stopping && invalid == null && holder.isEmpty();
      long safeAt = echoedThisAcquisition ? echoRule.releaseSafeAt(lastEchoSeenNanos, lastEchoWindowNanos) : now;
      if (explicit || safeAt - now <= 0) {
        String reason = deleted ? "deleted" : stopping ? "shutdown" : invalid != null ? "invalid-spec"
            : holder.isEmpty() ? "released" : !alive ? "heartbeat-expired"
            : mine.holder.equals(holder) ? "restarted" : "holder-changed";
        release(reason);
      } else {
        next = Math.min(next, safeAt); // an echo may still be in force: wait until its window has closed
      }
      if (mine != null) {
        next = Math.min(next, now + retryNanos);
      }
    }
    if (deleted) {
      return mine == null ? Long.MAX_VALUE : next;
    }

    // 3. Contend for the candidate, or learn who holds the key.
    if (candidate != null && mine == null) {
      acquire(candidate, instance);
      if (mine == null) {
        next = Math.min(next, now + retryNanos);
      }
    } else if (mine == null && needLookup && !stopping) {
      lookup();
      if (needLookup) {
        next = Math.min(next, now + retryNanos);
      }
    }

    // 4. Echo (or refuse to) and write the status.
    MultiClusterLeaseStatus desired = desiredStatus(now, candidate, instance, holder, alive, invalid);
    if (mine != null) {
      long hu = backend.heldUntilNanos();
      if (hu != Long.MIN_VALUE) {
        long ruleEnds = echoRule.grantEndsAt(hu, spec.getRenewDeadlineMilliseconds());
        next = Math.min(next, ruleEnds - now > 0 ? ruleEnds : now + retryNanos);
        next = Math.min(next, hu);
      }
    }
    write(desired);
    if (writeFailed) {
      next = Math.min(next, now + Math.min(retryNanos, Duration.ofSeconds(1).toNanos()));
    }
    phase = invalid != null ? Phase.INVALID : mine != null ? Phase.HOLDING : other != null ? Phase.FOLLOWING
        : candidate != null ? Phase.CONTENDING : Phase.IDLE;
    return next;
  }

  // ------------------------------------------------------------------------------------------- transitions

  private void acquire(String candidate, String instance) {
    Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
    try {
      AcquireResult r = backend.acquire(key, new LockValue(candidate, cfg.clusterName(), at));
      backendError = null;
      malformed = null;
      needLookup = false;
      if (r instanceof AcquireResult.Granted g) {
        mine = new Mine(candidate, instance, g.token(), at);
        other = null;
        echoedThisAcquisition = false;
        lastEchoed = null;
        metrics.acquired();
        metrics.held(1);
        LOG.info("{}: acquired the global lock for candidate {} (fencing token {})", key, candidate, g.token());
        out.event(namespace, name, "Normal", Conditions.REASON_ACQUIRED, "candidate " + candidate + " of cluster "
            + cfg.clusterName() + " acquired the global lock (fencing token " + g.token() + ")");
      } else if (r instanceof AcquireResult.HeldBy h) {
        if (other == null || other.token() != h.token()) {
          LOG.debug("{}: held by {} of cluster {} (token {})", key, h.holder().holder(), h.holder().cluster(),
              h.token());
        }
        other = new Held(h.holder(), h.token());
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
      other = h.orElse(null);
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

  private void release(String reason) {
    try {
      backend.release(key, mine.token);
      backendError = null;
      LOG.info("{}: released the global lock of {} (token {}): {}", key, mine.holder, mine.token, reason);
      out.event(namespace, name, "Normal", Conditions.REASON_RELEASED, "released the global lock of candidate "
          + mine.holder + " (fencing token " + mine.token + "): " + reason);
      metrics.released(reason);
      metrics.held(-1);
      mine = null;
      lastEchoed = null;
      echoedThisAcquisition = false;
      needLookup = true;
    } catch (BackendException e) {
      onBackendError("release", e);
    }
  }

  private void lose(String why) {
    LOG.warn("{}: lost the global lock of {} (token {}): {}", key, mine.holder, mine.token, why);
    out.event(namespace, name, "Warning", "GlobalLockLost", "lost the global lock of candidate " + mine.holder
        + " (fencing token " + mine.token + "): " + why + "; contending again when the backend is reachable");
    metrics.lost();
    metrics.held(-1);
    mine = null;
    lastEchoed = null;
    echoedThisAcquisition = false;
    needLookup = true;
  }

  private void onMalformed(MalformedValueException e) {
    malformed = e.getMessage();
    other = null;
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

  // ------------------------------------------------------------------------------------------- status

  private MultiClusterLeaseStatus desiredStatus(long now, String candidate, String instance, String holder,
      boolean alive, String invalid) {
    MultiClusterLeaseStatus st = new MultiClusterLeaseStatus();
    st.setObservedGeneration(generation);
    BackendHealth health = backend.health();
    boolean reachable = health.reachable() && backendError == null;
    String backendDetail = backendError != null ? backendError : health.detail();
    List<Condition> conds = new ArrayList<>();

    String leaderStatus;
    String leaderReason;
    String leaderMessage;
    if (mine != null && mine.serves(candidate, instance)) {
      st.setLeader(mine.holder);
      st.setLeaderCluster(cfg.clusterName());
      st.setFencingToken(mine.token);
      st.setAcquireTime(MicroTimes.of(mine.acquiredAt));
      long echoAt = nanoTime.getAsLong();
      OptionalLong grant = health.reachable()
          ? echoRule.grant(backend.heldUntilNanos(), echoAt, spec.getRenewDeadlineMilliseconds())
          : OptionalLong.empty();
      boolean ruleOk = grant.isPresent();
      if (ruleOk && spec.getRenewTime() != null) {
        if (!Objects.equals(spec.getRenewTime(), lastEchoed)) {
          // The window is fixed once per heartbeat: re-rendering status for the same T must not move it (nor cause
          // a write per reconcile), and the release wait must match what the candidate was told.
          lastEchoed = spec.getRenewTime();
          lastEchoSeenNanos = lastChangeNanos;
          lastEchoWindowNanos = grant.getAsLong();
          echoedThisAcquisition = true;
          metrics.echoed();
        }
        leaderStatus = Conditions.TRUE;
        leaderReason = Conditions.REASON_ACQUIRED;
        leaderMessage = "candidate " + mine.holder + " holds the global lock (fencing token " + mine.token
            + "); its heartbeats are being confirmed";
      } else {
        leaderStatus = Conditions.FALSE;
        leaderReason = Conditions.REASON_BACKEND_UNREACHABLE;
        leaderMessage = "heartbeats are not confirmed: the backend session cannot vouch for the lock for another "
            + "D + M = " + Duration.ofNanos(Math.min(echoRule.candidateDeadlineNanos(spec.getRenewDeadlineMilliseconds()),
                cfg.candidateRenewDeadline().toNanos())).plus(cfg.safetyMargin()).toMillis()
            + " ms (" + backendDetail + "); the candidate"
            + " stops leading within its renew deadline; check the controller's connection to the backend";
        reachable = reachable && ruleOk;
      }
      st.setObservedRenewTime(lastEchoed);
      st.setConfirmationWindowMilliseconds(lastEchoed == null ? null : windowMillis());
    } else if (mine != null) {
      st.setLeader(mine.holder);
      st.setLeaderCluster(cfg.clusterName());
      st.setFencingToken(mine.token);
      st.setAcquireTime(MicroTimes.of(mine.acquiredAt));
      st.setObservedRenewTime(lastEchoed);
      st.setConfirmationWindowMilliseconds(lastEchoed == null ? null : windowMillis());
      leaderStatus = Conditions.FALSE;
      leaderReason = Conditions.REASON_RELEASED;
      leaderMessage = "releasing the global lock of " + mine.holder + " (token " + mine.token + ") as soon as its"
          + " last confirmed heartbeat can no longer be in force";
    } else if (other != null) {
      LockValue v = other.value();
      st.setLeader(v.holder());
      st.setLeaderCluster(v.cluster());
      st.setFencingToken(other.token());
      st.setAcquireTime(MicroTimes.of(v.acquiredAt()));
      leaderStatus = Conditions.FALSE;
      leaderReason = Conditions.REASON_HELD_ELSEWHERE;
      leaderMessage = v.cluster().equals(cfg.clusterName())
          ? "the global lock is still held for " + v.holder() + " by an earlier session of this cluster's controller"
              + " (token " + other.token() + "); it is released or expires within the backend TTL "
              + cfg.backendTtl().toSeconds() + "s"
          : "the global lock is held by " + v.holder() + " in cluster " + v.cluster() + " (token " + other.token()
              + "); this cluster's candidate takes over when it is released or expires";
    } else {
      st.setLeader("");
      st.setLeaderCluster("");
      leaderStatus = Conditions.FALSE;
      if (invalid != null) {
        leaderReason = Conditions.REASON_INVALID_SPEC;
        leaderMessage = invalid;
      } else if (malformed != null) {
        leaderReason = Conditions.REASON_MALFORMED_BACKEND_VALUE;
        leaderMessage = malformed;
      } else if (!reachable) {
        leaderReason = Conditions.REASON_BACKEND_UNREACHABLE;
        leaderMessage = "cannot contend: the global lock backend is unreachable (" + backendDetail + "); check the "
            + "controller's backend endpoints, network and TLS";
      } else if (stopping) {
        leaderReason = Conditions.REASON_RELEASED;
        leaderMessage = "the election controller of cluster " + cfg.clusterName() + " is shutting down";
      } else if (candidate != null) {
        leaderReason = Conditions.REASON_NO_CANDIDATE;
        leaderMessage = "contending for the global lock on behalf of " + candidate;
      } else {
        leaderReason = holder.isEmpty() ? Conditions.REASON_NO_CANDIDATE : Conditions.REASON_HEARTBEAT_EXPIRED;
        leaderMessage = holder.isEmpty()
            ? "no local candidate holds spec.holderIdentity; start a candidate to contend"
            : "the local candidate " + holder + " stopped heartbeating; it is not contended until it renews";
      }
    }
    conds.add(condition(Conditions.LEADER, leaderStatus, leaderReason, leaderMessage));

    if (reachable) {
      conds.add(condition(Conditions.BACKEND_REACHABLE, Conditions.TRUE, Conditions.REASON_BACKEND_OK,
          malformed != null ? "the backend answers, but " + malformed : "the global lock backend answers"));
    } else {
      conds.add(condition(Conditions.BACKEND_REACHABLE, Conditions.FALSE, Conditions.REASON_BACKEND_UNREACHABLE,
          "the global lock backend does not answer: " + backendDetail + "; check its endpoints, the network and"
              + " TLS files of the controller"));
    }

    if (invalid != null) {
      conds.add(condition(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_INVALID_SPEC, invalid));
      if (!invalid.equals(lastInvalid)) {
        lastInvalid = invalid;
        LOG.warn("{}: {}", key, invalid);
        out.event(namespace, name, "Warning", Conditions.REASON_INVALID_SPEC, invalid);
      }
    } else {
      lastInvalid = null;
      if (alive) {
        conds.add(condition(Conditions.CANDIDATE_ALIVE, Conditions.TRUE, Conditions.REASON_HEARTBEATING,
            "candidate " + holder + " is heartbeating"));
      } else if (holder.isEmpty()) {
        conds.add(condition(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_NO_CANDIDATE,
            "spec.holderIdentity is empty: no local candidate; start one to contend"));
      } else {
        conds.add(condition(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_HEARTBEAT_EXPIRED,
            "candidate " + holder + " has not changed spec.renewTime for leaseDurationSeconds="
                + spec.getLeaseDurationSeconds() + "; check that the candidate pod runs and can reach the API"
                + " server"));
      }
    }
    Optional<Condition> covered = renewDeadlineCondition(holder, invalid);
    covered.ifPresent(conds::add);
    String tooLong = covered.filter(c -> Conditions.FALSE.equals(c.getStatus())).map(Condition::getMessage)
        .orElse(null);
    if (tooLong != null && !tooLong.equals(lastTooLong)) {
      LOG.warn("{}: {}", key, tooLong);
      out.event(namespace, name, "Warning", Conditions.REASON_RENEW_DEADLINE_TOO_LONG, tooLong);
    }
    lastTooLong = tooLong;
    st.setConditions(conds);
    return st;
  }

  /** Rounded down, so the candidate is never told more than was granted. */
  private long windowMillis() {
    return lastEchoWindowNanos / 1_000_000L;
  }

  /** RenewDeadlineCovered, while there is a valid local candidate to say it about. */
  private Optional<Condition> renewDeadlineCondition(String holder, String invalid) {
    if (invalid != null || holder.isEmpty()) {
      return Optional.empty();
    }
    Long d = spec.getRenewDeadlineMilliseconds();
    long cover = echoRule.steadyCover().toMillis();
    String numbers = "backend TTL G " + cfg.backendTtl().toMillis() + " ms - renew interval K "
        + cfg.backendRenewInterval().toMillis() + " ms - safety margin M " + cfg.safetyMargin().toMillis() + " ms = "
        + cover + " ms";
    if (d == null) {
      return Optional.of(condition(Conditions.RENEW_DEADLINE_COVERED, Conditions.UNKNOWN,
          Conditions.REASON_RENEW_DEADLINE_NOT_PUBLISHED, "candidate " + holder + " does not publish "
              + "spec.renewDeadlineMilliseconds (a client before 0.2): it is trusted to keep its renewDeadline at most"
              + " this controller's --candidate-renew-deadline " + cfg.candidateRenewDeadline().toMillis() + " ms;"
              + " upgrade the client so that every confirmation is capped by what the global lock covers"));
    }
    if (echoRule.covers(d)) {
      return Optional.of(condition(Conditions.RENEW_DEADLINE_COVERED, Conditions.TRUE,
          Conditions.REASON_WITHIN_LOCK_COVER, "candidate " + holder + "'s renewDeadline " + d + " ms fits in what "
              + "the global lock vouches for between two renewals (" + numbers + ")"));
    }
    return Optional.of(condition(Conditions.RENEW_DEADLINE_COVERED, Conditions.FALSE,
        Conditions.REASON_RENEW_DEADLINE_TOO_LONG, "candidate " + holder + "'s renewDeadline " + d + " ms is longer "
            + "than the global lock vouches for between two renewals (" + numbers + "): each confirmation is capped "
            + "(status.confirmationWindowMilliseconds), so it leads for less than it expects after each heartbeat. "
            + "Lower the candidate's renewDeadline to at most " + cover + " ms, or raise the controller's "
            + "--backend-ttl to more than " + (d + cfg.backendRenewInterval().toMillis() + cfg.safetyMargin().toMillis())
            + " ms"));
  }

  private Condition condition(String type, String status, String reason, String message) {
    Condition prev = previousConditions.get(type);
    String ltt = prev != null && status.equals(prev.getStatus()) && prev.getLastTransitionTime() != null
        ? prev.getLastTransitionTime()
        : K8S_TIME.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withLastTransitionTime(ltt).withObservedGeneration(generation).build();
  }

  private void write(MultiClusterLeaseStatus desired) {
    if (desired.equals(lastWritten) && !writeFailed) {
      return;
    }
    long t0 = nanoTime.getAsLong();
    try {
      out.writeStatus(namespace, name, desired);
      metrics.statusWritten(Duration.ofNanos(nanoTime.getAsLong() - t0));
      lastWritten = desired;
      writeFailed = false;
      for (Condition c : desired.getConditions()) {
        previousConditions.put(c.getType(), c);
      }
    } catch (RuntimeException e) {
      metrics.statusWriteFailed();
      if (Thread.currentThread().isInterrupted()) {
        LOG.debug("{}: status write interrupted by shutdown ({})", key, e.toString());
      } else if (!writeFailed) {
        LOG.warn("{}: status write failed ({}); retrying", key, e.toString());
      }
      writeFailed = true;
    }
  }

  // ------------------------------------------------------------------------------------------- validation

  /** Null when the spec can be served; else what is wrong and what to do. */
  static String validate(MultiClusterLeaseSpec spec) {
    if (spec == null) {
      return "spec is missing: candidates must write spec.holderIdentity, spec.leaseDurationSeconds and "
          + "spec.renewTime";
    }
    Integer l = spec.getLeaseDurationSeconds();
    if (l == null || l < MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS
        || l > MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS) {
      return "spec.leaseDurationSeconds is " + l + ": it must be between "
          + MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS + " and " + MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS
          + "; fix the candidate's configuration (and apply the CRD, whose schema rejects such values)";
    }
    String h = spec.getHolderIdentity();
    if (h != null && h.length() > MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH) {
      return "spec.holderIdentity is " + h.length() + " characters long: at most "
          + MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH + " are allowed; use a shorter identity such as the"
          + " pod name";
    }
    if (h != null && !h.isEmpty()) {
      if (spec.getRenewTime() == null) {
        return "spec.renewTime is missing while holderIdentity is " + h + ": candidates must write it with every"
            + " heartbeat";
      }
      try {
        MicroTimes.toInstant(spec.getRenewTime());
      } catch (IllegalArgumentException e) {
        return "spec.renewTime is not an RFC 3339 MicroTime ('" + spec.getRenewTime().getTime() + "'); candidates"
            + " must write e.g. 2026-01-02T03:04:05.123456Z";
      }
    }
    return null;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
