package dev.mclease.controller.backend.etcd;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.concurrent.TimeUnit;

/** The conformance suite against a real etcd 3.4 (the Debian binary, one member on loopback). */
class EtcdConformanceTest extends GlobalLockBackendConformance {

  private EtcdCluster etcd;
  private Client raw;

  @Override
  protected void startServer() {
    etcd = EtcdProvider.start(1);
    raw = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
  }

  @Override
  protected void stopServer() {
    if (raw != null) {
      raw.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return etcd.endpoints().stream().map(URI::create)
        .map(u -> new InetSocketAddress(u.getHost(), u.getPort())).toList();
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    List<String> endpoints = addresses.stream().map(a -> "http://" + a.getHostString() + ":" + a.getPort()).toList();
    return EtcdLockStore.connect(EtcdBackendConfig.builder(endpoints).ttl(ttl).renewInterval(renew)
        .keyPrefix("/" + scope).build(), nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    this.raw.getKVClient().put(bytes("/" + scope + "/" + key), bytes(raw)).get(5, TimeUnit.SECONDS);
  }

  @Override
  protected void killAndRestartServer() {
    etcd.killMember(0);
    etcd.startMember(0);
    etcd.awaitHealthy(Duration.ofSeconds(15));
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
