package dev.mclease.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.kube.KubeBinaries;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real API servers for the client's tests: the JVM-wide shared kube-apiserver cluster of a name where the binaries
 * exist (the test is skipped, naming {@code ./mcl test}, where they do not), a fresh namespace per test, and RBAC
 * grants for clients that act as a ServiceAccount. Shared clusters are never stopped: other tests use them.
 */
public final class RealApiServer {

  /** Every verb a candidate may be granted on multiclusterleases. */
  private static final List<String> VERBS = List.of("get", "list", "watch", "create", "update", "patch");
  private static final Set<String> WARM = ConcurrentHashMap.newKeySet();

  private RealApiServer() {
  }

  /** The shared cluster {@code name} with the CRD served, or the calling test is skipped. */
  public static ApiServerCluster shared(String name) {
    return shared(name, true);
  }

  /** The shared cluster {@code name}, started without the CRD when {@code crd} is false (use a name of its own). */
  public static ApiServerCluster shared(String name, boolean crd) {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    ApiServerCluster cluster = ApiServerClusterProvider.shared().start(name, crd);
    if (crd && WARM.add(name)) {
      warmUp(cluster);
    }
    return cluster;
  }

  /**
   * One MultiClusterLease created, its status written and deleted again, before any test times anything: on a fresh
   * kube-apiserver the first write of a custom resource took about 2 s (measured on 2 cores), longer than the short
   * renewDeadline the timed tests use, so whichever test ran first lost its first confirmation.
   */
  private static void warmUp(ApiServerCluster cluster) {
    String ns = freshNamespace(cluster);
    var leases = cluster.client().resources(MultiClusterLease.class).inNamespace(ns);
    MultiClusterLease lease = new MultiClusterLease();
    lease.setMetadata(new ObjectMetaBuilder().withName("warm-up").withNamespace(ns).build());
    lease.setSpec(new MultiClusterLeaseSpec("warm-up", 1, MicroTimes.of(Instant.now())));
    MultiClusterLease created = leases.resource(lease).create();
    created.setStatus(new MultiClusterLeaseStatus());
    created.getStatus().setLeader("warm-up");
    leases.resource(created).updateStatus();
    leases.withName("warm-up").delete();
  }

  /** A namespace of the calling test's own, created: a real server answers 404 for objects in a missing one. */
  public static String freshNamespace(ApiServerCluster cluster) {
    String ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
    cluster.ensureNamespace(ns);
    return ns;
  }

  /**
   * Grants ServiceAccount {@code ns/sa} exactly {@code verbs} on multiclusterleases in {@code ns} (Role and
   * RoleBinding {@code sa}, replaced on each call) and returns once the server's authorizer judges by the new rule
   * (a SelfSubjectAccessReview as the ServiceAccount agrees for every verb), so that no request races the grant.
   */
  public static void grant(ApiServerCluster cluster, String ns, String sa, String... verbs) {
    KubernetesClient admin = cluster.client();
    cluster.tokenFor(ns, sa); // creates the ServiceAccount
    admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(sa).endMetadata()
        .addNewRule().withApiGroups(MultiClusterLease.GROUP).withResources(MultiClusterLease.PLURAL)
        .withVerbs(verbs).endRule().build()).forceConflicts().serverSideApply();
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(sa)
        .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", sa)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(ns).endSubject().build())
        .forceConflicts().serverSideApply();
    KubernetesClient asSa = cluster.clientAs(ns, sa);
    List<String> granted = List.of(verbs);
    await().atMost(Duration.ofSeconds(10)).until(() -> VERBS.stream()
        .allMatch(v -> allowed(asSa, ns, v) == granted.contains(v)));
  }

  private static boolean allowed(KubernetesClient asSa, String ns, String verb) {
    return Boolean.TRUE.equals(asSa.authorization().v1().selfSubjectAccessReview().create(
        new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
            .withGroup(MultiClusterLease.GROUP).withResource(MultiClusterLease.PLURAL).withVerb(verb)
            .withNamespace(ns).endResourceAttributes().endSpec().build()).getStatus().getAllowed());
  }
}
