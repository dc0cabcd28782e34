package dev.mclease.controller.backend.memory;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The conformance suite on the test-only {@link InMemoryLockStore}, so that the store other tests lean on keeps the
 * contract the real stores keep. One store per test scope (the store has no key prefixes). The tests that cut a
 * network link skip: there is none.
 */
class InMemoryConformanceTest extends GlobalLockBackendConformance {

  private final Map<String, InMemoryLockStore> stores = new ConcurrentHashMap<>();

  @Override
  protected void startServer() {
    // nothing to start: each scope gets its own store on first use
  }

  @Override
  protected void stopServer() {
    stores.values().forEach(InMemoryLockStore::close);
    stores.clear();
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return List.of();
  }

  private InMemoryLockStore store(String scope) {
    return stores.computeIfAbsent(scope, s -> new InMemoryLockStore(System::nanoTime));
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl, Duration renew,
      LongSupplier nanoTime) {
    return store(scope).session(ttl, renew, nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) {
    store(scope).putRaw(key, raw);
  }
}
