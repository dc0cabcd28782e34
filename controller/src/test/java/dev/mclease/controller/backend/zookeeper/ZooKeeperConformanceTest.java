package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.store.ZooKeeperProvider;
import dev.mclease.testbed.store.ZooKeeperServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/** The conformance suite against one real ZooKeeper server (Curator's in-process server, via {@link ZooKeeperProvider}). */

class ZooKeeperConformanceTest extends GlobalLockBackendConformance {

  /** tickTime 200 ms: the server accepts session timeouts from 0.4 s to 4 s (G = 2 s here). */
  static final int TICK_MS = 200;

  private ZooKeeperServer server;

  @Override
  protected void startServer() throws Exception {
    server = ZooKeeperProvider.start(TICK_MS);
  }

  @Override
  protected void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return List.of(new InetSocketAddress("127.0.0.1", server.port()));
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    return connectTo(addresses, scope, ttl, renew, nanoTime);
  }

  static GlobalLockBackend connectTo(List<InetSocketAddress> addresses, String scope, Duration ttl, Duration renew,
      LongSupplier nanoTime) {
    String connect = addresses.stream().map(a -> a.getHostString() + ":" + a.getPort())
        .collect(Collectors.joining(","));
    return BackendFactory.create(BackendConfig.builder(BackendConfig.Kind.ZOOKEEPER).ttl(ttl).renewInterval(renew)
        .zookeeper(connect).keyPrefix("/" + scope).build(), nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    writeMalformedTo(server.connectString(), scope, key, raw);
  }

  static void writeMalformedTo(String connect, String scope, String key, String raw) throws Exception {
    try (CuratorFramework c = CuratorFrameworkFactory.newClient(connect, new RetryOneTime(100))) {
      c.start();
      c.blockUntilConnected();
      c.create().creatingParentsIfNeeded().forPath("/" + scope + "/" + key, raw.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Override
  protected void killAndRestartServer() throws Exception {
    server.restart();
  }
}
