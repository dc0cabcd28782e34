package dev.mclease.controller.backend.etcd;

import java.time.Duration;

/**
 * When the etcd store sends a session renewal to two members at once instead of one.
 *
 * <p>Why: a member that is frozen (SIGSTOP, a stalled VM, a full disk) keeps its TCP connections open and answers
 * nothing, so gRPC's round robin keeps handing it a share of the calls, and each one hangs for the request timeout
 * until the channel's keep-alive (5 s + the timeout) declares that connection dead. A renewal that times out so, with
 * the session's {@code heldUntil} counted from its last successful send, leaves the leader's controller too little of
 * its echo window ({@code G − M − D}) at short timings. So: a renewal that timed out against several members is sent
 * again at once, to two members (two calls, two consecutive round-robin picks, so at least one live member while
 * fewer than two are frozen), and renewals keep going to two members for {@link #HEDGE_FOR} after a timeout, longer
 * than keep-alive needs to drop the frozen connection. A single renewal at other times keeps the cost at one
 * {@code LeaseKeepAlive} per K.
 *
 * <p>Safety does not depend on this: a renewal's new TTL counts from the send of the tick's first attempt
 * ({@code SessionKeeper}), so a success of the retry, or of either call of the two, is judged as if sent earlier.
 */
final class RenewalHedge {

  /** gRPC keep-alive drops a silent connection after 5 s + the timeout; hedge a little longer than that. */
  static final Duration HEDGE_FOR = Duration.ofSeconds(10);

  private final boolean severalMembers;
  private long timedOutAtNanos;
  private boolean everTimedOut;

  RenewalHedge(int endpoints) {
    this.severalMembers = endpoints > 1;
  }

  /** Whether the renewal sent at {@code nowNanos} goes to two members. */
  synchronized boolean hedge(long nowNanos) {
    return severalMembers && everTimedOut && nowNanos - timedOutAtNanos < HEDGE_FOR.toNanos();
  }

  /** A renewal timed out at {@code nowNanos}; returns whether to send it again at once (to two members). */
  synchronized boolean timedOut(long nowNanos) {
    if (!severalMembers) {
      return false; // one member: a second call would hang on the same one
    }
    everTimedOut = true;
    timedOutAtNanos = nowNanos;
    return true;
  }
}
