package dev.mclease.controller;

import java.util.Map;
import java.util.OptionalLong;

/**
 * Operator hand-overs (docs/protocol.md, "Operator actions"), asked for with annotations on the object in every
 * cluster; {@code kubectl mcl release|move} sets them and removes them when the hand-over is done. The rule, pure.
 *
 * <ul>
 *   <li>{@value #RELEASE_TOKEN}{@code : "<token>"}: the acquisition with that fencing token steps down, and its
 *       controller holds back from acquiring for {@code L}, so that another cluster's candidate leads.</li>
 *   <li>{@value #PREFERRED_CLUSTER}{@code : "<cluster>"}: an acquisition of another cluster steps down, and the
 *       controllers of other clusters hold back from acquiring, so that the named cluster's controller takes the key.
 *       A preference is honoured for {@code 2·L} after a controller first sees it, no longer: a wrong or dead target,
 *       or an annotation nobody removed, never leaves the fleet without a leader or makes a holder step down
 *       again and again.</li>
 * </ul>
 *
 * <p>Why this is safe: stepping down is a release the candidate did not ask for, so it waits for
 * {@link ReleaseRule} ({@code seen(T) + W + M}) like a holder change does; the next holder's acquisition gets a
 * larger token. Holding back only delays acquisitions. Annotations are metadata: writing them never changes
 * {@code spec}, so the local election is untouched.
 */
final class HandOver {

  /** The fencing token of the acquisition an operator wants to end. */
  static final String RELEASE_TOKEN = "mclease.dev/release-token";
  /** The cluster (its controller's {@code --cluster-name}) an operator wants the key moved to. */
  static final String PREFERRED_CLUSTER = "mclease.dev/preferred-cluster";

  private static final long NONE = Long.MIN_VALUE;

  /** What the annotations ask; {@code preferredCluster} null when none. */
  record Request(OptionalLong releaseToken, String preferredCluster) {

    static final Request NONE = new Request(OptionalLong.empty(), null);

    /** The request the object's annotations make; unreadable values ask nothing. */
    static Request of(Map<String, String> annotations) {
      if (annotations == null) {
        return NONE;
      }
      OptionalLong token = OptionalLong.empty();
      String raw = annotations.get(RELEASE_TOKEN);
      if (raw != null) {
        try {
          token = OptionalLong.of(Long.parseLong(raw.trim()));
        } catch (NumberFormatException e) {
          // not a token: asks nothing
        }
      }
      String preferred = annotations.get(PREFERRED_CLUSTER);
      return new Request(token, preferred == null || preferred.isBlank() ? null : preferred.trim());
    }
  }

  private final String cluster;
  /** Until when this controller holds back after stepping down for a release. */
  private long heldBackUntil = NONE;
  private String preferenceSeen;
  private long preferenceSince = NONE;

  /** @param cluster this controller's cluster name */
  HandOver(String cluster) {
    this.cluster = cluster;
  }

  /**
   * Why this controller's acquisition {@code token} must step down now, or null. Call once per reconcile, before
   * {@link #acquireFrom}, so the preference's first sighting is recorded.
   */
  ReleaseReason stepDown(Request r, long token, long nowNanos, long leaseNanos) {
    notePreference(r, nowNanos);
    if (r.releaseToken().isPresent() && r.releaseToken().getAsLong() == token) {
      return ReleaseReason.OPERATOR_RELEASE;
    }
    return honoursOtherCluster(r, nowNanos, leaseNanos) ? ReleaseReason.MOVED : null;
  }

  /** This controller released for {@code why} at {@code nowNanos}: after an operator's release it holds back. */
  void released(ReleaseReason why, long nowNanos, long leaseNanos) {
    if (why == ReleaseReason.OPERATOR_RELEASE) {
      heldBackUntil = nowNanos + leaseNanos;
    }
  }

  /**
   * The monotonic instant from which this controller may acquire: {@code nowNanos} when it may now; later while it
   * holds back after a release the operator asked for, or while another cluster is preferred (within the preference's
   * {@code 2·L}).
   */
  long acquireFrom(Request r, long nowNanos, long leaseNanos) {
    notePreference(r, nowNanos);
    long from = nowNanos;
    if (heldBackUntil != NONE && heldBackUntil - from > 0) {
      from = heldBackUntil;
    }
    if (honoursOtherCluster(r, nowNanos, leaseNanos)) {
      long until = preferenceSince + 2 * leaseNanos;
      if (until - from > 0) {
        from = until;
      }
    }
    return from;
  }

  private void notePreference(Request r, long nowNanos) {
    if (r.preferredCluster() == null) {
      preferenceSeen = null;
      preferenceSince = NONE;
    } else if (!r.preferredCluster().equals(preferenceSeen)) {
      preferenceSeen = r.preferredCluster();
      preferenceSince = nowNanos;
    }
  }

  private boolean honoursOtherCluster(Request r, long nowNanos, long leaseNanos) {
    return r.preferredCluster() != null && !r.preferredCluster().equals(cluster) && preferenceSince != NONE
        && nowNanos - preferenceSince < 2 * leaseNanos;
  }
}
