package dev.mclease.controller;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * The controller's Micrometer meters (Prometheus names in brackets):
 * {@code mclease.leases.held} [mclease_leases_held] gauge,
 * {@code mclease.acquisitions} [mclease_acquisitions_total],
 * {@code mclease.releases} [mclease_releases_total{reason}],
 * {@code mclease.lock.lost} [mclease_lock_lost_total],
 * {@code mclease.backend.errors} [mclease_backend_errors_total{op}],
 * {@code mclease.echoes} [mclease_echoes_total],
 * {@code mclease.status.write} [mclease_status_write_seconds] timer,
 * {@code mclease.status.write.errors} [mclease_status_write_errors_total],
 * {@code mclease.reconcile.errors} [mclease_reconcile_errors_total],
 * {@code mclease.leases.watched} [mclease_leases_watched] gauge,
 * {@code mclease.backend.reachable} [mclease_backend_reachable] gauge (1 while the lock store answers),
 * and per lease ({@code namespace}, {@code name} tags):
 * {@code mclease.lease.leaderless} [mclease_lease_leaderless_seconds] gauge (0 while this controller holds the
 * lease's global lock, else the time since it last did or, if it never did, since it began serving the lease),
 * {@code mclease.lease.failover.bound} [mclease_lease_failover_bound_seconds] gauge (L + G: a crashed candidate
 * or a crashed controller is replaced within it),
 * {@code mclease.lease.spec.invalid} [mclease_lease_spec_invalid] gauge (1 while condition InvalidSpec holds).
 * The alert rules and the dashboard in controller/deploy/prometheus/ are written over these names.
 */
public final class ControllerMetrics {

  private final MeterRegistry registry;
  private final String cluster;
  private final AtomicInteger held = new AtomicInteger();
  private final AtomicInteger watched = new AtomicInteger();
  private final Counter acquisitions;
  private final Counter echoes;
  private final Counter lost;
  private final Counter statusWriteErrors;
  private final Counter reconcileErrors;
  private final Timer statusWrite;

  public ControllerMetrics(MeterRegistry registry, String cluster) {
    this.registry = registry;
    this.cluster = cluster;
    dropGauge("mclease.leases.held");
    dropGauge("mclease.leases.watched");
    Gauge.builder("mclease.leases.held", held, AtomicInteger::get).tag("cluster", cluster)
        .description("Global locks this controller holds now").register(registry);
    Gauge.builder("mclease.leases.watched", watched, AtomicInteger::get).tag("cluster", cluster)
        .description("MultiClusterLease objects this controller serves").register(registry);
    acquisitions = Counter.builder("mclease.acquisitions").tag("cluster", cluster)
        .description("Global lock acquisitions").register(registry);
    echoes = Counter.builder("mclease.echoes").tag("cluster", cluster)
        .description("Heartbeats confirmed (status.observedRenewTime written)").register(registry);
    lost = Counter.builder("mclease.lock.lost").tag("cluster", cluster)
        .description("Global locks lost without releasing them (session expiry, key deleted)").register(registry);
    statusWriteErrors = Counter.builder("mclease.status.write.errors").tag("cluster", cluster)
        .description("Status writes the API server refused or did not answer").register(registry);
    reconcileErrors = Counter.builder("mclease.reconcile.errors").tag("cluster", cluster)
        .description("Unexpected exceptions in a lease's loop (isolated to that lease)").register(registry);
    statusWrite = Timer.builder("mclease.status.write").tag("cluster", cluster)
        .description("Latency of status writes through /status").publishPercentileHistogram()
        .register(registry);
  }

  /** The lock store's reachability as the backend reports it ({@code health().reachable()}), read at each scrape. */
  void backendReachable(BooleanSupplier reachable) {
    dropGauge("mclease.backend.reachable");
    Gauge.builder("mclease.backend.reachable", reachable, r -> r.getAsBoolean() ? 1 : 0).tag("cluster", cluster)
        .description("1 while the global lock store answers, 0 while it does not").strongReference(true)
        .register(registry);
  }

  /**
   * A controller started again in the same registry (the testbed restarts its controllers) replaces the previous
   * one's gauge: registering the same name and tags would return the old gauge, bound to the old state.
   */
  private void dropGauge(String name) {
    registry.find(name).tag("cluster", cluster).gauges().forEach(registry::remove);
  }

  /**
   * Registers the per-lease gauges, read at each scrape; running the returned action removes them (the lease is
   * no longer served).
   */
  Runnable lease(String namespace, String name, DoubleSupplier leaderlessSeconds, DoubleSupplier boundSeconds,
      BooleanSupplier specInvalid) {
    List<Meter> meters = List.of(
        Gauge.builder("mclease.lease.leaderless", leaderlessSeconds, DoubleSupplier::getAsDouble)
            .tags("cluster", cluster, "namespace", namespace, "name", name).baseUnit("seconds")
            .description("0 while this controller holds the lease's global lock, else the time since it last did")
            .strongReference(true).register(registry),
        Gauge.builder("mclease.lease.failover.bound", boundSeconds, DoubleSupplier::getAsDouble)
            .tags("cluster", cluster, "namespace", namespace, "name", name).baseUnit("seconds")
            .description("L + G: the longest a lease with a live candidate goes without a leader after a crash")
            .strongReference(true).register(registry),
        Gauge.builder("mclease.lease.spec.invalid", specInvalid, b -> b.getAsBoolean() ? 1 : 0)
            .tags("cluster", cluster, "namespace", namespace, "name", name)
            .description("1 while the lease's spec cannot be served (condition InvalidSpec)")
            .strongReference(true).register(registry));
    return () -> meters.forEach(registry::remove);
  }

  void held(int delta) {
    held.addAndGet(delta);
  }

  void watched(int delta) {
    watched.addAndGet(delta);
  }

  void acquired() {
    acquisitions.increment();
  }

  void released(String reason) {
    Counter.builder("mclease.releases").tag("cluster", cluster).tag("reason", reason)
        .description("Global locks released by this controller").register(registry).increment();
  }

  void lost() {
    lost.increment();
  }

  void backendError(String op) {
    Counter.builder("mclease.backend.errors").tag("cluster", cluster).tag("op", op)
        .description("Failed backend calls").register(registry).increment();
  }

  /** One lock-store call of this controller, by kind ({@link CountingLockBackend}). */
  void backendRequest(String op) {
    Counter.builder("mclease.backend.requests").tag("cluster", cluster).tag("op", op)
        .description("Lock-store calls this controller made (session renewals not included)").register(registry)
        .increment();
  }

  void echoed() {
    echoes.increment();
  }

  void statusWritten(Duration latency) {
    statusWrite.record(latency);
  }

  void statusWriteFailed() {
    statusWriteErrors.increment();
  }

  void reconcileError() {
    reconcileErrors.increment();
  }

  /** Locks held now. */
  public int heldNow() {
    return held.get();
  }

  /** Total echoes so far. */
  public double echoCount() {
    return echoes.count();
  }
}
