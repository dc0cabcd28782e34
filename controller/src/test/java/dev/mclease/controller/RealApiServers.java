package dev.mclease.controller;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.cluster.RoleGrants;
import dev.mclease.testbed.kube.KubeBinaries;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Real API servers for the controller's tests. {@link #shared} is the JVM-wide kube-apiserver cluster of a name (the
 * test is skipped, naming {@code ./mcl test}, where the binaries are missing); never stop or break it, and work in a
 * {@link #freshNamespace}. {@link #privateProvider()} is for a test that kills or restarts its cluster, and closes it.
 * {@link #asController} runs the controller as its ServiceAccount with the RBAC rules {@code controller/deploy} gives it.
 */
public final class RealApiServers {

  /** Where the deploy manifests are, relative to the module (as in DeployManifestsTest). */
  private static final Path DEPLOY = Path.of(System.getProperty("mclease.deploy.dir", "deploy"));

  private RealApiServers() {
  }

  /** The shared cluster {@code name} with the CRD served, or the calling test is skipped. */
  public static ApiServerCluster shared(String name) {
    return shared(name, true);
  }

  /** The shared cluster {@code name}, without the CRD when {@code crd} is false (give such a cluster a name of its own). */
  public static ApiServerCluster shared(String name, boolean crd) {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    // its first custom-resource write, slow on a fresh server, was done at start (CrdInstaller)
    return ApiServerClusterProvider.shared().start(name, crd);
  }

  /** A provider of private real clusters, for a test that kills or restarts one; the caller closes it. */
  public static ApiServerClusterProvider privateProvider() {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    return new ApiServerClusterProvider();
  }

  /** A namespace of the calling test's own, created in every given cluster (a real server 404s a missing one). */
  public static String freshNamespace(ApiServerCluster... clusters) {
    return RoleGrants.freshNamespace(clusters);
  }

  /**
   * {@link ControllerConfig#shortTimings} for cluster {@code clusterName}, watching only namespace {@code ns}: a shared
   * cluster holds other tests' MultiClusterLeases too, which a controller watching every namespace would serve.
   */
  public static ControllerConfig shortTimings(String clusterName, String ns) {
    ControllerConfig s = ControllerConfig.shortTimings(clusterName);
    return ControllerConfig.builder(clusterName).namespaces(Set.of(ns)).candidateRenewDeadline(s.candidateRenewDeadline())
        .candidateRetryPeriod(s.candidateRetryPeriod()).backendTtl(s.backendTtl())
        .backendRenewInterval(s.backendRenewInterval()).safetyMargin(s.safetyMargin()).build();
  }

  /** The rules of {@code controller/deploy}'s ClusterRole {@code mclease-controller}. */
  public static List<PolicyRule> deployedControllerRules() {
    try (InputStream in = Files.newInputStream(DEPLOY.resolve("clusterrole-controller.yaml"))) {
      return new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal(in, ClusterRole.class)
          .getRules();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A new client acting as ServiceAccount {@code ns/sa}, granted exactly {@code rules} in {@code ns} and in force
   * ({@link RoleGrants#grant}). The caller closes the client.
   */
  public static KubernetesClient asController(ApiServerCluster cluster, String ns, String sa, List<PolicyRule> rules) {
    RoleGrants.grant(cluster, ns, sa, rules);
    return cluster.newClientAs(ns, sa, cluster.apiServer());
  }
}
