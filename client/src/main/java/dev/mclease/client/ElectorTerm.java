package dev.mclease.client;

import java.time.Duration;

/**
 * Whether fabric8's elector may be told "leader" now, pure: the rule that makes every new acquisition start with its
 * own {@code onStartLeading}.
 *
 * <p>Why: fabric8 renews a leadership by asking {@code get()} again, and a renewal that succeeds within its
 * renewDeadline continues the term it started, without a callback. A leader that lapsed (paused past its
 * confirmation, say) and was then confirmed for a <em>new</em> acquisition — another fencing token, after another
 * cluster led in between — would be "renewed" across that gap: the application would never hear {@code
 * onStopLeading} for the old term nor {@code onStartLeading} for the new one (seen in fencing.feature: a resumed
 * leader's tick waited for a confirmation, and the echo of token 6 renewed fabric8's term of token 2). So a
 * confirmation with another token than the last one answered as leader is not answered as leader until the elector's
 * renewDeadline has passed since that answer: by then fabric8 has stopped the old term (it stops once a renewal has
 * not succeeded for renewDeadline) and the next answer starts a new one. The same token again (a renewal, or a brief
 * lapse of the same acquisition) is answered at once.
 *
 * <p>The lock's own {@link MultiClusterLeaseLock#leadership()} is not held back: it is the truth of the moment, and a
 * side effect fenced with its token is fenced correctly whatever fabric8 believes. Not thread-safe: the lock calls it
 * under its monitor.
 */
final class ElectorTerm {

  private final long renewDeadlineNanos;
  private boolean answered;
  private long answeredToken;
  private long answeredAtNanos;

  /** @param renewDeadline the elector's renewDeadline, which the lock's must equal (docs/client.md) */
  ElectorTerm(Duration renewDeadline) {
    this.renewDeadlineNanos = renewDeadline.toNanos();
  }

  /** Whether to answer fabric8 with a record naming this instance, for leadership {@code now} at monotonic {@code nowNanos}. */
  boolean answerLeader(Leadership now, long nowNanos) {
    if (!now.leader()) {
      return false;
    }
    long token = now.fencingToken().orElse(Long.MIN_VALUE);
    if (answered && token != answeredToken && nowNanos - answeredAtNanos < renewDeadlineNanos) {
      return false; // the elector may still be renewing the previous term: let it end first
    }
    answered = true;
    answeredToken = token;
    answeredAtNanos = nowNanos;
    return true;
  }

  /** The elector's term ended by a release of ours (releaseOnCancel): the next confirmation starts a new one at once. */
  void ended() {
    answered = false;
  }
}
