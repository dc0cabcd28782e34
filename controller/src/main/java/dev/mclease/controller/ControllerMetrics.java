package dev.mclease.controller;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

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
 * {@code mclease.leases.watched} [mclease_leases_watched] gauge.
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
