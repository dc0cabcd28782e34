package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ElectorTermTest {

  private static Leadership leader(long token) {
    return new Leadership(true, OptionalLong.of(token), Long.MAX_VALUE);
  }

  @Test
  void theSameAcquisitionIsAnsweredAtOnceEvenAfterALapse() {
    ElectorTerm term = new ElectorTerm();
    assertThat(term.answerLeader(leader(2))).isTrue();
    assertThat(term.renews(leader(2))).isTrue();
    assertThat(term.answerLeader(Leadership.NONE)).as("lapsed").isFalse();
    assertThat(term.answerLeader(leader(2))).as("confirmed again, same token").isTrue();
  }

  @Test
  void aNewAcquisitionAfterANotLeaderAnswerStartsAtOnce() {
    ElectorTerm term = new ElectorTerm();
    assertThat(term.answerLeader(leader(2))).isTrue();
    assertThat(term.answerLeader(Leadership.NONE)).as("fabric8 stops the term of token 2 on this answer").isFalse();
    assertThat(term.answerLeader(leader(6))).as("and starts one for token 6 on this").isTrue();
    assertThat(term.renews(leader(6))).isTrue();
  }

  /** fencing.feature: the elector froze in a tick while leading with token 2 and resumed confirmed for token 6. */
  @Test
  void aNewAcquisitionTheElectorWasNeverToldAboutIsAnsweredNotLeaderOnceFirst() {
    ElectorTerm term = new ElectorTerm();
    assertThat(term.answerLeader(leader(2))).isTrue();
    assertThat(term.renews(leader(6))).as("update() of the frozen tick must not renew the term of 2 with 6")
        .isFalse();
    assertThat(term.answerLeader(leader(6))).as("one not-leader answer ends the term of 2").isFalse();
    assertThat(term.renews(leader(6))).isFalse();
    assertThat(term.answerLeader(leader(6))).as("the next starts the term of 6").isTrue();
    assertThat(term.renews(leader(6))).isTrue();
    assertThat(term.answerLeader(leader(6))).as("renewals of 6").isTrue();
  }

  @Test
  void aReleaseEndsTheTermSoTheNextAcquisitionStartsAtOnce() {
    ElectorTerm term = new ElectorTerm();
    assertThat(term.answerLeader(leader(2))).isTrue();
    term.ended();
    assertThat(term.renews(leader(2))).as("released: no renewal of the ended term").isFalse();
    assertThat(term.answerLeader(leader(6))).isTrue();
  }

  @Test
  void notLeaderIsNeverAnsweredAsLeaderNorRenewed() {
    ElectorTerm term = new ElectorTerm();
    assertThat(term.answerLeader(Leadership.NONE)).isFalse();
    assertThat(term.renews(Leadership.NONE)).isFalse();
    assertThat(term.renews(leader(3))).as("never told: an update() without a leader answer").isFalse();
    assertThat(term.answerLeader(leader(3))).as("the first term starts at once").isTrue();
  }
}
