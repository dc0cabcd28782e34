package dev.mclease.client.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.client.Leadership;
import dev.mclease.client.gate.WriteDecision.Outcome;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gate's rule as a table: method, the lock's snapshot now, the last snapshot in which it led, and the instant in;
 * outcome, token and lateness out. "none" is a snapshot of a lock that does not lead.
 */
class WriteDecisionTest {

  @ParameterizedTest(name = "{0}, now {1}/{2}, last led {3}/{4}, at {5} -> {6} (token {7}, overdue {8})")
  @CsvSource(nullValues = "none", value = {
      // method, token now, validUntil now, last-led token, last-led validUntil, now, outcome, token, overdue
      // reads pass whatever the leadership
      "GET,    none, none, none, none, 1000, READ,       none, 0",
      "GET,    7,    100,  none, none, 1000, READ,       7,    0",
      "HEAD,   none, none, 7,    100,  1000, READ,       none, 0",
      "get,    none, none, none, none, 1000, READ,       none, 0",
      // mutating requests inside the leadership go out, with its token
      "PUT,    7,    2000, none, none, 1000, ALLOWED,    7,    0",
      "POST,   7,    2000, 7,    1500, 1999, ALLOWED,    7,    0",
      "PATCH,  7,    2000, none, none, 0,    ALLOWED,    7,    0",
      "DELETE, 7,    2000, none, none, -50,  ALLOWED,    7,    0",
      "patch,  7,    2000, none, none, 1000, ALLOWED,    7,    0",
      // a new leadership after an older one: its own token
      "PUT,    9,    5000, 7,    2000, 4000, ALLOWED,    9,    0",
      // the snapshot's own deadline is exclusive: at validUntil the leadership has ended
      "PUT,    7,    2000, none, none, 2000, EXPIRED,    7,    0",
      "PUT,    7,    2000, none, none, 2001, EXPIRED,    7,    1",
      // the lock says 'not leader' after its deadline: the last leadership tells the token and how late
      "DELETE, none, none, 7,    2000, 5000, EXPIRED,    7,    3000",
      "PUT,    none, none, 7,    2000, 2000, EXPIRED,    7,    0",
      // the monotonic source may be negative and wrap: only differences count
      "PUT,    7,    -100, none, none, -200, ALLOWED,    7,    0",
      "PUT,    none, none, 7,    -100, -99,  EXPIRED,    7,    1",
      "PUT,    none, none, 7,    9223372036854775807, -9223372036854775808, EXPIRED, 7, 1",
      // the lock let go before the deadline it had given: not leader, with the token it had
      "PUT,    none, none, 7,    2000, 1000, NOT_LEADER, 7,    0",
      // never led
      "PUT,    none, none, none, none, 1000, NOT_LEADER, none, 0",
      "POST,   none, none, none, none, 1000, NOT_LEADER, none, 0",
      // a leader without a token cannot be fenced
      "PUT,    -1,   2000, none, none, 1000, NO_TOKEN,   none, 0",
  })
  void decides(String method, Long token, Long validUntil, Long lastToken, Long lastValidUntil, long now,
      Outcome outcome, Long expectedToken, long overdue) {
    WriteDecision d = WriteDecision.of(method.trim(), snapshot(token, validUntil), snapshot(lastToken, lastValidUntil),
        now);

    assertThat(d.outcome()).isEqualTo(outcome);
    assertThat(d.token()).isEqualTo(expectedToken == null ? OptionalLong.empty() : OptionalLong.of(expectedToken));
    assertThat(d.overdueNanos()).isEqualTo(overdue);
    assertThat(d.mayProceed()).isEqualTo(outcome == Outcome.READ || outcome == Outcome.ALLOWED);
  }

  /** {@code token} null: not leader; -1: leader without a published token. */
  private static Leadership snapshot(Long token, Long validUntil) {
    if (token == null) {
      return Leadership.NONE;
    }
    return new Leadership(true, token < 0 ? OptionalLong.empty() : OptionalLong.of(token), validUntil);
  }

  @ParameterizedTest(name = "a side effect by leader={0} validUntil={1} at {2} -> {3}")
  @CsvSource({
      "true,  2000, 1000, ALLOWED",
      "true,  2000, 2000, EXPIRED",
      "false, 0,    1000, NOT_LEADER",
  })
  void aSideEffectIsAlwaysAWrite(boolean leader, long validUntil, long now, Outcome outcome) {
    Leadership l = leader ? new Leadership(true, OptionalLong.of(3), validUntil) : Leadership.NONE;

    assertThat(WriteDecision.ofWrite(l, now).outcome()).isEqualTo(outcome);
  }
}
