package dev.mclease.controller;

import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Renders a lease's status from the worker's state, with no side effects: no I/O, no clock, no metrics, no events.
 * Whether a heartbeat is echoed is decided before ({@link EchoRule}, in {@link LeaseWorker}); this only writes down
 * what was decided: {@code observedRenewTime} and {@code confirmationWindowMilliseconds} are those of
 * {@link LastEcho}, and {@code Leader=True} appears only in {@link LeaseState#HOLDING} while the rule holds.
 */
final class StatusRenderer {

  private static final DateTimeFormatter K8S_TIME = DateTimeFormatter.ISO_INSTANT;

  /**
   * Everything the status is made of.
   *
   * @param echoRuleHolds in HOLDING: the backend answers and {@link EchoRule#grant} granted a window just now
   * @param lastEcho the newest echo of {@code mine}, or null
   * @param other the acquisition known to hold the key when this controller does not, or null
   * @param backendError the message of the last failed backend call of this lease, or null
   */
  record View(long generation, LeaseState state, CandidateView candidate, boolean stopping, Acquisition mine,
      LastEcho lastEcho, boolean echoRuleHolds, Held other, String malformed, BackendHealth health,
      String backendError) {
  }

  private final ControllerConfig cfg;
  private final EchoRule echoRule;

  StatusRenderer(ControllerConfig cfg, EchoRule echoRule) {
    this.cfg = cfg;
    this.echoRule = echoRule;
  }

  /**
   * The status for {@code v}; conditions keep the {@code lastTransitionTime} of {@code previous} while their status
   * stays, else take {@code now}.
   */
  MultiClusterLeaseStatus render(View v, Map<String, Condition> previous, Instant now) {
    Conditioner c = new Conditioner(previous, now, v.generation());
    MultiClusterLeaseStatus st = new MultiClusterLeaseStatus();
    st.setObservedGeneration(v.generation());
    CandidateView cv = v.candidate();
    boolean reachable = v.health().reachable() && v.backendError() == null;
    String backendDetail = v.backendError() != null ? v.backendError() : v.health().detail();
    List<Condition> conds = new ArrayList<>();

    String leaderStatus = Conditions.FALSE;
    String leaderReason;
    String leaderMessage;
    switch (v.state()) {
      case HOLDING, RELEASING -> {
        Acquisition mine = v.mine();
        st.setLeader(mine.holder());
        st.setLeaderCluster(cfg.clusterName());
        st.setFencingToken(mine.token());
        st.setAcquireTime(MicroTimes.of(mine.acquiredAt()));
        st.setObservedRenewTime(v.lastEcho() == null ? null : v.lastEcho().renewTime());
        st.setConfirmationWindowMilliseconds(v.lastEcho() == null ? null : v.lastEcho().windowMillis());
        if (v.state() == LeaseState.RELEASING) {
          leaderReason = Conditions.REASON_RELEASED;
          leaderMessage = "releasing the global lock of " + mine.holder() + " (token " + mine.token() + ") as soon as"
              + " its last confirmed heartbeat can no longer be in force";
        } else if (v.echoRuleHolds() && cv.spec().getRenewTime() != null) {
          leaderStatus = Conditions.TRUE;
          leaderReason = Conditions.REASON_ACQUIRED;
          leaderMessage = "candidate " + mine.holder() + " holds the global lock (fencing token " + mine.token()
              + "); its heartbeats are being confirmed";
        } else {
          leaderReason = Conditions.REASON_BACKEND_UNREACHABLE;
          leaderMessage = "heartbeats are not confirmed: the backend session cannot vouch for the lock for another "
              + "D + M = " + Duration.ofNanos(Math.min(echoRule.candidateDeadlineNanos(
                  cv.spec().getRenewDeadlineMilliseconds()), cfg.candidateRenewDeadline().toNanos()))
                  .plus(cfg.safetyMargin()).toMillis()
              + " ms (" + backendDetail + "); the candidate"
              + " stops leading within its renew deadline; check the controller's connection to the backend";
          reachable = reachable && v.echoRuleHolds();
        }
      }
      case FOLLOWING -> {
        Held other = v.other();
        LockValue o = other.value();
        st.setLeader(o.holder());
        st.setLeaderCluster(o.cluster());
        st.setFencingToken(other.token());
        st.setAcquireTime(MicroTimes.of(o.acquiredAt()));
        leaderReason = Conditions.REASON_HELD_ELSEWHERE;
        leaderMessage = o.cluster().equals(cfg.clusterName())
            ? "the global lock is still held for " + o.holder() + " by an earlier session of this cluster's"
                + " controller (token " + other.token() + "); it is released or expires within the backend TTL "
                + cfg.backendTtl().toSeconds() + "s"
            : "the global lock is held by " + o.holder() + " in cluster " + o.cluster() + " (token " + other.token()
                + "); this cluster's candidate takes over when it is released or expires";
      }
      default -> {
        st.setLeader("");
        st.setLeaderCluster("");
        if (cv.invalid() != null) {
          leaderReason = Conditions.REASON_INVALID_SPEC;
          leaderMessage = cv.invalid();
        } else if (v.malformed() != null) {
          leaderReason = Conditions.REASON_MALFORMED_BACKEND_VALUE;
          leaderMessage = v.malformed();
        } else if (!reachable) {
          leaderReason = Conditions.REASON_BACKEND_UNREACHABLE;
          leaderMessage = "cannot contend: the global lock backend is unreachable (" + backendDetail + "); check the "
              + "controller's backend endpoints, network and TLS";
        } else if (v.stopping()) {
          leaderReason = Conditions.REASON_RELEASED;
          leaderMessage = "the election controller of cluster " + cfg.clusterName() + " is shutting down";
        } else if (v.state() == LeaseState.CONTENDING) {
          leaderReason = Conditions.REASON_NO_CANDIDATE;
          leaderMessage = "contending for the global lock on behalf of " + cv.candidate();
        } else {
          boolean none = cv.holder().isEmpty();
          leaderReason = none ? Conditions.REASON_NO_CANDIDATE : Conditions.REASON_HEARTBEAT_EXPIRED;
          leaderMessage = none
              ? "no local candidate holds spec.holderIdentity; start a candidate to contend"
              : "the local candidate " + cv.holder() + " stopped heartbeating; it is not contended until it renews";
        }
      }
    }
    conds.add(c.of(Conditions.LEADER, leaderStatus, leaderReason, leaderMessage));

    if (reachable) {
      conds.add(c.of(Conditions.BACKEND_REACHABLE, Conditions.TRUE, Conditions.REASON_BACKEND_OK,
          v.malformed() != null ? "the backend answers, but " + v.malformed() : "the global lock backend answers"));
    } else {
      conds.add(c.of(Conditions.BACKEND_REACHABLE, Conditions.FALSE, Conditions.REASON_BACKEND_UNREACHABLE,
          "the global lock backend does not answer: " + backendDetail + "; check its endpoints, the network and"
              + " TLS files of the controller"));
    }
    conds.add(candidateAlive(c, cv));
    renewDeadlineCovered(c, cv).ifPresent(conds::add);
    st.setConditions(conds);
    return st;
  }

  private Condition candidateAlive(Conditioner c, CandidateView cv) {
    if (cv.invalid() != null) {
      return c.of(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_INVALID_SPEC, cv.invalid());
    }
    if (cv.alive()) {
      return c.of(Conditions.CANDIDATE_ALIVE, Conditions.TRUE, Conditions.REASON_HEARTBEATING,
          "candidate " + cv.holder() + " is heartbeating");
    }
    if (cv.holder().isEmpty()) {
      return c.of(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_NO_CANDIDATE,
          "spec.holderIdentity is empty: no local candidate; start one to contend");
    }
    return c.of(Conditions.CANDIDATE_ALIVE, Conditions.FALSE, Conditions.REASON_HEARTBEAT_EXPIRED,
        "candidate " + cv.holder() + " has not changed spec.renewTime for leaseDurationSeconds="
            + cv.spec().getLeaseDurationSeconds() + "; check that the candidate pod runs and can reach the API"
            + " server");
  }

  /** RenewDeadlineCovered, while there is a valid local candidate to say it about. */
  private Optional<Condition> renewDeadlineCovered(Conditioner c, CandidateView cv) {
    if (cv.invalid() != null || cv.holder().isEmpty()) {
      return Optional.empty();
    }
    String holder = cv.holder();
    Long d = cv.spec().getRenewDeadlineMilliseconds();
    long cover = echoRule.steadyCover().toMillis();
    String numbers = "backend TTL G " + cfg.backendTtl().toMillis() + " ms - renew interval K "
        + cfg.backendRenewInterval().toMillis() + " ms - safety margin M " + cfg.safetyMargin().toMillis() + " ms = "
        + cover + " ms";
    if (d == null) {
      return Optional.of(c.of(Conditions.RENEW_DEADLINE_COVERED, Conditions.UNKNOWN,
          Conditions.REASON_RENEW_DEADLINE_NOT_PUBLISHED, "candidate " + holder + " does not publish "
              + "spec.renewDeadlineMilliseconds (a client before 0.2): it is trusted to keep its renewDeadline at most"
              + " this controller's --candidate-renew-deadline " + cfg.candidateRenewDeadline().toMillis() + " ms;"
              + " upgrade the client so that every confirmation is capped by what the global lock covers"));
    }
    if (echoRule.covers(d)) {
      return Optional.of(c.of(Conditions.RENEW_DEADLINE_COVERED, Conditions.TRUE,
          Conditions.REASON_WITHIN_LOCK_COVER, "candidate " + holder + "'s renewDeadline " + d + " ms fits in what "
              + "the global lock vouches for between two renewals (" + numbers + ")"));
    }
    return Optional.of(c.of(Conditions.RENEW_DEADLINE_COVERED, Conditions.FALSE,
        Conditions.REASON_RENEW_DEADLINE_TOO_LONG, "candidate " + holder + "'s renewDeadline " + d + " ms is longer "
            + "than the global lock vouches for between two renewals (" + numbers + "): each confirmation is capped "
            + "(status.confirmationWindowMilliseconds), so it leads for less than it expects after each heartbeat. "
            + "Lower the candidate's renewDeadline to at most " + cover + " ms, or raise the controller's "
            + "--backend-ttl to more than " + (d + cfg.backendRenewInterval().toMillis() + cfg.safetyMargin().toMillis())
            + " ms"));
  }

  /** Builds conditions that keep their lastTransitionTime while their status stays. */
  private record Conditioner(Map<String, Condition> previous, Instant now, long generation) {

    Condition of(String type, String status, String reason, String message) {
      Condition prev = previous.get(type);
      String ltt = prev != null && status.equals(prev.getStatus()) && prev.getLastTransitionTime() != null
          ? prev.getLastTransitionTime()
          : K8S_TIME.format(now.truncatedTo(ChronoUnit.SECONDS));
      return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
          .withLastTransitionTime(ltt).withObservedGeneration(generation).build();
    }
  }
}
