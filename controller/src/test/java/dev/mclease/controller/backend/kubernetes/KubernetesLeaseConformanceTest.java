package dev.mclease.controller.backend.kubernetes;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/** The conformance suite against an embedded hub cluster (the testbed's Kubernetes-API-compatible server). */
class KubernetesLeaseConformanceTest extends GlobalLockBackendConformance {

  private ClusterProvider provider;
  private Cluster hub;

  @Override
  protected void startServer() {
    provider = ClusterProvider.create("embedded");
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
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl("http://" + a.getHostString() + ":" + a.getPort())
        .withOauthToken("mclease-testbed")
        .withHttp2Disable(true)
        .withRequestTimeout(1000)
        .withConnectionTimeout(1000)
        .withRequestRetryBackoffLimit(0)
        .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return KubernetesLeaseBackend.start(client, true, "default", scope, ttl, renew, nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) {
    hub.client().leases().inNamespace("default").resource(new LeaseBuilder().withNewMetadata()
        .withName(scope + "." + key.replace('/', '.'))
        .addToAnnotations(KubernetesLeaseBackend.SESSION, "someone")
        .addToAnnotations(KubernetesLeaseBackend.VALUE, raw)
        .addToAnnotations(KubernetesLeaseBackend.TOKEN, "7")
        .endMetadata().withNewSpec().withHolderIdentity("someone").endSpec().build()).create();
  }

  @Override
  protected void killAndRestartServer() {
    assumeTrue(false, "the embedded hub keeps its objects in memory, so a restart would lose them (a real API server"
        + " keeps them in etcd); the hub being unreachable and back is covered by"
        + " anOutageSurfacesAsErrorsAndALapsingHeldUntilNeverAsAGrant");
  }
}
