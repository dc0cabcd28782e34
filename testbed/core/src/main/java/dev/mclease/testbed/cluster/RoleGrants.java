package dev.mclease.testbed.cluster;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * RBAC on a real API server for a ServiceAccount in one namespace, and fresh namespaces to grant it in: what the
 * client's and the controller's tests need to run a lock or a controller as the identity production gives it.
 */
public final class RoleGrants {

  /** Every verb a candidate or a controller may be granted on multiclusterleases. */
  public static final List<String> LEASE_VERBS = List.of("get", "list", "watch", "create", "update", "patch");
  private static final Duration AUTHORIZER_CATCH_UP = Duration.ofSeconds(10);

  private RoleGrants() {
  }

  /** A namespace of its own for the caller, created in every given cluster (a real server 404s a missing one). */
  public static String freshNamespace(Cluster... clusters) {
    String ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
    for (Cluster c : clusters) {
      c.ensureNamespace(ns);
    }
    return ns;
  }

  /** One rule: {@code verbs} on multiclusterleases. */
  public static PolicyRule onLeases(String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(MultiClusterLease.GROUP).withResources(MultiClusterLease.PLURAL)
        .withVerbs(verbs).build();
  }

  /**
   * Grants ServiceAccount {@code ns/sa} exactly {@code rules} in {@code ns} (Role and RoleBinding {@code sa}, applied
   * server-side so a second call replaces the first) and returns once the server's authorizer judges by them: a
   * SelfSubjectAccessReview as the ServiceAccount agrees with the rules for every verb on multiclusterleases. The
   * authorizer learns of new bindings from its informers, so without the wait a request right after the grant
   * could still be judged by the old rules.
   *
   * @throws IllegalStateException if the authorizer still disagrees after 10 s
   */
  public static void grant(ApiServerCluster cluster, String ns, String sa, List<PolicyRule> rules) {
    KubernetesClient admin = cluster.client();
    cluster.tokenFor(ns, sa); // creates the ServiceAccount
    admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(sa).endMetadata()
        .withRules(rules).build()).forceConflicts().serverSideApply();
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(sa)
        .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", sa)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(ns).endSubject().build())
        .forceConflicts().serverSideApply();
    KubernetesClient asSa = cluster.clientAs(ns, sa);
    long deadline = System.nanoTime() + AUTHORIZER_CATCH_UP.toNanos();
    while (!LEASE_VERBS.stream().allMatch(v -> allowed(asSa, ns, v) == grants(rules, v))) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the authorizer of " + cluster.name() + " did not apply Role " + ns + "/" + sa
            + " within " + AUTHORIZER_CATCH_UP.toSeconds() + " s");
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  /** Whether {@code rules} allow {@code verb} on multiclusterleases (no wildcards: the project's rules name both). */
  static boolean grants(List<PolicyRule> rules, String verb) {
    return rules.stream().anyMatch(r -> r.getApiGroups().contains(MultiClusterLease.GROUP)
        && r.getResources().contains(MultiClusterLease.PLURAL) && r.getVerbs().contains(verb));
  }

  private static boolean allowed(KubernetesClient asSa, String ns, String verb) {
    return Boolean.TRUE.equals(asSa.authorization().v1().selfSubjectAccessReview().create(
        new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
            .withGroup(MultiClusterLease.GROUP).withResource(MultiClusterLease.PLURAL).withVerb(verb)
            .withNamespace(ns).endResourceAttributes().endSpec().build()).getStatus().getAllowed());
  }
}
