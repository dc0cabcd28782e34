package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/** The conformance suite against a real 3-server ZooKeeper ensemble (Curator's in-process {@link TestingCluster}). */
class ZooKeeperEnsembleConformanceTest extends GlobalLockBackendConformance {

  private TestingCluster cluster;

  @Override
  protected void startServer() throws Exception {
    // nine distinct ports, held open together while chosen: with -1 Curator picks each on its own, and two servers
    // once got the same client port (fresh-clone CI: "Multiple entries with same key")
    int[] ports = new int[9];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < ports.length; i++) {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    List<InstanceSpec> specs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      int p = (i - 1) * 3;
      specs.add(new InstanceSpec(null, ports[p], ports[p + 1], ports[p + 2], true, i,
          ZooKeeperConformanceTest.TICK_MS, -1));
    }
    cluster = new TestingCluster(specs);
    cluster.start();
  }

  @Override
  protected void stopServer() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return cluster.getInstances().stream().map(s -> new InetSocketAddress("127.0.0.1", s.getPort())).toList();
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    return ZooKeeperConformanceTest.connectTo(addresses, scope, ttl, renew, nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    ZooKeeperConformanceTest.writeMalformedTo(cluster.getConnectString(), scope, key, raw);
  }

  /** Kills one server of the ensemble (SIGKILL-like: no clean shutdown) and restarts it on the same data. */
  @Override
  protected void killAndRestartServer() throws Exception {
    InstanceSpec first = cluster.getInstances().iterator().next();
    cluster.killServer(first);
    cluster.restartServer(first);
  }
}
