package dev.mclease.controller;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** A scripted, single-threaded backend for unit tests: the test sets heldUntil and reachability by hand. */
final class FakeBackend implements GlobalLockBackend {

  final Map<String, Held> keys = new HashMap<>();
  final Map<String, String> malformed = new HashMap<>();
  final List<String> calls = new ArrayList<>();
  long heldUntil = Long.MIN_VALUE;
  boolean reachable = true;
  long revision = 100;
  /** {@link GlobalLockBackend#watchReportsEveryChange()}: true like etcd's; false like the stores that poll. */
  boolean watchReportsEveryChange = true;
  volatile boolean closed;

  @Override
  public boolean watchReportsEveryChange() {
    return watchReportsEveryChange;
  }

  /** Someone else's acquisition. */
  long putOther(String key, String holder, String cluster) {
    long token = ++revision;
    keys.put(key, new Held(new LockValue(holder, cluster, java.time.Instant.parse("2026-01-01T00:00:00Z")), token));
    return token;
  }

  @Override
  public synchronized AcquireResult acquire(String key, LockValue value) throws BackendException {
    calls.add("acquire " + key + " " + value.holder());
    check();
    if (malformed.containsKey(key)) {
      throw new MalformedValueException(key, malformed.get(key), 7, null);
    }
    Held h = keys.get(key);
    if (h != null) {
      return new AcquireResult.HeldBy(h.value(), h.token());
    }
    long token = ++revision;
    keys.put(key, new Held(value, token));
    return new AcquireResult.Granted(token);
  }

  @Override
  public synchronized void release(String key, long token) throws BackendException {
    calls.add("release " + key + " " + token);
    check();
    Held h = keys.get(key);
    if (h != null && h.token() == token) {
      keys.remove(key);
    }
  }

  @Override
  public synchronized Optional<Held> current(String key) throws BackendException {
    calls.add("current " + key);
    check();
    if (malformed.containsKey(key)) {
      throw new MalformedValueException(key, malformed.get(key), 7, null);
    }
    return Optional.ofNullable(keys.get(key));
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return () -> { };
  }

  @Override
  public long heldUntilNanos() {
    return heldUntil;
  }

  @Override
  public BackendHealth health() {
    return reachable ? BackendHealth.ok() : BackendHealth.unreachable("fake partition");
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return () -> { };
  }

  @Override
  public void releaseAll() {
    keys.clear();
  }

  @Override
  public void close() {
    closed = true;
  }

  private void check() throws BackendException {
    if (!reachable) {
      throw new BackendException("fake backend unreachable");
    }
  }
}
