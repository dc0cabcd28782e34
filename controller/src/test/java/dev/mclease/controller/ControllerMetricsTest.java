package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The meters the alert rules and the dashboard (controller/deploy/prometheus/) are written over: their Prometheus
 * names, and the per-lease gauges as a {@link LeaseWorker} drives them (scripted backend, hand-driven clock).
 */
class ControllerMetricsTest {

  private static final long MS = 1_000_000L;
  private static final Path DEPLOY = Path.of("deploy", "prometheus");

  private final AtomicLong now = new AtomicLong(5_000_000 * MS);
  private final ControllerConfig cfg = ControllerConfig.shortTimings("east"); // G = 3 s
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final FakeBackend backend = new FakeBackend();
  private ControllerMetrics metrics;
  private LeaseWorker worker;
  private long generation;

  @BeforeEach
  void setUp() {
    metrics = new ControllerMetrics(registry, "east");
    worker = new LeaseWorker("team-a", "my-operator", cfg, backend, new RecordingOutput(),
        Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC), now::get, metrics);
    backend.heldUntil = now.get() + cfg.backendTtl().toNanos();
  }

  private void beat(Integer leaseSeconds, int n) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("my-operator")
        .withGeneration(++generation).build());
    l.setSpec(new MultiClusterLeaseSpec("pod-a", leaseSeconds,
        new MicroTime("2026-03-01T10:00:%02d.000000Z".formatted(n))));
    worker.onSpec(l, now.get());
  }

  private double gauge(String name) {
    return registry.get(name).tag("namespace", "team-a").tag("name", "my-operator").gauge().value();
  }

  @Test
  void leaderlessSecondsCountFromWhenTheLockWasLastHeldAndAreZeroWhileHeld() {
    metrics.lease("team-a", "my-operator", worker::leaderlessSeconds, worker::failoverBoundSeconds,
        worker::specInvalid);
    now.addAndGet(4_000 * MS); // served for 4 s, never held
    assertThat(gauge("mclease.lease.leaderless")).isEqualTo(4.0);
    assertThat(gauge("mclease.lease.failover.bound")).isZero(); // no spec yet

    beat(2, 1);
    worker.reconcile();
    assertThat(worker.holding()).isTrue();
    assertThat(gauge("mclease.lease.leaderless")).isZero();
    assertThat(gauge("mclease.lease.failover.bound")).isEqualTo(2 + 3.0); // L + G

    now.addAndGet(500 * MS);
    backend.heldUntil = Long.MIN_VALUE; // the store is cut and the session lapsed: the lock is lost, and the
    backend.reachable = false;          // acquisition tried at once for the live candidate fails
    worker.reconcile();
    assertThat(worker.holding()).isFalse();
    now.addAndGet(7_000 * MS);
    assertThat(gauge("mclease.lease.leaderless")).isEqualTo(7.0);
  }

  @Test
  void specInvalidIsOneWhileTheSpecCannotBeServed() {
    metrics.lease("team-a", "my-operator", worker::leaderlessSeconds, worker::failoverBoundSeconds,
        worker::specInvalid);
    beat(0, 1);
    worker.reconcile();
    assertThat(gauge("mclease.lease.spec.invalid")).isEqualTo(1.0);
    beat(2, 2);
    worker.reconcile();
    assertThat(gauge("mclease.lease.spec.invalid")).isZero();
  }

  @Test
  void perLeaseGaugesAreRemovedWithTheLease() {
    Runnable unregister = metrics.lease("team-a", "my-operator", worker::leaderlessSeconds,
        worker::failoverBoundSeconds, worker::specInvalid);
    assertThat(registry.scrape()).contains("mclease_lease_leaderless_seconds{");
    unregister.run();
    assertThat(registry.scrape()).doesNotContain("mclease_lease_");
  }

  @Test
  void backendReachableFollowsTheBackendsHealth() {
    metrics.backendReachable(() -> backend.health().reachable());
    assertThat(registry.get("mclease.backend.reachable").gauge().value()).isEqualTo(1.0);
    backend.reachable = false;
    assertThat(registry.get("mclease.backend.reachable").gauge().value()).isZero();
  }

  @Test
  void aControllerStartedAgainInTheSameRegistryReportsItsOwnGauges() {
    metrics.backendReachable(() -> false);
    metrics.held(1);
    ControllerMetrics again = new ControllerMetrics(registry, "east"); // the testbed's controller restart
    again.backendReachable(() -> true);
    again.held(2);
    assertThat(registry.get("mclease.backend.reachable").gauges()).hasSize(1);
    assertThat(registry.get("mclease.backend.reachable").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("mclease.leases.held").gauge().value()).isEqualTo(2.0);
  }

  /** Every mclease_* series the alert rules, their tests and the dashboard name is one the controller exports. */
  @Test
  void theAlertRulesAndTheDashboardNameOnlyMetricsThatExist() throws IOException {
    metrics.lease("team-a", "my-operator", worker::leaderlessSeconds, worker::failoverBoundSeconds,
        worker::specInvalid);
    metrics.backendReachable(() -> true);
    metrics.released("candidate-gone");
    metrics.backendError("acquire");
    Set<String> exported = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^(mclease_[a-z_]+)[{ ]").matcher(registry.scrape());
    while (m.find()) {
      exported.add(m.group(1));
      exported.add(m.group(1).replaceAll("_(bucket|count|sum)$", "")); // a histogram by its own name too
    }
    Set<String> named = new TreeSet<>();
    for (String file : new String[] {"alerts.yaml", "alerts-test.yaml", "dashboard.json"}) {
      Matcher n = Pattern.compile("\\b(mclease_[a-z_]+)").matcher(Files.readString(DEPLOY.resolve(file)));
      while (n.find()) {
        named.add(n.group(1));
      }
    }
    assertThat(named).isNotEmpty();
    assertThat(exported).containsAll(named);
  }
}
