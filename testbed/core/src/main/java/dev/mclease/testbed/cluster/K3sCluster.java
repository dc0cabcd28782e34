package dev.mclease.testbed.cluster;

import dev.mclease.crd.MultiClusterLeaseCrd;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/** A real single-node Kubernetes (k3s) in a Docker container, with the MultiClusterLease CRD created. */
public final class K3sCluster implements Cluster {

  private static final Logger LOG = LoggerFactory.getLogger(K3sCluster.class);
  private static final Duration CRD_ESTABLISHED = Duration.ofSeconds(60);

  private final String name;
  private final K3sContainer container;
  private final String kubeconfigYaml;
  private final Path kubeconfig;
  private final URI apiServer;
  private final KubernetesClient client;
  private final AtomicBoolean closed = new AtomicBoolean();

  K3sCluster(String name, DockerImageName image, Path dir) {
    this.name = name;
    this.container = new K3sContainer(image);
    container.start();
    // Rename the "default" cluster/user/context so kubeconfigs of several clusters can be told apart.
    this.kubeconfigYaml = container.getKubeConfigYaml().replace("default", name);
    try {
      Files.createDirectories(dir);
      this.kubeconfig = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".kubeconfig");
      Files.writeString(kubeconfig, kubeconfigYaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      container.stop();
      throw new UncheckedIOException("Cannot write the kubeconfig of k3s cluster " + name, e);
    }
    Config config = Config.fromKubeconfig(kubeconfigYaml);
    this.apiServer = URI.create(config.getMasterUrl());
    this.client = new KubernetesClientBuilder().withConfig(config).build();
    installCrd();
    LOG.info("k3s cluster {} serves {}", name, apiServer);
  }

  private void installCrd() {
    CustomResourceDefinition crd = MultiClusterLeaseCrd.definition();
    var crds = client.apiextensions().v1().customResourceDefinitions();
    crds.resource(crd).create();
    crds.withName(crd.getMetadata().getName()).waitUntilCondition(c -> c.getStatus() != null
        && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
        CRD_ESTABLISHED.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public URI apiServer() {
    return apiServer;
  }

  @Override
  public KubernetesClient client() {
    return client;
  }

  @Override
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
  }

  @Override
  public KubernetesClient newClient(URI apiServerOverride) {
    // The serving certificate names the container's address, not the proxy's, so skip the host name check.
    Config config = new ConfigBuilder(Config.fromKubeconfig(kubeconfigYaml))
        .withMasterUrl(apiServerOverride.toString())
        .withDisableHostnameVerification(true)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    client.close();
    container.stop();
    try {
      Files.deleteIfExists(kubeconfig);
    } catch (IOException e) {
      LOG.debug("Could not delete {}", kubeconfig, e);
    }
  }
}
