package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.http.HttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded cluster behaves like a real API server where leader election depends on it: the shared semantics
 * ({@link ApiSemanticsContract}, also run against a real kube-apiserver) plus the mock's own switches.
 */
class EmbeddedClusterTest extends ApiSemanticsContract {

  private static EmbeddedClusterProvider provider;
  private static EmbeddedCluster cluster;
  private static EmbeddedCluster other;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startCluster() {
    provider = new EmbeddedClusterProvider();
    cluster = provider.start("east");
    other = provider.start("west");
  }

  @AfterAll
  static void stopCluster() {
    provider.close();
  }

  @Override
  protected Cluster cluster() {
    return cluster;
  }

  @Override
  protected Cluster otherCluster() {
    return other;
  }

  @Override
  protected HttpClient rawHttp() {
    return HTTP;
  }

  @BeforeEach
  void allowAll() {
    cluster.allowAll();
  }

  @Test
  void forbiddenVerbAnswers403ForThatResourceOnly() {
    mcls.inNamespace(ns).resource(lease("i", "pod-1")).create();
    cluster.forbid("update", "multiclusterleases/status");
    MultiClusterLease current = mcls.inNamespace(ns).withName("i").get();
    current.setStatus(status("pod-1", 1));
    assertThatThrownBy(() -> mcls.inNamespace(ns).resource(current).updateStatus())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(403);
          assertThat(e.getMessage()).contains("cannot update resource \"multiclusterleases/status\"");
        });
    assertThat(mcls.inNamespace(ns).resource(copyWithHolder(current, "pod-2")).update()).isNotNull();
    cluster.allow("update", "multiclusterleases/status");
    assertThat(mcls.inNamespace(ns).withName("i").editStatus(x -> { x.setStatus(status("pod-2", 2)); return x; }))
        .isNotNull();
  }

  @Test
  void missingCrdAnswers404UntilInstalled() {
    try (EmbeddedCluster bare = provider.start("bare-" + ns, false)) {
      var bareMcls = bare.client().resources(MultiClusterLease.class).inNamespace(ns);
      assertThatThrownBy(() -> bareMcls.resource(lease("j", "pod-1")).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
      assertThat(bareMcls.withName("j").get()).isNull();
      bare.installCrd();
      assertThat(bareMcls.resource(lease("j", "pod-1")).create()).isNotNull();
      bare.uninstallCrd();
      assertThat(bareMcls.withName("j").get()).isNull();
    }
  }

  @Test
  void missingNamespaceIsRefusedWhenRequired() {
    String missing = ns + "-missing";
    MultiClusterLease l = lease("n", "pod-1");
    l.getMetadata().setNamespace(missing);
    cluster.requireNamespaces(true);
    try {
      assertThatThrownBy(() -> mcls.inNamespace(missing).resource(l).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
      cluster.client().namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
          .withNewMetadata().withName(missing).endMetadata().build()).create();
      assertThat(mcls.inNamespace(missing).resource(l).create()).isNotNull();
      assertThat(cluster.client().namespaces().withName("default").get()).isNotNull();
    } finally {
      cluster.requireNamespaces(false);
    }
  }
}
