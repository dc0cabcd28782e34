package dev.mclease.testbed.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hand-made histories, good and bad, and what the checker says about them. */
class HistoryCheckerTest {

  private static final long S = 1_000_000_000L;
  private static final Duration BOUND = Duration.ofSeconds(5);

  private final AtomicLong now = new AtomicLong();
  private History h;

  @BeforeEach
  void history() {
    now.set(100 * S);
    h = new History(now::get);
  }

  /** Moves the history's clock to {@code seconds} after its origin. */
  private void at(double seconds) {
    now.set(100 * S + (long) (seconds * S));
  }

  private long t(double seconds) {
    return 100 * S + (long) (seconds * S);
  }

  @Test
  void cleanHandoverPasses() {
    h.note("begin");
    at(1);
    h.start("a", "east", 10);
    h.confirmed("a", "east", 10, t(3));
    at(2);
    h.confirmed("a", "east", 10, t(4));
    at(3);
    h.stop("a", "east");
    at(3.5);
    h.start("b", "west", 11);
    h.confirmed("b", "west", 11, t(6));
    at(5);
    h.note("end");
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).as(v.toString()).isTrue();
    assertThat(v.overlaps()).isZero();
    assertThat(v.leaderlessMaxNanos()).isEqualTo(S);
    assertThat(v.summary()).isEqualTo("0 overlaps, tokens increasing, longest leaderless gap 1.0 s (bound 5.0 s)");
  }

  @Test
  void overlapIsCaught() {
    h.start("a", "east", 1);
    at(1);
    h.start("b", "west", 2);
    at(2);
    h.stop("a", "east");
    h.stop("b", "west");
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.overlaps()).isEqualTo(1);
    assertThat(v.violations()).anyMatch(s -> s.startsWith("overlap: a (east, token 1) and b (west, token 2)"));
  }

  @Test
  void pausedLeaderPastValidUntilIsNotAnOverlap() {
    h.start("a", "east", 1);
    h.confirmed("a", "east", 1, t(2));
    at(3);
    h.start("b", "west", 2);
    h.confirmed("b", "west", 2, t(6));
    at(4);
    // a was paused: it hears onStopLeading only now, long after its lock's deadline.
    h.stop("a", "east");
    at(5);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).as(v.toString()).isTrue();
    assertThat(v.intervals()).first().satisfies(i -> {
      assertThat(i.endNanos()).isEqualTo(t(2));
      assertThat(i.endedBy()).isEqualTo(LeadershipInterval.End.VALID_UNTIL);
    });
  }

  @Test
  void leaderWithoutStopEndsAtItsDeadline() {
    h.start("a", "east", 1);
    h.confirmed("a", "east", 1, t(1));
    at(2);
    h.start("b", "west", 2);
    at(3);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).as(v.toString()).isTrue();
    assertThat(v.intervals()).hasSize(2);
    assertThat(v.intervals().get(1).endedBy()).isEqualTo(LeadershipInterval.End.END_OF_HISTORY);
  }

  @Test
  void confirmationJustBeforeStartCounts() {
    h.confirmed("a", "east", 1, t(1));
    h.start("a", "east", 1);
    at(2);
    h.start("b", "west", 2);
    at(3);
    h.stop("a", "east");
    assertThat(HistoryChecker.check(h, BOUND).ok()).isTrue();
  }

  @Test
  void equalTokenOfAnotherLeaderIsCaught() {
    h.start("a", "east", 5);
    at(1);
    h.stop("a", "east");
    h.start("b", "west", 5);
    at(2);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.violations()).anyMatch(s -> s.startsWith("token not increasing: b (west)"));
    assertThat(v.summary()).contains("TOKENS NOT INCREASING");
  }

  @Test
  void decreasingTokenIsCaught() {
    h.start("a", "east", 7);
    at(1);
    h.stop("a", "east");
    h.start("b", "west", 6);
    assertThat(HistoryChecker.check(h, BOUND).violations()).anyMatch(s -> s.contains("with token 6, not greater "
        + "than 7"));
  }

  @Test
  void sameLeaderResumingTheSameAcquisitionIsAccepted() {
    h.start("a", "east", 7);
    at(1);
    h.stop("a", "east");
    h.start("a", "east", 7);
    at(2);
    assertThat(HistoryChecker.check(h, BOUND).ok()).isTrue();
  }

  @Test
  void aRestartUnderTheSameIdentityWithTheSameTokenIsCaught() {
    h.start("a", 1, "east", 4);
    at(1);
    h.stop("a", "east");
    at(2);
    h.start("a", 2, "east", 4); // a new process of "a", still on the dead one's token
    at(3);
    h.stop("a", "east");
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.violations()).anyMatch(s -> s.startsWith("token not increasing: a (east)"));

    h = new History(now::get);
    h.start("a", 1, "east", 4);
    at(4);
    h.stop("a", "east");
    h.start("a", 1, "east", 4); // the same process resuming its acquisition
    h.stop("a", "east");
    h.start("a", 2, "east", 5); // its restart, with a new token
    assertThat(HistoryChecker.check(h, BOUND).ok()).isTrue();
  }

  @Test
  void unknownTokenIsReported() {
    h.start("a", "east", 0);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.violations()).anyMatch(s -> s.startsWith("unknown fencing token 0"));
  }

  @Test
  void longGapIsCaught() {
    h.start("a", "east", 1);
    at(1);
    h.stop("a", "east");
    at(8);
    h.start("b", "west", 2);
    at(9);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.leaderlessMaxNanos()).isEqualTo(7 * S);
    assertThat(v.violations()).anyMatch(s -> s.startsWith("leaderless for 7.0 s outside faults (bound 5.0 s)"));
  }

  @Test
  void gapDuringAFaultIsExcusedUntilTheBoundAfterItEnds() throws Exception {
    h.start("a", "east", 1);
    at(1);
    AutoCloseable fault = h.fault("partition east");
    h.stop("a", "east");
    at(20);
    fault.close();
    fault.close(); // idempotent
    at(24);
    h.start("b", "west", 2);
    at(25);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).as(v.toString()).isTrue();
    assertThat(v.leaderlessMaxNanos()).isEqualTo(4 * S);
  }

  @Test
  void gapLastingPastTheBoundAfterAFaultIsCaught() throws Exception {
    h.start("a", "east", 1);
    at(1);
    try (AutoCloseable fault = h.fault("etcd quorum lost")) {
      h.stop("a", "east");
      at(10);
    }
    at(16);
    h.start("b", "west", 2);
    HistoryChecker.Verdict v = HistoryChecker.check(h, BOUND);
    assertThat(v.ok()).isFalse();
    assertThat(v.leaderlessMaxNanos()).isEqualTo(6 * S);
  }

  @Test
  void firstElectionCountsAsAGap() {
    h.note("fleet started");
    at(6);
    h.start("a", "east", 1);
    assertThat(HistoryChecker.check(h, BOUND).ok()).isFalse();
  }

  @Test
  void emptyHistoryIsOk() {
    assertThat(HistoryChecker.check(new History(), BOUND).ok()).isTrue();
  }
}
