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
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one lease's status when it changed, and again after a failed write; remembers the conditions last written
 * (and those a previous controller process wrote) so that {@code lastTransitionTime} survives.
 */
final class StatusWriter {

  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);
  /** A status that confirms no one waits min(R/2, this) before it is written (the three-argument write). */
  static final Duration INFORMATIONAL_DELAY_CAP = Duration.ofMillis(100);

  private final String namespace;
  private final String name;
  private final LeaseOutput out;
  private final ControllerMetrics metrics;
  private final LongSupplier nanoTime;
  private final Map<String, Condition> previousConditions = new HashMap<>();
  private final long informationalDelayNanos;
  private MultiClusterLeaseStatus lastWritten;
  private boolean failed;
  private boolean heldBack;
  private long heldBackUntil;

  StatusWriter(String namespace, String name, LeaseOutput out, ControllerMetrics metrics, LongSupplier nanoTime,
      Duration retryPeriod) {
    this.namespace = namespace;
    this.name = name;
    this.out = out;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    this.informationalDelayNanos = Math.min(retryPeriod.toNanos() / 2, INFORMATIONAL_DELAY_CAP.toNanos());
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

  /** Whether the last write failed (retried within {@code min(R, 1 s)}). */
  boolean failed() {
    return failed;
  }

  /**
   * Writes {@code desired} unless the last written status already says the same apart from the generation it was
   * written for. Why not for a new generation alone: every heartbeat is a spec write, which bumps
   * {@code metadata.generation}; rewriting status to carry it would add one status write per heartbeat in every
   * cluster, the leader's and the standbys', doubling the API writes for nothing a reader acts on. So
   * {@code observedGeneration} is the generation of the last spec that changed what the status says.
   */
  void write(MultiClusterLeaseStatus desired) {
    if (!changes(desired)) {
      return;
    }
    long t0 = nanoTime.getAsLong();
    try {
      out.writeStatus(namespace, name, desired);
      metrics.statusWritten(Duration.ofNanos(nanoTime.getAsLong() - t0));
      lastWritten = desired;
      failed = false;
      adopt(desired.getConditions());
    } catch (RuntimeException e) {
      metrics.statusWriteFailed();
      if (Thread.currentThread().isInterrupted()) {
        LOG.debug("{}/{}: status write interrupted by shutdown ({})", namespace, name, e.toString());
      } else if (!failed) {
        LOG.warn("{}/{}: status write failed ({}); retrying", namespace, name, e.toString());
      }
      failed = true;
    }
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
    return failed || lastWritten == null || !desired.equals(atGenerationOf(lastWritten, desired));
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
