package dev.mclease.controller.backend.session;

/** What the store answered to one {@link SessionStore#renew}. */
public sealed interface Renewal {

  /** Renewed: the store keeps the session for {@code ttlNanos} from when it received the request. */
  record Renewed(long ttlNanos) implements Renewal {
  }

  /**
   * The store says the session is gone (expired, revoked, or declared dead by a contender): its keys are already
   * free and the session must not be used again.
   */
  record Gone(String why) implements Renewal {
  }

  /**
   * The store answered but the answer proves nothing about the session's lifetime (the hub Lease's CAS lost to a
   * write of our own whose answer was lost): nothing is extended; the next renewal decides.
   */
  record Inconclusive(String why) implements Renewal {
  }

  static Renewal renewed(long ttlNanos) {
    return new Renewed(ttlNanos);
  }

  static Renewal gone(String why) {
    return new Gone(why);
  }

  static Renewal inconclusive(String why) {
    return new Inconclusive(why);
  }
}
