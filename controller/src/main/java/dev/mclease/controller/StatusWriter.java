package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides when one lease's status is written: when it changed, again after a failed write, and a status that confirms
 * no one only after a short hold-back; remembers the conditions last handed over (and those a previous controller
 * process wrote) so that {@code lastTransitionTime} survives. The writes themselves go out on the lease's
 * {@link StatusLane}, off the lease's loop.
 */
final class StatusWriter {

  /** A status that confirms no one waits min(R/2, this) before it is written (the three-argument write). */
  static final Duration INFORMATIONAL_DELAY_CAP = Duration.ofMillis(100);
  private static final Duration RETRY_CAP = Duration.ofSeconds(1);

  private final StatusLane lane;
  private final Map<String, Condition> previousConditions = new HashMap<>();
  private final long informationalDelayNanos;
  /** The status last handed to the lane: what the object says once the lane is done, unless a write failed. */
  private MultiClusterLeaseStatus lastSubmitted;
  private boolean heldBack;
  private long heldBackUntil;

  StatusWriter(StatusLane lane, Duration retryPeriod) {
    this.lane = lane;
    this.informationalDelayNanos = Math.min(retryPeriod.toNanos() / 2, INFORMATIONAL_DELAY_CAP.toNanos());
  }

  /** How soon a failed status write is tried again: {@code min(R, 1 s)}. */
  static Duration retryDelay(Duration retryPeriod) {
    return retryPeriod.compareTo(RETRY_CAP) < 0 ? retryPeriod : RETRY_CAP;
  }

  /** Conditions found on the object when this process first saw it. */
  void adopt(Iterable<Condition> written) {
    for (Condition c : written) {
      previousConditions.put(c.getType(), c);
    }
  }

  /** The conditions last written, by type (read-only). */
  Map<String, Condition> previousConditions() {
    return Collections.unmodifiableMap(previousConditions);
  }

  /** Whether the last write failed and nothing newer is on its way (to be retried within {@link #retryDelay}). */
  boolean failed() {
    return lane.failed();
  }

  /**
   * Hands {@code desired} to the lane unless the last one handed over already says the same apart from the
   * generation it was written for. Why not for a new generation alone: every heartbeat is a spec write, which bumps
   * {@code metadata.generation}; rewriting status to carry it would add one status write per heartbeat in every
   * cluster, the leader's and the standbys', doubling the API writes for nothing a reader acts on. So
   * {@code observedGeneration} is the generation of the last spec that changed what the status says. Its conditions
   * become the previous ones at once, not when the write returns: a re-render while it is on its way keeps their
   * {@code lastTransitionTime} instead of starting a second write that differs only in it.
   */
  void write(MultiClusterLeaseStatus desired) {
    if (!changes(desired)) {
      return;
    }
    lastSubmitted = desired;
    adopt(desired.getConditions());
    lane.submit(desired);
  }

  /**
   * Writes {@code desired} as {@link #write(MultiClusterLeaseStatus)} does, but an {@code informational} one (this
   * cluster holds no key, so the status confirms no one) only once it has differed from the written one for
   * min(R/2, 100 ms). Why: at a handover the releasing cluster, the standby that lost the race and the new holder
   * all write status within milliseconds, on API servers that share the machine's CPU (in the testbed also one
   * etcd), and only the new holder's echo is on the handover's path; held back, the others stay out of its way (and
   * two changes in a row, "released" then "held by the new leader", become one write). The delay outlasts the tens
   * of milliseconds of a handover and keeps a standby's status fresh at any R. A holder's status is never held back:
   * its echo is its candidate's confirmation.
   *
   * @return the monotonic instant at which to call again for a held-back write; {@link Long#MAX_VALUE} if none
   */
  long write(MultiClusterLeaseStatus desired, boolean informational, long now) {
    if (informational && changes(desired)) {
      if (!heldBack) {
        heldBack = true;
        heldBackUntil = now + informationalDelayNanos;
      }
      if (heldBackUntil - now > 0) {
        return heldBackUntil;
      }
    }
    heldBack = false;
    write(desired);
    return Long.MAX_VALUE;
  }

  private boolean changes(MultiClusterLeaseStatus desired) {
    return lane.failed() || lastSubmitted == null || !desired.equals(atGenerationOf(lastSubmitted, desired));
  }

  /**
   * {@code written} with the generations of {@code desired}; a field this copy forgot would only make the two differ,
   * which costs a write, never an omitted one.
   */
  static MultiClusterLeaseStatus atGenerationOf(MultiClusterLeaseStatus written, MultiClusterLeaseStatus desired) {
    MultiClusterLeaseStatus c = new MultiClusterLeaseStatus();
    c.setLeader(written.getLeader());
    c.setLeaderCluster(written.getLeaderCluster());
    c.setFencingToken(written.getFencingToken());
    c.setAcquireTime(written.getAcquireTime());
    c.setObservedRenewTime(written.getObservedRenewTime());
    c.setConfirmationWindowMilliseconds(written.getConfirmationWindowMilliseconds());
    c.setObservedGeneration(desired.getObservedGeneration());
    Map<String, Long> generations = new HashMap<>();
    for (Condition d : desired.getConditions()) {
      generations.put(d.getType(), d.getObservedGeneration());
    }
    List<Condition> conditions = new ArrayList<>();
    for (Condition w : written.getConditions()) {
      conditions.add(new ConditionBuilder(w).withObservedGeneration(generations.getOrDefault(w.getType(),
          w.getObservedGeneration())).build());
    }
    c.setConditions(conditions);
    return c;
  }
}
