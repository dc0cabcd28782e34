package dev.mclease.client;

import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Duration;

/**
 * The timing rule a lock is built with, {@code L > D > R > 0} with {@code L} in whole seconds within the CRD's
 * bounds; pure. {@code D > R}: a leader heartbeats more than once per confirmation window; {@code L > D}: another
 * local candidate takes spec over only after a leader's confirmation has run out.
 */
final class LockTimings {

  private LockTimings() {
  }

  /**
   * @param confirmationWait null = the default
   * @throws IllegalArgumentException naming the values and the rule they break
   */
  static void check(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, Duration confirmationWait) {
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
  }
}
