package dev.mclease.controller.backend.kubernetes;

import dev.mclease.controller.RealApiServers;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The conformance suite against a real hub cluster: a kube-apiserver of this test's own (it is killed and restarted),
 * its Leases in etcd; skipped where the binaries are missing. Sessions reach it over TLS with the admin's credentials,
 * through the suite's proxies where it puts some.
 */
class KubernetesLeaseConformanceTest extends GlobalLockBackendConformance {

  private ApiServerClusterProvider provider;
  private ApiServerCluster hub;

  @Override
  protected void startServer() {
    provider = RealApiServers.privateProvider();
    hub = provider.start("hub");
  }

  @Override
  protected void stopServer() throws Exception {
    if (provider != null) {
      provider.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return List.of(new InetSocketAddress(hub.apiServer().getHost(), hub.apiServer().getPort()));
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    InetSocketAddress a = addresses.get(0);
    // the hub's credentials and CA; another address (a proxy on 127.0.0.1 still matches the serving certificate)
    Config config = new ConfigBuilder(hub.client().getConfiguration())
        .withMasterUrl("https://" + a.getHostString() + ":" + a.getPort())
        .withRequestTimeout(1000)
        .withConnectionTimeout(1000)
        .withRequestRetryBackoffLimit(0)
        .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return HubLeaseStore.start(client, true, "default", scope, ttl, renew, nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) {
    hub.client().leases().inNamespace("default").resource(new LeaseBuilder().withNewMetadata()
        .withName(scope + "." + key.replace('/', '.'))
        .addToAnnotations(HubLeaseStore.SESSION, "someone")
        .addToAnnotations(HubLeaseStore.VALUE, raw)
        .addToAnnotations(HubLeaseStore.TOKEN, "7")
        .endMetadata().withNewSpec().withHolderIdentity("someone").endSpec().build()).create();
  }

  /** SIGKILL of the hub's kube-apiserver and a start on the same port and etcd: its Leases survive, as in a cluster. */
  @Override
  protected void killAndRestartServer() {
    hub.restart();
  }
}
