package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseSpec;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The local election on spec alone, on a hand-driven monotonic clock (times in ms, L = 15 s by default). */
class LocalElectionTest {

  private static final long MS = 1_000_000L;
  private final LocalElection election = new LocalElection("a", "inst-1", Duration.ofSeconds(15), 0);

  private static MultiClusterLeaseSpec spec(String holder, Integer leaseSeconds, String renew, String instance) {
    return new MultiClusterLeaseSpec(holder, leaseSeconds, MicroTimes.of(Instant.parse(renew)), 8000L, instance);
  }

  @ParameterizedTest(name = "{0} (lease {1} s) unchanged for {2} ms -> may write: {3}")
  @CsvSource(nullValues = "none", value = {
      "b, 15, 14999, false", // a live holder, judged on this process's clock
      "b, 15, 15000, true",  // its heartbeat has not changed for L
      "b, 5,  5000,  true",  // the holder's own leaseDuration counts, not ours
      "b, none, 15000, true", // an old spec without leaseDuration: ours
      "'', 15, 0,   true",   // free
      "a, 15, 0,    true",   // our own
  })
  void mayWriteWhenOwnFreeOrTheHolderStoppedForItsLease(String holder, Integer lease, long unchangedMs,
      boolean may) {
    MultiClusterLeaseSpec s = spec(holder, lease, "2026-03-01T10:00:00Z", "inst-1");
    election.observed(s, 1000 * MS);
    assertThat(election.mayWrite(s, (1000 + unchangedMs) * MS) != null).isEqualTo(may);
  }

  @Test
  void aChangedHeartbeatRestartsTheHoldersAge() {
    election.observed(spec("b", 15, "2026-03-01T10:00:00Z", "x"), 0);
    MultiClusterLeaseSpec renewed = spec("b", 15, "2026-03-01T10:00:02Z", "x");
    election.observed(renewed, 14_000 * MS);
    assertThat(election.mayWrite(renewed, 20_000 * MS)).as("6 s since the change").isNull();
    assertThat(election.mayWrite(renewed, 29_000 * MS)).contains("had not changed for 15000 ms");
  }

  @Test
  void aHolderWhoseWallClockIsAnHourOffIsJudgedTheSame() {
    // its renewTime is an hour in the past or future: only whether it changes counts
    for (String renew : new String[] {"2026-03-01T09:00:00Z", "2026-03-01T11:00:00Z"}) {
      LocalElection e = new LocalElection("a", "inst-1", Duration.ofSeconds(15), 0);
      MultiClusterLeaseSpec s = spec("b", 15, renew, "x");
      e.observed(s, 0);
      assertThat(e.mayWrite(s, 14_999 * MS)).isNull();
      assertThat(e.mayWrite(s, 15_000 * MS)).isNotNull();
    }
  }

  @Test
  void anEarlierInstanceOfThisIdentityIsTakenOverAtOnceAndSaidSo() {
    MultiClusterLeaseSpec s = spec("a", 15, "2026-03-01T10:00:00Z", "inst-0");
    election.observed(s, 0);
    assertThat(election.mayWrite(s, 0)).contains("earlier instance of this identity (inst-0)");
    MultiClusterLeaseSpec ours = spec("a", 15, "2026-03-01T10:00:00Z", "inst-1");
    assertThat(election.mayWrite(ours, 0)).isEmpty();
    MultiClusterLeaseSpec old = new MultiClusterLeaseSpec("a", 15, MicroTimes.of(Instant.EPOCH));
    assertThat(election.mayWrite(old, 0)).as("a spec from a client before 0.2 names no instance").isEmpty();
  }
}
