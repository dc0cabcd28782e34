package dev.mclease.client;

import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The record the lock answers fabric8's elector with ({@link MultiClusterLeaseLock#get}), from the monotonic
 * judgement; pure. The elector compares {@code renewTime + leaseDuration} with its own wall clock, so the record never
 * lets that comparison decide anything: it names us only while confirmed, and its {@code renewTime} is always now.
 */
final class ElectorRecords {

  private ElectorRecords() {
  }

  /**
   * @param leader whether the judgement confirms us now
   * @param status the status last observed, or null
   * @param now the wall-clock instant of the answer
   */
  static LeaderElectionRecord of(boolean leader, String identity, MultiClusterLeaseStatus status,
      Duration leaseDuration, ZonedDateTime now) {
    String statusLeader = status == null ? null : status.getLeader();
    String holder = leader ? identity
        : statusLeader != null && !statusLeader.isEmpty() && !identity.equals(statusLeader) ? statusLeader
        : MultiClusterLeaseLock.NO_LEADER;
    Instant at = status == null ? null : LeadershipJudge.instantOrNull(status.getAcquireTime());
    ZonedDateTime acquired = leader && at != null ? at.atZone(ZoneOffset.UTC) : now;
    // renewTime = now either way: ours is current while confirmed; a foreign or placeholder one must never look
    // expired to the elector's wall clock (it would call update() to "take over", which we refuse anyway).
    return new LeaderElectionRecord(holder, leaseDuration, acquired, now, 0);
  }
}
