package dev.mclease.testbed.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.testbed.fencing.FencedWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hand-made histories and fenced-resource logs, one per rule broken, and what the checker says about them. */
class FencedWriteCheckerTest {

  private static final long S = 1_000_000_000L;

  private final AtomicLong now = new AtomicLong();
  private final List<FencedWrite> log = new ArrayList<>();
  private History h;
  private long version;

  /** a leads with token 10 over [1 s, 3 s] (stopped), b with token 11 over [3.5 s, 6 s] (its deadline). */
  @BeforeEach
  void twoLeaderships() {
    now.set(100 * S);
    h = new History(now::get);
    h.note("begin");
    at(1);
    h.start("a", 1, "east", 10);
    h.confirmed("a", "east", 10, t(4));
    at(3);
    h.stop("a", "east");
    at(3.5);
    h.start("b", 1, "west", 11);
    h.confirmed("b", "west", 11, t(6));
    at(8);
    h.note("end");
  }

  private void at(double seconds) {
    now.set(t(seconds));
  }

  private static long t(double seconds) {
    return 100 * S + (long) (seconds * S);
  }

  private void accepted(String writer, long token, double checkedAt) {
    version++;
    log.add(new FencedWrite(log.size() + 1, token, writer, 1, t(checkedAt), 0, true, version, token));
  }

  private void refused(String writer, long token, double checkedAt, long stored) {
    log.add(new FencedWrite(log.size() + 1, token, writer, 1, t(checkedAt), 0, false, 0, stored));
  }

  private FencedWriteChecker.Verdict check() {
    return FencedWriteChecker.check(h, log);
  }

  @Test
  void writesOfEachLeaderInsideItsLeadershipInTokenOrderPass() {
    accepted("a", 10, 1.0);
    accepted("a", 10, 2.9);
    refused("a", 10, 2.99, 11); // a's write checked in time but landing after b's: refused, as it should be
    accepted("b", 11, 3.5);
    accepted("b", 11, 6.0);

    FencedWriteChecker.Verdict v = check();

    assertThat(v.ok()).as(v.toString()).isTrue();
    assertThat(v.accepted()).isEqualTo(4);
    assertThat(v.refused()).isEqualTo(1);
    assertThat(v.acceptedByWriter()).containsEntry("a", 2).containsEntry("b", 2);
    assertThat(v.summary()).isEqualTo("4 accepted writes from 2 leaders, 1 refused, 0 violations");
  }

  @Test
  void aTokenNobodyLedWithIsCaught() {
    accepted("a", 9, 2);

    FencedWriteChecker.Verdict v = check();

    assertThat(v.ok()).isFalse();
    assertThat(v.violations()).singleElement().asString()
        .contains("accepted write #1 (version 1) by a with token 9, checked at t=2.000 s")
        .endsWith("no leadership in the history had token 9");
  }

  @Test
  void aWriteWithAnotherLeadersTokenIsCaught() {
    accepted("b", 10, 2);

    assertThat(check().violations()).singleElement().asString()
        .contains("token 10 was led by a (east, incarnation 1), not by this writer");
  }

  @Test
  void aWriteOfAnotherProcessOfTheSameIdentityIsCaught() {
    version++;
    log.add(new FencedWrite(1, 10, "a", 2, t(2), 0, true, version, 10));

    assertThat(check().violations()).singleElement().asString().contains("not by this writer (incarnation 2)");
  }

  /** The paused leader's late write, had nothing refused it: checked after its leadership ended at STOP. */
  @Test
  void aWriteCheckedAfterTheLeadershipEndedIsCaught() {
    accepted("a", 10, 3.25);

    assertThat(check().violations()).singleElement().asString()
        .endsWith("after its leadership t=1.000 s..t=3.000 s (ended by STOP), by 0.250 s");
  }

  /** b's lock deadline (6 s) ends its leadership although no STOP came: a write at 7 s is outside. */
  @Test
  void aWriteAfterTheLocksDeadlineIsCaughtWithoutAStop() {
    accepted("b", 11, 7);

    assertThat(check().violations()).singleElement().asString()
        .endsWith("after its leadership t=3.500 s..t=6.000 s (ended by VALID_UNTIL), by 1.000 s");
  }

  @Test
  void aWriteBeforeTheLeadershipBeganIsCaught() {
    accepted("b", 11, 3.4);

    assertThat(check().violations()).singleElement().asString().contains("before its leadership t=3.500 s");
  }

  /** Both writes lie in their leaderships, but the resource applied the lower token after the higher one. */
  @Test
  void aLowerTokenAcceptedAfterAHigherOneIsCaught() {
    accepted("b", 11, 4);
    accepted("a", 10, 2.9);

    FencedWriteChecker.Verdict v = check();

    assertThat(v.ok()).isFalse();
    assertThat(v.violations()).singleElement().asString().isEqualTo("token order: write #2 (version 2) by a with "
        + "token 10 was accepted after write #1 (version 1) by b with the higher token 11");
  }

  @Test
  void orderIsTheResourcesVersionOrderNotTheLogs() {
    version = 0;
    log.add(new FencedWrite(1, 11, "b", 1, t(4), 0, true, 2, 11));
    log.add(new FencedWrite(2, 10, "a", 1, t(2), 0, true, 1, 10));

    assertThat(check().ok()).isTrue();
  }

  @Test
  void refusedWritesBreakNoRule() {
    refused("c", 99, 0.1, 0);
    refused("a", 10, 7, 11);

    FencedWriteChecker.Verdict v = check();

    assertThat(v.ok()).isTrue();
    assertThat(v.refused()).isEqualTo(2);
  }
}
