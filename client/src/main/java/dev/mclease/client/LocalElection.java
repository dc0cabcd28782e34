package dev.mclease.client;

import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The local election on {@code spec} (docs/protocol.md, "Candidate side" 1), with no I/O: whether this lock instance
 * may write its heartbeat into {@code spec.holderIdentity} now. It may when it holds spec, when spec is free, or when
 * the holder's (holder, renewTime) pair has not changed for the holder's leaseDuration on <em>this</em> process's
 * monotonic clock — never by comparing the holder's renewTime with a wall clock, so skew between candidates cannot
 * make one take spec from a live holder. Taking spec is not leading: only the controller's echo confirms
 * ({@link LeadershipJudge}); two candidates that both write race on the resourceVersion and one gets a 409.
 *
 * <p>Not thread-safe: the lock calls it under its own monitor.
 */
final class LocalElection {

  private final String identity;
  private final String instance;
  private final long defaultLeaseNanos;
  private String pairHolder;
  private String pairRenewTime;
  private long pairSinceNanos;

  /**
   * The election for candidate {@code identity}, lock instance {@code instance}; {@code defaultLease} judges a
   * holder whose spec names no leaseDuration; {@code startNanos} is the monotonic instant the lock was built.
   */
  LocalElection(String identity, String instance, Duration defaultLease, long startNanos) {
    this.identity = identity;
    this.instance = instance;
    this.defaultLeaseNanos = defaultLease.toNanos();
    this.pairSinceNanos = startNanos;
  }

  /** Takes in the spec of a newly observed state ({@code null}: no object): the pair's age restarts when it changes. */
  void observed(MultiClusterLeaseSpec spec, long now) {
    String holder = spec == null ? null : spec.getHolderIdentity();
    String renew = spec == null || spec.getRenewTime() == null ? null : spec.getRenewTime().getTime();
    if (!Objects.equals(holder, pairHolder) || !Objects.equals(renew, pairRenewTime)) {
      pairHolder = holder;
      pairRenewTime = renew;
      pairSinceNanos = now;
    }
  }

  /**
   * Whether this instance may write spec now: null if not, "" for a heartbeat of its own, else a description of what
   * it takes (for the log). {@code spec} must have been passed to {@link #observed} first.
   */
  String mayWrite(MultiClusterLeaseSpec spec, long now) {
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
    long holderLease = spec.getLeaseDurationSeconds() == null ? defaultLeaseNanos
        : TimeUnit.SECONDS.toNanos(spec.getLeaseDurationSeconds());
    if (Objects.equals(holder, pairHolder) && now - pairSinceNanos >= holderLease) {
      return holder + "'s heartbeat had not changed for " + Duration.ofNanos(now - pairSinceNanos).toMillis()
          + " ms on this process's clock";
    }
    return null;
  }
}
