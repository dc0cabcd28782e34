package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.kube.Kubectl;
import dev.mclease.testbed.util.Ports;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real kube-apiserver clusters: the semantics every cluster kind must have ({@link ApiSemanticsContract}), then what
 * only a real server has: TLS and certificates, a real version, RBAC judged on ServiceAccount tokens, process
 * faults.
 * Skipped (never failed) where the binaries are missing.
 */
class ApiServerClusterTest extends ApiSemanticsContract {

  private static ApiServerClusterProvider provider;
  private static ApiServerCluster east;
  private static ApiServerCluster west;
  private static HttpClient http;

  @BeforeAll
  static void startClusters() {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    provider = new ApiServerClusterProvider();
    var started = provider.startAll("east", "west");
    east = started.get(0);
    west = started.get(1);
    http = HttpClient.newBuilder().sslContext(east.pki().adminSslContext()).build();
  }

  @AfterAll
  static void stopClusters() {
    if (provider != null) {
      provider.close();
    }
  }

  @Override
  protected Cluster cluster() {
    return east;
  }

  @Override
  protected Cluster otherCluster() {
    return west;
  }

  @Override
  protected HttpClient rawHttp() {
    return http;
  }

  @Test
  void servesTheRealVersionOverTls() {
    assertThat(east.apiServer().toString()).startsWith("https://127.0.0.1:");
    assertThat(east.client().getKubernetesVersion().getGitVersion()).startsWith("v1.37.");
    assertThat(east.kubeconfig()).exists();
  }

  @Test
  void objectsInAMissingNamespaceAre404() {
    MultiClusterLease l = lease("n", "pod-1");
    String missing = ns + "-missing";
    l.getMetadata().setNamespace(missing);
    assertThatThrownBy(() -> mcls.inNamespace(missing).resource(l).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  @Test
  void unknownFieldsArePrunedAndDeletingTheCrdDeletesItsObjects() throws Exception {
    String body = "{\"apiVersion\":\"mclease.dev/v1alpha1\",\"kind\":\"MultiClusterLease\",\"metadata\":{\"name\":"
        + "\"u\",\"namespace\":\"" + ns + "\"},\"spec\":{\"holderIdentity\":\"pod-1\",\"bogus\":1}}";
    var created = http("POST", "/apis/mclease.dev/v1alpha1/namespaces/" + ns + "/multiclusterleases", body,
        "application/json");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().allValues("Warning"))
        .anyMatch(w -> w.contains("unknown field") && w.contains("spec.bogus"));
    assertThat(created.body()).doesNotContain("bogus");

    east.uninstallCrd();
    try {
      assertThatThrownBy(() -> mcls.inNamespace(ns).resource(lease("x", "pod-1")).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    } finally {
      east.installCrd();
    }
    assertThat(mcls.inNamespace(ns).withName("u").get()).as("gone with its CRD, not hidden").isNull();
  }

  @Test
  void theKubeconfigWorksForKubectl() throws Exception {
    assumeTrue(Kubectl.available(), Kubectl.MISSING);
    mcls.inNamespace(ns).resource(lease("kc", "pod-1")).create();
    String version = Kubectl.run(east.kubeconfig(), "version", "-o", "json");
    assertThat(version).contains("\"gitVersion\": \"v1.37.");
    String table = Kubectl.run(east.kubeconfig(), "get", "mcl", "-n", ns);
    assertThat(table).contains("HOLDER").contains("LEADER").contains("CLUSTER").contains("TOKEN").contains("pod-1");
    assertThat(Kubectl.run(east.kubeconfig(), "config", "current-context").trim()).isEqualTo("east");
  }

  @Test
  void aProxyInFrontPassesTheHostNameCheck() {
    try (TcpProxy proxy = TcpProxy.start("east-api", east.apiServer().getHost(), east.apiServer().getPort());
        KubernetesClient viaProxy = east.newClient(proxy.uri("https"))) {
      mcls.inNamespace(ns).resource(lease("p", "pod-1")).create();
      assertThat(viaProxy.resources(MultiClusterLease.class).inNamespace(ns).withName("p").get()).isNotNull();
    }
  }

  @Test
  void aServiceAccountGetsOnlyWhatItsRoleGrants() throws Exception {
    mcls.inNamespace(ns).resource(lease("r", "pod-1")).create();
    KubernetesClient candidate = east.clientAs(ns, "candidate");
    var asCandidate = candidate.resources(MultiClusterLease.class).inNamespace(ns);
    assertForbidden(() -> asCandidate.withName("r").get());

    east.client().rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName("candidate")
        .endMetadata().withRules(new PolicyRuleBuilder().withApiGroups(MultiClusterLease.GROUP)
            .withResources(MultiClusterLease.PLURAL).withVerbs("get", "list", "watch", "update", "patch").build())
        .build()).create();
    east.client().rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata()
        .withName("candidate").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "candidate")
        .addNewSubject().withKind("ServiceAccount").withName("candidate").withNamespace(ns).endSubject().build())
        .create();

