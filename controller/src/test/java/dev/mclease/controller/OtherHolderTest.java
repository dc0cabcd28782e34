package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a standby may wait on the watch for another session's hold to end, and when it must keep asking. */
class OtherHolderTest {

  private final AtomicLong now = new AtomicLong(100);

  private static Held held(String cluster, long token) {
    return new Held(new LockValue("c-" + cluster, cluster, Instant.EPOCH), token);
  }

  @Test
  void aHoldLearnedFromAnAnswerIsWaitedOnOnlyWhenTheWatchReportsEveryChange() {
    OtherHolder everyChange = new OtherHolder(now::get, () -> true);
    everyChange.learned(held("west", 5));
    assertThat(everyChange.heldElsewhereOnTheWatch("east")).isTrue();
    assertThat(everyChange.seenAtNanos()).isEqualTo(100);

    OtherHolder reading = new OtherHolder(now::get, () -> false);
    reading.learned(held("west", 5));
    assertThat(reading.heldElsewhereOnTheWatch("east")).as("a watch that reads may have missed it").isFalse();
  }

  @Test
  void aWatchThatReportedTheHoldItselfIsTrustedAndStaysTrustedForTheSameToken() {
    OtherHolder h = new OtherHolder(now::get, () -> false);
    h.watchedAcquisition(held("west", 5));
    assertThat(h.heldElsewhereOnTheWatch("east")).isTrue();
    now.set(200);
    h.learned(held("west", 5));
    assertThat(h.heldElsewhereOnTheWatch("east")).as("the same acquisition, confirmed by an answer").isTrue();
    assertThat(h.seenAtNanos()).isEqualTo(200);
    h.learned(held("south", 6));
    assertThat(h.heldElsewhereOnTheWatch("east")).as("a newer hold the watch has not reported").isFalse();
  }

  @Test
  void aKeyHeldInThisClustersOwnNameIsNeverWaitedOn() {
    OtherHolder h = new OtherHolder(now::get, () -> true);
    h.learned(held("east", 7));
    assertThat(h.heldElsewhereOnTheWatch("east")).isFalse();
    assertThat(h.heldElsewhereOnTheWatch("west")).isTrue();
  }

  @Test
  void releasesEndOnlyTheKnownHoldAndOlderAcquisitionsAreIgnored() {
    OtherHolder h = new OtherHolder(now::get, () -> true);
    assertThat(h.watchedAcquisition(held("west", 8))).isTrue();
    assertThat(h.watchedAcquisition(held("south", 7))).isFalse();
    assertThat(h.held().token()).as("an older acquisition reported late").isEqualTo(8);
    h.released(7);
    assertThat(h.held()).as("the release of another token").isNotNull();
    h.released(8);
    assertThat(h.held()).isNull();
    assertThat(h.heldElsewhereOnTheWatch("east")).isFalse();
    h.watchedAcquisition(held("west", 9));
    h.released(0);
    assertThat(h.held()).as("token 0: whatever held it").isNull();
  }
}
