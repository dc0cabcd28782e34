package dev.mclease.client;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.cluster.RoleGrants;
import dev.mclease.testbed.kube.KubeBinaries;
import java.util.List;

/**
 * Real API servers for the client's tests: the JVM-wide shared kube-apiserver cluster of a name where the binaries
 * exist (the test is skipped, naming {@code ./mcl test}, where they do not), a fresh namespace per test, and RBAC
 * grants for clients that act as a ServiceAccount ({@link RoleGrants}). Shared clusters are never stopped: other
 * tests use them. Their first custom-resource write, slow on a fresh server, was done at start (CrdInstaller).
 */
public final class RealApiServer {

  private RealApiServer() {
  }

  /** The shared cluster {@code name} with the CRD served, or the calling test is skipped. */
  public static ApiServerCluster shared(String name) {
    return shared(name, true);
  }

  /** The shared cluster {@code name}, started without the CRD when {@code crd} is false (use a name of its own). */
  public static ApiServerCluster shared(String name, boolean crd) {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    return ApiServerClusterProvider.shared().start(name, crd);
  }

  /** A namespace of the calling test's own, created: a real server answers 404 for objects in a missing one. */
  public static String freshNamespace(ApiServerCluster cluster) {
    return RoleGrants.freshNamespace(cluster);
  }

  /** Grants ServiceAccount {@code ns/sa} exactly {@code verbs} on multiclusterleases, in force when this returns. */
  public static void grant(ApiServerCluster cluster, String ns, String sa, String... verbs) {
    RoleGrants.grant(cluster, ns, sa, List.of(RoleGrants.onLeases(verbs)));
  }
}
