package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ElectorTermTest {

  private static final long MS = 1_000_000L;
  private static final Duration D = Duration.ofMillis(1500);

  private static Leadership leader(long token) {
    return new Leadership(true, OptionalLong.of(token), Long.MAX_VALUE);
  }

  @Test
  void theSameAcquisitionIsAnsweredAtOnceEvenAfterALapse() {
    ElectorTerm term = new ElectorTerm(D);
    assertThat(term.answerLeader(leader(2), 0)).isTrue();
    assertThat(term.answerLeader(Leadership.NONE, 100 * MS)).as("lapsed").isFalse();
    assertThat(term.answerLeader(leader(2), 200 * MS)).as("confirmed again, same token").isTrue();
  }

  @Test
  void aNewAcquisitionWaitsUntilTheElectorsPreviousTermHasEnded() {
    ElectorTerm term = new ElectorTerm(D);
    assertThat(term.answerLeader(leader(2), 0)).isTrue();
    assertThat(term.answerLeader(Leadership.NONE, 1000 * MS)).isFalse();
    assertThat(term.answerLeader(leader(6), 1100 * MS)).as("token 6 within D of the last answer for token 2")
        .isFalse();
    assertThat(term.answerLeader(leader(6), 1499 * MS)).isFalse();
    assertThat(term.answerLeader(leader(6), 1500 * MS)).as("D after it: fabric8 has stopped the old term").isTrue();
    assertThat(term.answerLeader(leader(6), 1600 * MS)).isTrue();
  }

  @Test
  void aReleaseEndsTheTermSoTheNextAcquisitionStartsAtOnce() {
    ElectorTerm term = new ElectorTerm(D);
    assertThat(term.answerLeader(leader(2), 0)).isTrue();
    term.ended();
    assertThat(term.answerLeader(leader(6), 100 * MS)).isTrue();
  }

  @Test
  void notLeaderIsNeverAnsweredAsLeader() {
    ElectorTerm term = new ElectorTerm(D);
    assertThat(term.answerLeader(Leadership.NONE, 0)).isFalse();
    assertThat(term.answerLeader(leader(3), 10 * MS)).as("the first term starts at once").isTrue();
  }
}
