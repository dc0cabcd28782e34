package dev.mclease.client;

/**
 * Whether fabric8's elector may be told "leader" now, pure: the rule that makes every new acquisition start with its
 * own {@code onStartLeading}.
 *
 * <p>Why: fabric8 renews a leadership by asking {@code get()} and then {@code update()} again, and a renewal that
 * succeeds continues the term it started, without a callback. A leader that lapsed (paused past its confirmation,
 * say) and was then confirmed for a <em>new</em> acquisition — another fencing token, after another cluster led in
 * between — would be "renewed" across that gap: the application would never hear {@code onStopLeading} for the old
 * term nor {@code onStartLeading} for the new one (fencing.feature: a resumed leader's tick waited for a
 * confirmation, and the echo of token 6 renewed fabric8's term of token 2).
 *
 * <p>The rule: once the elector has been told "leader" for one token, a confirmation with another token is first
 * answered once as "not leader". fabric8 (7.5 to 8.0) acts on that answer at once: the holder it observes changes
 * away from us, so it calls {@code onStopLeading}, and the renewal loop exits on the failed renewal. The next
 * answer, "leader", then starts a new term with {@code onStartLeading}. The same token again (a renewal, or a brief
 * lapse of the same acquisition) is answered at once, and {@code update()} succeeds only for the token the elector
 * was last told. Counting answers rather than time is what makes this hold for an elector that was frozen: a
 * time-based hold ("renewDeadline since the last answer") failed when fabric8's own thread was paused inside a tick,
 * since fabric8 checks its renew deadline only between ticks.
 *
 * <p>The lock's own {@link MultiClusterLeaseLock#leadership()} is not held back: it is the truth of the moment, and a
 * side effect fenced with its token is fenced correctly whatever fabric8 believes. Not thread-safe: the lock calls it
 * under its monitor.
 */
final class ElectorTerm {

  private boolean toldLeader;
  private long toldToken;

  /** Whether to answer fabric8's {@code get()} with a record naming this instance, for leadership {@code now}. */
  boolean answerLeader(Leadership now) {
    if (!now.leader()) {
      toldLeader = false;
      return false;
    }
    long token = now.fencingToken().orElse(Long.MIN_VALUE);
    if (toldLeader && token != toldToken) {
      toldLeader = false; // this answer ends the elector's term of the old token; the next one starts the new
      return false;
    }
    toldLeader = true;
    toldToken = token;
    return true;
  }

  /**
   * Whether fabric8's {@code update()} may succeed as a renewal for leadership {@code now}: only for the acquisition
   * the elector was last told about. An {@code update()} of a tick that began before a lapse (a frozen thread) must
   * not renew the old term with a new token.
   */
  boolean renews(Leadership now) {
    return now.leader() && toldLeader && now.fencingToken().orElse(Long.MIN_VALUE) == toldToken;
  }

  /** The elector's term ended by a release of ours (releaseOnCancel): the next confirmation starts a new one at once. */
  void ended() {
    toldLeader = false;
  }
}