    // The RBAC authorizer reads bindings from an informer: a new binding takes effect a moment later.
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> asCandidate.withName("r").get() != null);
    MultiClusterLease got = asCandidate.withName("r").get();
    assertThat(got.getSpec().getHolderIdentity()).isEqualTo("pod-1");
    got.getSpec().setHolderIdentity("pod-2");
    assertThat(asCandidate.resource(got).update().getSpec().getHolderIdentity()).isEqualTo("pod-2");
    MultiClusterLease current = asCandidate.withName("r").get();
    current.setStatus(status("pod-2", 1));
    assertForbidden(() -> asCandidate.resource(current).updateStatus());
    assertForbidden(() -> candidate.configMaps().inNamespace(ns).list());
    if (Kubectl.available()) {
      // kubectl reads "multiclusterleases/status" as the object named "status", not the subresource: with update
      // granted on the resource it answers yes. The subresource is asked for with --subresource.
      assertThat(Kubectl.exitCode(east.kubeconfig(), "auth", "can-i", "update", "multiclusterleases/status",
          "-n", ns, "--as=system:serviceaccount:" + ns + ":candidate")).as("the slash form asks about an object")
          .isZero();
      Path kubeconfig = east.kubeconfigAs(ns, "candidate");
      assertThat(Kubectl.exitCode(kubeconfig, "auth", "can-i", "update", "multiclusterleases.mclease.dev",
          "--subresource=status", "-n", ns)).as("can-i update status, as the candidate: no").isEqualTo(1);
      assertThat(Kubectl.exitCode(east.kubeconfig(), "auth", "can-i", "update", "multiclusterleases.mclease.dev",
          "--subresource=status", "-n", ns, "--as=system:serviceaccount:" + ns + ":candidate"))
          .as("the same through the admin's impersonation").isEqualTo(1);
      assertThat(Kubectl.exitCode(kubeconfig, "get", "mcl", "r", "-n", ns)).isZero();
    }
  }

  private static void assertForbidden(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).isEqualTo(403));
  }

  @Test
  void aKilledServerRestartsOnItsPortWithItsData() {
    try (ApiServerClusterProvider own = new ApiServerClusterProvider()) {
      ApiServerCluster c = own.start("crash");
      c.ensureNamespace(ns);
      var leases = c.client().resources(MultiClusterLease.class).inNamespace(ns);
      leases.resource(lease("kept", "pod-1")).create();
      long pid = c.pid();
      Path log = c.logFile();

      c.kill();
      assertThat(c.isRunning()).isFalse();
      assertThat(Ports.listening(c.apiServer().getPort(), Duration.ofMillis(500))).isFalse();

      c.start();
      assertThat(c.pid()).isNotEqualTo(pid);
      assertThat(leases.withName("kept").get().getSpec().getHolderIdentity()).as("same client, same data")
          .isEqualTo("pod-1");

      c.stop();
      c.restart();
      assertThat(leases.withName("kept").get()).isNotNull();
      assertThat(log).exists();
      assertThat(c.residentBytes()).isPositive();
    }
  }

  @Test
  void theSharedProviderHandsOutOneLongLivedClusterPerName() {
    ApiServerClusterProvider shared = ApiServerClusterProvider.shared();
    ApiServerCluster first = shared.start("shared-test");
    assertThat(shared.start("shared-test")).isSameAs(first);
    assertThat(first.isShared()).isTrue();
    first.close();
    shared.close();
    assertThat(first.isRunning()).as("close() of a shared cluster is ignored").isTrue();
    first.ensureNamespace(ns);
    assertThat(first.client().resources(MultiClusterLease.class).inNamespace(ns).list().getItems()).isEmpty();
  }

  @Test
  void closingTheProviderStopsItsServersAndDeletesTheirFiles() {
    ApiServerCluster c;
    Path dir;
    try (ApiServerClusterProvider own = new ApiServerClusterProvider()) {
      c = own.start("gone");
      dir = own.dir();
      assertThat(Files.exists(c.kubeconfig())).isTrue();
      assertThatThrownBy(() -> own.start("gone")).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(c.isRunning()).isFalse();
    assertThat(dir).doesNotExist();
  }
}
