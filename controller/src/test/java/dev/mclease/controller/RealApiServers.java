package dev.mclease.controller;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.kube.KubeBinaries;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real API servers for the controller's tests. {@link #shared} is the JVM-wide kube-apiserver cluster of a name (the
 * test is skipped, naming {@code ./mcl test}, where the binaries are missing); never stop or break it, and work in a
 * {@link #freshNamespace}. {@link #privateProvider()} is for a test that kills or restarts its cluster, and closes it.
 * {@link #asController} runs the controller as its ServiceAccount with the RBAC rules {@code controller/deploy} gives it.
 */
public final class RealApiServers {

  /** Where the deploy manifests are, relative to the module (as in DeployManifestsTest). */
  private static final Path DEPLOY = Path.of(System.getProperty("mclease.deploy.dir", "deploy"));
  private static final Set<String> WARM = ConcurrentHashMap.newKeySet();

  private RealApiServers() {
  }

  /** The shared cluster {@code name} with the CRD served, or the calling test is skipped. */
  public static ApiServerCluster shared(String name) {
    return shared(name, true);
  }

  /** The shared cluster {@code name}, without the CRD when {@code crd} is false (give such a cluster a name of its own). */
  public static ApiServerCluster shared(String name, boolean crd) {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    ApiServerCluster cluster = ApiServerClusterProvider.shared().start(name, crd);
    if (crd && WARM.add(name)) {
      // The first write of a custom resource on a fresh kube-apiserver took about 2 s (2 cores): done here, before
      // any test times an echo against the short timings.
      String ns = freshNamespace(cluster);
      var leases = cluster.client().resources(MultiClusterLease.class).inNamespace(ns);
      MultiClusterLease l = new MultiClusterLease();
      l.setMetadata(new ObjectMetaBuilder().withName("warm-up").build());
      l.setSpec(new MultiClusterLeaseSpec("", 1, null));
      leases.resource(l).create();
      leases.withName("warm-up").delete();
    }
    return cluster;
  }

  /** A provider of private real clusters, for a test that kills or restarts one; the caller closes it. */
  public static ApiServerClusterProvider privateProvider() {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    return new ApiServerClusterProvider();
  }

  /** A namespace of the calling test's own, created in every given cluster (a real server 404s a missing one). */
  public static String freshNamespace(ApiServerCluster... clusters) {
    String ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
    for (ApiServerCluster c : clusters) {
      c.ensureNamespace(ns);
    }
    return ns;
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
   * A new client acting as ServiceAccount {@code ns/sa}, granted exactly {@code rules} in {@code ns} (a Role and a
   * RoleBinding named {@code sa}); returns once the server's authorizer answers by them (the ServiceAccount may list
   * multiclusterleases exactly when a rule says so). The caller closes the client.
   */
  public static KubernetesClient asController(ApiServerCluster cluster, String ns, String sa, List<PolicyRule> rules) {
    KubernetesClient admin = cluster.client();
    KubernetesClient client = cluster.newClientAs(ns, sa, cluster.apiServer());
    admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(sa).endMetadata()
        .withRules(rules).build()).create();
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(sa)
        .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", sa)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(ns).endSubject().build()).create();
    boolean listGranted = rules.stream().anyMatch(r -> r.getResources().contains(MultiClusterLease.PLURAL)
        && r.getVerbs().contains("list"));
    await().atMost(Duration.ofSeconds(10)).until(() -> Boolean.TRUE.equals(client.authorization().v1()
        .selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
            .withGroup(MultiClusterLease.GROUP).withResource(MultiClusterLease.PLURAL).withVerb("list")
            .withNamespace(ns).endResourceAttributes().endSpec().build()).getStatus().getAllowed()) == listGranted);
    return client;
  }
}
