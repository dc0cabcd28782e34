package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeartbeatCadenceTest {

  private static final long MS = 1_000_000L;
  private static final long NOW = 1_000_000 * MS;

  /** Defaults (D = 10 s, R = 2 s): a leader writes with 6 s of its confirmation left, a standby every 1.6 s. */
  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', textBlock = """
      first write                                  | true  | 0     | -1    | true
      takeover, 100 ms after the last write        | true  | 100   | -1    | true
      never twice within R/2                       | false | 999   | 500   | false
      leader, 8 s of confirmation left             | false | 2000  | 8000  | false
      leader, 6.1 s left                           | false | 3900  | 6100  | false
      leader, exactly max(D - 2R, 2R) = 6 s left   | false | 4000  | 6000  | true
      leader, 3 s left (an echo that did not come) | false | 2000  | 3000  | true
      standby, 1.5 s after its last heartbeat      | false | 1500  | -1    | false
      standby, D - 4.2R = 1.6 s after              | false | 1600  | -1    | true
      confirmation ran out: standby rule           | false | 1600  | 0     | true
      """)
  void defaults(String why, boolean first, long sinceMillis, long leftMillis, boolean due) {
    HeartbeatCadence c = new HeartbeatCadence(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    assertThat(c.due(first, NOW - sinceMillis * MS, leadership(leftMillis), true, NOW)).as(why).isEqualTo(due);
  }

  /** Fast timings (D = 1.5 s, R = 200 ms): D − 2R = 1.1 s left (two ticks); standbys every 660 ms. */
  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', textBlock = """
      leader, 1200 ms left (one tick old)          | 300   | 1200  | false
      leader, 1100 ms left (two ticks old)         | 400   | 1100  | true
      standby, 650 ms                              | 650   | -1    | false
      standby, 660 ms                              | 660   | -1    | true
      """)
  void fastTimings(String why, long sinceMillis, long leftMillis, boolean due) {
    HeartbeatCadence c = new HeartbeatCadence(Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200));
    assertThat(c.due(false, NOW - sinceMillis * MS, leadership(leftMillis), true, NOW)).as(why).isEqualTo(due);
  }

  /**
   * When D − 4.2R is shorter than R/2 (D close to R), a standby writes whenever R/2 has passed, as before; when
   * D − 2R is shorter than 2R, the leader refreshes with 2R left, and with 2R ≥ D on every tick.
   */
  @ParameterizedTest(name = "[{index}] L={0} ms D={1} ms R={2} ms: standby every {3} ms, unserved every {4} ms, "
      + "leader refreshes at {5} ms left")
  @CsvSource({"15000, 10000, 2000, 1600, 5300, 6000", "2000, 1500, 200, 660, 780, 1100",
      "4000, 3000, 1000, 500, 900, 2000", "1200, 1000, 900, 450, 450, 1800"})
  void derivedIntervals(long l, long d, long r, long standbyMillis, long unservedMillis, long refreshMillis) {
    HeartbeatCadence c = new HeartbeatCadence(Duration.ofMillis(l), Duration.ofMillis(d), Duration.ofMillis(r));
    assertThat(c.standbyInterval()).isEqualTo(Duration.ofMillis(standbyMillis));
    assertThat(c.unservedInterval()).isEqualTo(Duration.ofMillis(unservedMillis));
    assertThat(c.refreshLeft()).isEqualTo(Duration.ofMillis(refreshMillis));
  }

  /**
   * Defaults (L = 15 s): on an object no controller has served yet (no status) a holder that does not lead writes
   * only every (L − 2.2R)/2 = 5.3 s, whatever its cadence once served; a leader's rule does not look at status.
   */
  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', textBlock = """
      unserved, 1.6 s after its last heartbeat     | false | 1600  | -1    | false
      unserved, 5.2 s after                        | false | 5200  | -1    | false
      unserved, (L - 2.2R)/2 = 5.3 s after         | false | 5300  | -1    | true
      unserved, first write                        | true  | 0     | -1    | true
      unserved takeover                            | true  | 100   | -1    | true
      leader on an object without status, 6 s left | false | 4000  | 6000  | true
      """)
  void unserved(String why, boolean first, long sinceMillis, long leftMillis, boolean due) {
    HeartbeatCadence c = new HeartbeatCadence(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    assertThat(c.due(first, NOW - sinceMillis * MS, leadership(leftMillis), false, NOW)).as(why).isEqualTo(due);
  }

  /** {@code leftMillis} < 0: not leader; 0: a leadership that has just run out. */
  private static Leadership leadership(long leftMillis) {
    return leftMillis < 0 ? Leadership.NONE : new Leadership(true, OptionalLong.of(7), NOW + leftMillis * MS);
  }
}
