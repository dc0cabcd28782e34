package dev.mclease.testbed.fleet;

import java.time.Duration;

/**
 * Every interval of one fleet: the candidates' {@code L > D > R} and the controllers' backend TTL {@code G},
 * renew interval {@code K} and safety margin {@code M} (docs/protocol.md "Timing rules").
 *
 * @param leaseDuration L, written into spec.leaseDurationSeconds (whole seconds)
 * @param renewDeadline D, how long a candidate leads on one confirmation
 * @param retryPeriod R, the candidates' heartbeat and retry period
 * @param backendTtl G, the backend lock TTL (whole seconds for etcd)
 * @param backendRenewInterval K, how often a controller renews its backend session
 * @param safetyMargin M, slack for API latency and clock-rate drift
 */
public record Timings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, Duration backendTtl,
    Duration backendRenewInterval, Duration safetyMargin) {

  /** The production defaults: L=15s D=10s R=2s, G=15s K=2s M=2s. */
  public static Timings defaults() {
    return new Timings(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2),
        Duration.ofSeconds(15), Duration.ofSeconds(2), Duration.ofSeconds(2));
  }

  /** Short timings for tests, scenarios and benches: L=2s D=1.5s R=0.2s, G=3s K=0.3s M=0.5s. */
  public static Timings fast() {
    return new Timings(Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200),
        Duration.ofSeconds(3), Duration.ofMillis(300), Duration.ofMillis(500));
  }

  /**
   * The longest leaderless gap a history may show once every fault has healed: the candidate's lease must run
   * out ({@code L}), a lost controller's backend session must expire ({@code G}), and the new leader must be
   * confirmed and noticed (a few retry periods).
   */
  public Duration leaderlessBound() {
    return leaseDuration.plus(backendTtl).plus(retryPeriod.multipliedBy(5)).plus(safetyMargin).plusSeconds(1);
  }

  @Override
  public String toString() {
    return "L=" + human(leaseDuration) + " D=" + human(renewDeadline) + " R=" + human(retryPeriod) + " G="
        + human(backendTtl) + " K=" + human(backendRenewInterval) + " M=" + human(safetyMargin);
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
