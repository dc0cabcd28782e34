package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;

/**
 * What to do with a key found held when this session tried to acquire it. Pure; the one place of this rule
 * (docs/safety.md, invariant 6: a lapse is final).
 *
 * <p>A key held by another session, or by this session's own known acquisition, is simply held. A key held by this
 * session that it never answered {@code Granted} for was written by a request whose answer was lost (it timed out
 * here, the store applied it later). Nobody was ever told about it, so nobody confirmed it: it is adopted when it is
 * for the same holder and cluster, otherwise deleted (token-guarded) and acquired afresh, never left held by a live
 * session that nobody knows. An acquisition already reported lost here (its session's heldUntil lapsed while the
 * store kept the session, as ZooKeeper does) is never adopted: its candidate was told to stop, and reviving it would
 * confirm a holder that no longer leads.
 */
public final class OwnAcquisitionRule {

  /** The verdict. */
  public enum Verdict {
    /** Answer {@code HeldBy} the holder found. */
    HELD_BY,
    /** Answer {@code Granted} with the found acquisition's token. */
    ADOPT,
    /** Delete the found acquisition (guarded by its token) and try again. */
    REPLACE
  }

  private OwnAcquisitionRule() {
  }

  /**
   * @param ownSession the key is held by this very session
   * @param granted the token this session was granted for the key, or null
   * @param lapsed the token of this session's acquisition of the key that was already reported lost, or null
   * @param found what the key holds
   * @param wanted what this acquisition would write
   */
  public static Verdict judge(boolean ownSession, Long granted, Long lapsed, Held found, LockValue wanted) {
    if (!ownSession || (granted != null && granted == found.token())) {
      return Verdict.HELD_BY;
    }
    boolean sameHolder = found.value().holder().equals(wanted.holder())
        && found.value().cluster().equals(wanted.cluster());
    boolean reportedLost = lapsed != null && lapsed == found.token();
    return sameHolder && !reportedLost ? Verdict.ADOPT : Verdict.REPLACE;
  }
}
