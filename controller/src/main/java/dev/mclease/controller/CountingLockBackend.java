package dev.mclease.controller;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The controller's lock-store calls, counted by kind ({@code mclease_backend_requests_total{op}}: {@code acquire},
 * {@code release}, {@code current}, {@code release_all}) as this controller makes them, so that what each controller
 * costs its store can be told apart, leader from standby; the store's own counters add up every client. The
 * session's renewals are the backend's own (one every K) and are not counted here. Delegates everything else.
 */
final class CountingLockBackend implements GlobalLockBackend {

  private final GlobalLockBackend delegate;
  private final ControllerMetrics metrics;

  CountingLockBackend(GlobalLockBackend delegate, ControllerMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    metrics.backendRequest("acquire");
    return delegate.acquire(key, value);
  }

  @Override
  public void release(String key, long token) throws BackendException {
    metrics.backendRequest("release");
    delegate.release(key, token);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    metrics.backendRequest("current");
    return delegate.current(key);
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return delegate.watch(key, listener);
  }

  @Override
  public boolean watchReportsEveryChange() {
    return delegate.watchReportsEveryChange();
  }

  @Override
  public long heldUntilNanos() {
    return delegate.heldUntilNanos();
  }

  @Override
  public BackendHealth health() {
    return delegate.health();
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return delegate.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    metrics.backendRequest("release_all");
    delegate.releaseAll();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
