package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The candidate's leadership judgement alone: hand-driven clocks, statuses built by hand (D = 8 s, times in ms). */
class LeadershipJudgeTest {

  private static final long MS = 1_000_000L;
  private static final Instant WALL = Instant.parse("2026-03-01T10:00:00Z");

  private final LeadershipJudge judge = new LeadershipJudge("a", Duration.ofSeconds(8));

  private static MultiClusterLeaseStatus echo(String leader, Instant t, Long window, long token) {
    MultiClusterLeaseStatus st = new MultiClusterLeaseStatus();
    st.setLeader(leader);
    st.setObservedRenewTime(MicroTimes.of(t));
    st.setConfirmationWindowMilliseconds(window);
    st.setFencingToken(token);
    return st;
  }

  @Test
  void anEchoOfItsOwnHeartbeatConfirmsUntilT0PlusTheWindow() {
    Instant t = judge.heartbeat(WALL, 1000 * MS);
    assertThat(judge.judge(echo("a", t, 3000L, 7))).isTrue();
    assertThat(judge.leadership(3999 * MS)).isEqualTo(new Leadership(true, java.util.OptionalLong.of(7), 4000 * MS));
    assertThat(judge.leaderAt(4000 * MS)).as("the window ran out on the candidate's monotonic clock").isFalse();
    assertThat(judge.leadership(4000 * MS)).isEqualTo(Leadership.NONE);
    assertThat(judge.whyNot(echo("a", t, 3000L, 7), true)).contains("no fresh confirmation");
  }

  @Test
  void anEchoOfSomeoneElsesHeartbeatNeverConfirms() {
    judge.heartbeat(WALL, 1000 * MS);
    // a predecessor under the same identity wrote T' that this instance never wrote
    assertThat(judge.judge(echo("a", WALL.minusSeconds(5), 3000L, 7))).isFalse();
    assertThat(judge.whyNot(echo("a", WALL.minusSeconds(5), 3000L, 7), true)).contains("did not write");
    assertThat(judge.judge(echo("b", WALL, 3000L, 7))).as("status names another leader").isFalse();
    assertThat(judge.whyNot(echo("b", WALL, 3000L, 7), true)).isEqualTo("status names b");
  }

  @Test
  void aNewerStatusThatNoLongerConfirmsEndsTheLeadershipAtOnce() {
    Instant t = judge.heartbeat(WALL, 1000 * MS);
    judge.judge(echo("a", t, 8000L, 7));
    assertThat(judge.leaderAt(1500 * MS)).isTrue();
    judge.judge(echo("b", t, 8000L, 8));
    assertThat(judge.leaderAt(1500 * MS)).isFalse();
    assertThat(judge.judge(null)).isFalse();
    assertThat(judge.whyNot(null, false)).contains("gone");
  }

  @Test
  void afterForgetOrCloseNoLateEchoConfirms() {
    Instant t = judge.heartbeat(WALL, 1000 * MS);
    judge.forget();
    assertThat(judge.awaitsEcho()).isFalse();
    assertThat(judge.judge(echo("a", t, 8000L, 7))).as("an echo of a heartbeat written before a release").isFalse();

    Instant t2 = judge.heartbeat(WALL.plusSeconds(1), 2000 * MS);
    judge.close();
    assertThat(judge.judge(echo("a", t2, 8000L, 7))).isFalse();
    assertThat(judge.heartbeat(WALL.plusSeconds(2), 3000 * MS)).isNotNull();
    assertThat(judge.judge(echo("a", judge.nextT(WALL), 8000L, 7))).as("closed is final").isFalse();
    assertThat(judge.whyNot(echo("a", t2, 8000L, 7), true)).isEqualTo("the lock is closed");
  }

  @ParameterizedTest(name = "wall clock moved by {0} s")
  @ValueSource(longs = {-3600, -1, 0, 1, 3600})
  void wallClockSkewChangesNothing(long skewSeconds) {
    // heartbeat values only need to be distinct and increasing; they are never compared with a clock
    Instant before = judge.heartbeat(WALL, 1000 * MS);
    Instant t = judge.heartbeat(WALL.plusSeconds(skewSeconds), 2000 * MS);
    assertThat(t).isAfter(before);
    assertThat(judge.judge(echo("a", t, 8000L, 7))).isTrue();
    assertThat(judge.leadership(2000 * MS).validUntilNanos()).isEqualTo(10_000 * MS);
  }

  @Test
  void heartbeatsAreNewerThanAnyEchoSeen() {
    // a status echoing a T from the future (another writer's fast clock) must not be matched by our next T
    Instant future = WALL.plusSeconds(60);
    judge.judge(echo("b", future, 8000L, 3));
    assertThat(judge.heartbeat(WALL, 1000 * MS)).isAfter(future);
  }
}
