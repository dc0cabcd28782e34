package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The candidate's confirmation rule alone, on a hand-driven monotonic clock (D = 8 s, times in ms). */
class HeartbeatLedgerTest {

  private static final long MS = 1_000_000L;
  private static final Instant T1 = Instant.parse("2026-03-01T10:00:01Z");
  private static final Instant T2 = Instant.parse("2026-03-01T10:00:02Z");

  private final HeartbeatLedger ledger = new HeartbeatLedger(8000 * MS);

  @ParameterizedTest(name = "window {0} -> leads until t0 + {1} ms")
  @CsvSource(nullValues = "none", value = {
      "none, 8000",  // a controller before 0.2 publishes no window: the candidate's own D
      "2500, 2500",  // the controller's window caps a longer D
      "9000, 8000",  // and never extends it
      "0,    0",     // nothing a controller writes, but it must not confirm anything
      "-5,   0",
  })
  void leadsUntilT0PlusTheSmallerOfDAndTheWindow(Long window, long expected) {
    ledger.wrote(T1, 1000 * MS);
    assertThat(ledger.leadsUntil(T1, window)).hasValue(1000 * MS + expected * MS);
  }

  @Test
  void onlyItsOwnHeartbeatsConfirm() {
    ledger.wrote(T1, 1000 * MS);
    assertThat(ledger.leadsUntil(T2, 2500L)).as("a T this instance never wrote (a previous process's)").isEmpty();
    assertThat(ledger.leadsUntil(null, 2500L)).isEmpty();
  }

  @Test
  void heartbeatsOlderThanDAreForgottenAndReleaseForgetsAll() {
    ledger.wrote(T1, 1000 * MS);
    ledger.wrote(T2, 9000 * MS); // T1 is 8 s old now: no echo of it could make us leader
    assertThat(ledger.leadsUntil(T1, null)).isEmpty();
    assertThat(ledger.leadsUntil(T2, null)).hasValue(17000 * MS);
    ledger.clear();
    assertThat(ledger.isEmpty()).isTrue();
    assertThat(ledger.leadsUntil(T2, null)).isEmpty();
  }

  @Test
  void refusesANonPositiveDeadline() {
    assertThatThrownBy(() -> new HeartbeatLedger(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
