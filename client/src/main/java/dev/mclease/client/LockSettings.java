package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The options of a {@link MultiClusterLeaseLock.Builder} once checked, and what follows from them. It exists so that
 * the builder stays a list of documented setters and the lock's parts take one value: every check of the options is
 * here (the identity's at {@code builder()}, the rest at {@code build()}), with the numbers in the message.
 *
 * @param confirmationWait null: the default, fabric8's longest tick period ({@link #confirmWaitNanos()})
 * @param watch tests only: without the informer the lock sees the object once per tick
 * @param sharedWatch null: an informer of the lock's own
 */
record LockSettings(String namespace, String name, String identity, Duration leaseDuration, Duration renewDeadline,
    Duration retryPeriod, Duration confirmationWait, Clock clock, LongSupplier nanoTime, boolean watch,
    SharedLeaseWatch sharedWatch) {

  /** Validates {@code L > D > R > 0}, L in whole seconds, and that a shared watch covers the lock's namespace. */
  LockSettings {
    LockTimings.check(leaseDuration, renewDeadline, retryPeriod, confirmationWait);
    if (sharedWatch != null && !sharedWatch.namespace().equals(namespace)) {
      throw new IllegalArgumentException("the shared watch covers namespace " + sharedWatch.namespace()
          + ", not this lock's namespace " + namespace + ": start a SharedLeaseWatch for " + namespace);
    }
  }

  /** {@code identity} if a candidate may have it: not empty, at most 253 characters, not {@code NO_LEADER}. */
  static String requireIdentity(String identity) {
    requireText(identity, "identity");
    if (identity.length() > MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH) {
      throw new IllegalArgumentException("identity must be at most " + MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH
          + " characters, got " + identity.length());
    }
    if (MultiClusterLeaseLock.NO_LEADER.equals(identity)) {
      throw new IllegalArgumentException("identity " + MultiClusterLeaseLock.NO_LEADER + " is reserved");
    }
    return identity;
  }

  static String requireText(String s, String what) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException(what + " is required");
    }
    return s;
  }

  /** How long after a tick began {@code get()} may still wait for a confirmation (ElectorAnswers.awaitConfirmation). */
  long confirmWaitNanos() {
    return confirmationWait != null ? confirmationWait.toNanos()
        : retryPeriod.toNanos() * 22 / 10; // fabric8: retryPeriod × (1 + JITTER_FACTOR 1.2)
  }

  /** How the lock names itself in log lines, problems and exceptions. */
  String subject() {
    return MultiClusterLease.KIND + " " + namespace + "/" + name + " (" + identity + ")";
  }
}
