package dev.mclease.controller;

import dev.mclease.controller.backend.BackendConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of one election controller (one per cluster). Immutable; build with {@link #builder(String)}.
 *
 * <p>Symbols as in docs/protocol.md: D = candidate renew deadline, R = candidate retry period, G = backend lock
 * TTL, K = backend renew interval, M = safety margin. {@link #validate()} checks the timing rules
 * {@code K + D + M < G} and {@code D + R + M < G} and names the numbers when they fail.
 */
public final class ControllerConfig {

  private final String clusterName;
  private final Set<String> namespaces;
  private final Duration candidateRenewDeadline;
  private final Duration candidateRetryPeriod;
  private final Duration backendTtl;
  private final Duration backendRenewInterval;
  private final Duration safetyMargin;
  private final Duration retryPeriod;
  private final Duration resyncPeriod;
  private final Duration standbyRecheck;
  private final int workerThreads;

  private ControllerConfig(Builder b) {
    this.clusterName = b.clusterName;
    this.namespaces = Set.copyOf(b.namespaces);
    this.candidateRenewDeadline = b.candidateRenewDeadline;
    this.candidateRetryPeriod = b.candidateRetryPeriod;
    this.backendTtl = b.backendTtl;
    this.backendRenewInterval = b.backendRenewInterval;
    this.safetyMargin = b.safetyMargin;
    this.retryPeriod = b.retryPeriod != null ? b.retryPeriod : b.candidateRetryPeriod;
    this.resyncPeriod = b.resyncPeriod;
    this.standbyRecheck = b.standbyRecheck;
    this.workerThreads = b.workerThreads;
  }

  public static Builder builder(String clusterName) {
    return new Builder(clusterName);
  }

  /** Defaults: D=10s R=2s G=15s K=2s M=2s. */
  public static ControllerConfig defaults(String clusterName) {
    return builder(clusterName).build();
  }

  /** Short timings for tests and benches: (L=2s) D=1.5s R=0.2s G=3s K=0.3s M=0.5s. */
  public static ControllerConfig shortTimings(String clusterName) {
    return builder(clusterName)
        .candidateRenewDeadline(Duration.ofMillis(1500))
        .candidateRetryPeriod(Duration.ofMillis(200))
        .backendTtl(Duration.ofSeconds(3))
        .backendRenewInterval(Duration.ofMillis(300))
        .safetyMargin(Duration.ofMillis(500))
        .build();
  }

  /**
   * Checks the timing rules of protocol.md.
   *
   * @throws IllegalArgumentException naming the numbers, when a rule is broken
   */
  public void validate() {
    if (clusterName == null || clusterName.isBlank()) {
      throw new IllegalArgumentException("clusterName is required (e.g. --cluster-name east or MCL_CLUSTER_NAME)");
    }
    positive("candidateRenewDeadline (D)", candidateRenewDeadline);
    positive("candidateRetryPeriod (R)", candidateRetryPeriod);
    positive("backendTtl (G)", backendTtl);
    positive("backendRenewInterval (K)", backendRenewInterval);
    positive("retryPeriod", retryPeriod);
    positive("resyncPeriod", resyncPeriod);
    positive("standbyRecheck", standbyRecheck);
    if (safetyMargin.isNegative()) {
      throw new IllegalArgumentException("safetyMargin (M) must not be negative, got " + safetyMargin);
    }
    if (candidateRenewDeadline.compareTo(candidateRetryPeriod) <= 0) {
      throw new IllegalArgumentException("candidate renew deadline D=" + s(candidateRenewDeadline)
          + " must be greater than the candidate retry period R=" + s(candidateRetryPeriod));
    }
    Duration kdm = backendRenewInterval.plus(candidateRenewDeadline).plus(safetyMargin);
    if (kdm.compareTo(backendTtl) >= 0) {
      throw new IllegalArgumentException("timing rule K + D + M < G is broken: K=" + s(backendRenewInterval) + " + D="
          + s(candidateRenewDeadline) + " + M=" + s(safetyMargin) + " = " + s(kdm) + " >= G=" + s(backendTtl)
          + "; raise the backend TTL G or lower D, K or M, else the controller could never confirm a heartbeat");
    }
    Duration drm = candidateRenewDeadline.plus(candidateRetryPeriod).plus(safetyMargin);
    if (drm.compareTo(backendTtl) >= 0) {
      throw new IllegalArgumentException("timing rule D + R + M < G is broken: D=" + s(candidateRenewDeadline)
          + " + R=" + s(candidateRetryPeriod) + " + M=" + s(safetyMargin) + " = " + s(drm) + " >= G=" + s(backendTtl)
          + "; raise the backend TTL G or lower D, R or M");
    }
    if (workerThreads < 1) {
      throw new IllegalArgumentException("workerThreads must be >= 1, got " + workerThreads);
    }
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0, got " + d);
    }
  }

  private static String s(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() / 1000.0 + "s";
  }

  /** Name of this cluster, written into the backend value and {@code status.leaderCluster}. Required. */
  public String clusterName() {
    return clusterName;
  }

  /** Namespaces to watch; empty = all namespaces. Default empty. */
  public Set<String> namespaces() {
    return namespaces;
  }

  /** D: the candidates' renew deadline; an echo needs the lock held for D + M more. Default 10 s. */
  public Duration candidateRenewDeadline() {
    return candidateRenewDeadline;
  }

  /** R: the candidates' retry (heartbeat) period. Default 2 s. */
  public Duration candidateRetryPeriod() {
    return candidateRetryPeriod;
  }

  /** G: TTL of the backend session (etcd lease). Default 20 s. */
  public Duration backendTtl() {
    return backendTtl;
  }

  /** K: how often the backend session is renewed. Default 2 s. */
  public Duration backendRenewInterval() {
    return backendRenewInterval;
  }

  /** M: margin for controller and API latency in the echo rule. Default 2 s. */
  public Duration safetyMargin() {
    return safetyMargin;
  }

  /** How often a contended lock is tried again (besides watch events). Default R. */
  public Duration retryPeriod() {
    return retryPeriod;
  }

  /** Informer resync period (a safety net; events drive the loop). Default 5 min. */
  public Duration resyncPeriod() {
    return resyncPeriod;
  }

  /**
   * How often a standby (another session holds the key, the watch is live) asks the backend again although no watch
   * event came: the only backend request a standby makes per lease besides its session's renewals. It bounds how long
   * a missed event could delay a takeover; releases and expiries normally arrive on the watch at once. Default 1 min.
   */
  public Duration standbyRecheck() {
    return standbyRecheck;
  }

  /**
   * Threads that run the per-lease loops (each lease is serialized on one of them at a time), and as many again that
   * send the leases' status writes (one at a time per lease, {@link StatusLane}). Default 32.
   */
  public int workerThreads() {
    return workerThreads;
  }

  @Override
  public String toString() {
    return "ControllerConfig{cluster=" + clusterName + ", namespaces=" + (namespaces.isEmpty() ? "all" : namespaces)
        + ", D=" + s(candidateRenewDeadline) + ", R=" + s(candidateRetryPeriod) + ", G=" + s(backendTtl) + ", K="
        + s(backendRenewInterval) + ", M=" + s(safetyMargin) + ", retry=" + s(retryPeriod) + "}";
  }

  /** Builder; every setter's default is documented on the matching getter. */
  public static final class Builder {
    private final String clusterName;
    private Set<String> namespaces = Set.of();
    private Duration candidateRenewDeadline = Duration.ofSeconds(10);
    private Duration candidateRetryPeriod = Duration.ofSeconds(2);
    private Duration backendTtl = BackendConfig.DEFAULT_TTL;
    private Duration backendRenewInterval = Duration.ofSeconds(2);
    private Duration safetyMargin = Duration.ofSeconds(2);
    private Duration retryPeriod;
    private Duration resyncPeriod = Duration.ofMinutes(5);
    private Duration standbyRecheck = Duration.ofMinutes(1);
    private int workerThreads = 32;

    private Builder(String clusterName) {
      this.clusterName = clusterName;
    }

    public Builder namespaces(Set<String> namespaces) {
      this.namespaces = Objects.requireNonNull(namespaces);
      return this;
    }

    public Builder candidateRenewDeadline(Duration d) {
      this.candidateRenewDeadline = d;
      return this;
    }

    public Builder candidateRetryPeriod(Duration r) {
      this.candidateRetryPeriod = r;
      return this;
    }

    public Builder backendTtl(Duration g) {
      this.backendTtl = g;
      return this;
    }

    public Builder backendRenewInterval(Duration k) {
      this.backendRenewInterval = k;
      return this;
    }

    public Builder safetyMargin(Duration m) {
      this.safetyMargin = m;
      return this;
    }

    /** null = use the candidate retry period R. */
    public Builder retryPeriod(Duration retryPeriod) {
      this.retryPeriod = retryPeriod;
      return this;
    }

    public Builder resyncPeriod(Duration resyncPeriod) {
      this.resyncPeriod = resyncPeriod;
      return this;
    }

    public Builder standbyRecheck(Duration standbyRecheck) {
      this.standbyRecheck = standbyRecheck;
      return this;
    }

    public Builder workerThreads(int workerThreads) {
      this.workerThreads = workerThreads;
      return this;
    }

    public ControllerConfig build() {
      return new ControllerConfig(this);
    }
  }
}
