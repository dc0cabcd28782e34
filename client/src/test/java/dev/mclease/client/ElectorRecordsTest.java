package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** What fabric8's elector is told: never a record whose wall-clock expiry could decide anything. */
class ElectorRecordsTest {

  private static final Duration L = Duration.ofSeconds(15);
  private static final ZonedDateTime NOW = ZonedDateTime.parse("2026-03-01T10:00:00Z");
  private static final Instant ACQUIRED = Instant.parse("2026-03-01T09:59:00Z");

  private static MultiClusterLeaseStatus status(String leader) {
    MultiClusterLeaseStatus st = new MultiClusterLeaseStatus();
    st.setLeader(leader);
    st.setAcquireTime(MicroTimes.of(ACQUIRED));
    return st;
  }

  @Test
  void confirmedNamesUsWithTheAcquireTimeOfTheStatusAndRenewTimeNow() {
    LeaderElectionRecord r = ElectorRecords.of(true, "pod-a", status("pod-a"), L, NOW);
    assertThat(r.getHolderIdentity()).isEqualTo("pod-a");
    assertThat(r.getAcquireTime().toInstant()).isEqualTo(ACQUIRED);
    assertThat(r.getRenewTime()).isEqualTo(NOW);
    assertThat(r.getLeaseDuration()).isEqualTo(L);
  }

  @Test
  void notConfirmedNamesTheGlobalLeaderElsewhereAndStillRenewsNow() {
    LeaderElectionRecord r = ElectorRecords.of(false, "pod-a", status("pod-b"), L, NOW);
    assertThat(r.getHolderIdentity()).isEqualTo("pod-b");
    assertThat(r.getRenewTime()).as("never expired to the elector's wall clock").isEqualTo(NOW);
    assertThat(r.getAcquireTime()).isEqualTo(NOW);
  }

  @Test
  void notConfirmedWhileTheStatusStillNamesUsIsNoLeaderNotUs() {
    assertThat(ElectorRecords.of(false, "pod-a", status("pod-a"), L, NOW).getHolderIdentity())
        .isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(ElectorRecords.of(false, "pod-a", status(""), L, NOW).getHolderIdentity())
        .isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(ElectorRecords.of(false, "pod-a", null, L, NOW).getHolderIdentity())
        .isEqualTo(MultiClusterLeaseLock.NO_LEADER);
  }
}
