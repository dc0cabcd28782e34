package dev.mclease.client.gate;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Locale;

/**
 * A mutating request (or another side effect) that {@link LeaderWriteGate} did not let out because the lock's
 * leadership was not in force at the instant of the check. Nothing was sent. A {@link KubernetesClientException}, so
 * code that already handles failed fabric8 calls handles this one; its message names the lease, the fencing token and
 * by how much the deadline had passed.
 */
public final class WriteRefusedException extends KubernetesClientException {

  private static final long serialVersionUID = 1L;

  private final String lease;
  private final String what;
  private final transient WriteDecision decision;

  WriteRefusedException(String lease, String what, WriteDecision decision) {
    super(message(lease, what, decision));
    this.lease = lease;
    this.what = what;
    this.decision = decision;
  }

  /** {@code namespace/name} of the MultiClusterLease whose leadership was checked. */
  public String lease() {
    return lease;
  }

  /** What was refused, e.g. {@code PUT https://…/configmaps/x}. */
  public String what() {
    return what;
  }

  /** The decision that refused it (outcome, token, how late). */
  public WriteDecision decision() {
    return decision;
  }

  static String message(String lease, String what, WriteDecision d) {
    String token = d.token().isPresent() ? "fencing token " + d.token().getAsLong() : "no fencing token";
    return switch (d.outcome()) {
      case EXPIRED -> String.format(Locale.ROOT, "write gate of lease %s refused %s: the leadership with %s ended "
          + "%.3f s before this request (its monotonic deadline had passed; the leader was paused or slow). Nothing "
          + "was sent; take leadership() again after onStartLeading", lease, what, token, d.overdueNanos() / 1e9);
      case NOT_LEADER -> d.token().isPresent()
          ? String.format(Locale.ROOT, "write gate of lease %s refused %s: this instance is no longer the confirmed "
              + "leader (its leadership with %s ended before its deadline). Nothing was sent", lease, what, token)
          : String.format(Locale.ROOT, "write gate of lease %s refused %s: this instance is not the confirmed "
              + "leader. Nothing was sent", lease, what);
      case NO_TOKEN -> String.format(Locale.ROOT, "write gate of lease %s refused %s: the leadership has no "
          + "published fencing token, so the write could not be fenced. Nothing was sent", lease, what);
      default -> String.format(Locale.ROOT, "write gate of lease %s refused %s (%s)", lease, what, d.outcome());
    };
  }
}
