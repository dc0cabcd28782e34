package dev.mclease.crd;

/**
 * Condition types and reasons the controller writes into {@code status.conditions}. Reasons are CamelCase;
 * the message beside each says what to do.
 */
public final class Conditions {

  /** True while this cluster's candidate holds the global lock and its heartbeat is being confirmed. */
  public static final String LEADER = "Leader";
  /** True while the controller can reach and renew in the global lock backend. */
  public static final String BACKEND_REACHABLE = "BackendReachable";
  /** True while the local candidate's heartbeat keeps changing within leaseDurationSeconds. */
  public static final String CANDIDATE_ALIVE = "CandidateAlive";
  /**
   * True while the local candidate's published renewDeadline fits inside what the global lock can vouch for between
   * two backend renewals; False (reason {@link #REASON_RENEW_DEADLINE_TOO_LONG}) when it does not, so each
   * confirmation lets it lead for less than it expects; Unknown when the candidate does not publish it.
   */
  public static final String RENEW_DEADLINE_COVERED = "RenewDeadlineCovered";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  // Reasons
  public static final String REASON_ACQUIRED = "GlobalLockAcquired";
  public static final String REASON_HELD_ELSEWHERE = "GlobalLockHeldElsewhere";
  public static final String REASON_RELEASED = "Released";
  public static final String REASON_NO_CANDIDATE = "NoCandidate";
  public static final String REASON_HEARTBEATING = "Heartbeating";
  public static final String REASON_HEARTBEAT_EXPIRED = "HeartbeatExpired";
  public static final String REASON_BACKEND_OK = "BackendOK";
  public static final String REASON_BACKEND_UNREACHABLE = "BackendUnreachable";
  public static final String REASON_MALFORMED_BACKEND_VALUE = "MalformedBackendValue";
  public static final String REASON_INVALID_SPEC = "InvalidSpec";
  public static final String REASON_WITHIN_LOCK_COVER = "WithinLockCover";
  public static final String REASON_RENEW_DEADLINE_TOO_LONG = "RenewDeadlineTooLong";
  public static final String REASON_RENEW_DEADLINE_NOT_PUBLISHED = "RenewDeadlineNotPublished";

  private Conditions() {
  }
}
