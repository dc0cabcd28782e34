package dev.mclease.controller;

import dev.mclease.crd.Conditions;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * What one lease tells the people who run it: a Kubernetes event with a matching log line for every change of the
 * global lock this controller holds (acquired, released, lost), and one Warning event per <em>new</em> problem
 * message (an invalid spec, a renew deadline not covered, a malformed backend value), so that a problem that lasts
 * does not flood the event stream with one event per reconcile.
 */
final class LeaseEvents {

  private final String namespace;
  private final String name;
  private final String key;
  private final String clusterName;
  private final LeaseOutput out;
  private final Logger log;
  private String lastInvalid;
  private String lastTooLong;
  private String lastMalformedEvent;

  /** @param log the worker's logger */
  LeaseEvents(String namespace, String name, String clusterName, LeaseOutput out, Logger log) {
    this.namespace = namespace;
    this.name = name;
    this.key = namespace + "/" + name;
    this.clusterName = clusterName;
    this.out = out;
    this.log = log;
  }

  void acquired(String candidate, long token) {
    log.info("{}: acquired the global lock for candidate {} (fencing token {})", key, candidate, token);
    out.event(namespace, name, "Normal", Conditions.REASON_ACQUIRED, "candidate " + candidate + " of cluster "
        + clusterName + " acquired the global lock (fencing token " + token + ")");
  }

  void released(Acquisition mine, ReleaseReason why) {
    log.info("{}: released the global lock of {} (token {}): {}", key, mine.holder(), mine.token(), why.label());
    out.event(namespace, name, "Normal", Conditions.REASON_RELEASED, "released the global lock of candidate "
        + mine.holder() + " (fencing token " + mine.token() + "): " + why.label());
  }

  void lost(Acquisition mine, String why) {
    log.warn("{}: lost the global lock of {} (token {}): {}", key, mine.holder(), mine.token(), why);
    out.event(namespace, name, "Warning", "GlobalLockLost", "lost the global lock of candidate " + mine.holder()
        + " (fencing token " + mine.token() + "): " + why + "; contending again when the backend is reachable");
  }

  /** One Warning event per new malformed-value message. */
  void malformed(String message) {
    if (!Objects.equals(lastMalformedEvent, message)) {
      lastMalformedEvent = message;
      log.error("{}: {}", key, message);
      out.event(namespace, name, "Warning", Conditions.REASON_MALFORMED_BACKEND_VALUE, message);
    }
  }

  /** One Warning event per new spec problem. */
  void specProblems(CandidateView cv) {
    String invalid = cv.invalid();
    if (invalid != null && !invalid.equals(lastInvalid)) {
      log.warn("{}: {}", key, invalid);
      out.event(namespace, name, "Warning", Conditions.REASON_INVALID_SPEC, invalid);
    }
    lastInvalid = invalid;
  }

  /** One Warning event per new RenewDeadlineCovered=False message. */
  void renewDeadline(MultiClusterLeaseStatus st) {
    String tooLong = st.condition(Conditions.RENEW_DEADLINE_COVERED)
        .filter(c -> Conditions.FALSE.equals(c.getStatus())).map(Condition::getMessage).orElse(null);
    if (tooLong != null && !tooLong.equals(lastTooLong)) {
      log.warn("{}: {}", key, tooLong);
      out.event(namespace, name, "Warning", Conditions.REASON_RENEW_DEADLINE_TOO_LONG, tooLong);
    }
    lastTooLong = tooLong;
  }
}
