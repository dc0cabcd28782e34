package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What leader election relies on from an API server, run against every kind of cluster: {@link EmbeddedClusterTest}
 * (the mock with its patches) and {@link ApiServerClusterTest} (a real kube-apiserver). A behaviour the mock was
 * patched for stays tested on both, so the patch is shown to match the real server.
 */
abstract class ApiSemanticsContract {

  protected String ns;
  protected MixedOperation<MultiClusterLease, KubernetesResourceList<MultiClusterLease>, Resource<MultiClusterLease>>
      mcls;

  /** The cluster under test, with the CRD installed. */
  protected abstract Cluster cluster();

  /** A second cluster of the same kind. */
  protected abstract Cluster otherCluster();

  /** A JDK HTTP client that the cluster accepts as an admin (plain for embedded, the admin certificate for TLS). */
  protected abstract HttpClient rawHttp();

  @BeforeEach
  void freshNamespace() {
    ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
    cluster().ensureNamespace(ns);
    mcls = cluster().client().resources(MultiClusterLease.class);
  }

  protected MultiClusterLease lease(String name, String holder) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    l.setSpec(new MultiClusterLeaseSpec(holder, 15, null));
    return l;
  }

  protected static MultiClusterLeaseStatus status(String leader, long token) {
    MultiClusterLeaseStatus s = new MultiClusterLeaseStatus();
    s.setLeader(leader);
    s.setFencingToken(token);
    return s;
  }

  @Test
  void createDropsStatusAndStartsAtGenerationOne() {
    MultiClusterLease l = lease("a", "pod-1");
    l.setStatus(status("someone", 7));
    MultiClusterLease created = mcls.inNamespace(ns).resource(l).create();
    assertThat(created.getStatus()).isNull();
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(created.getMetadata().getUid()).isNotBlank();
  }

  @Test
  void specAndStatusAreWrittenApart() {
    MultiClusterLease created = mcls.inNamespace(ns).resource(lease("b", "pod-1")).create();
    created.setStatus(status("pod-1", 3));
    created.getSpec().setHolderIdentity("changed-through-status");
    MultiClusterLease afterStatus = mcls.inNamespace(ns).resource(created).updateStatus();
    assertThat(afterStatus.getSpec().getHolderIdentity()).isEqualTo("pod-1");
    assertThat(afterStatus.getStatus().getLeader()).isEqualTo("pod-1");
    assertThat(afterStatus.getMetadata().getGeneration()).as("status writes keep the generation").isEqualTo(1L);

    afterStatus.getSpec().setHolderIdentity("pod-2");
    afterStatus.setStatus(status("forged", 99));
    MultiClusterLease afterSpec = mcls.inNamespace(ns).resource(afterStatus).update();
    assertThat(afterSpec.getSpec().getHolderIdentity()).isEqualTo("pod-2");
    assertThat(afterSpec.getStatus().getLeader()).as("spec writes keep the status").isEqualTo("pod-1");
    assertThat(afterSpec.getMetadata().getGeneration()).as("spec writes move the generation").isEqualTo(2L);

    MultiClusterLease patched = mcls.inNamespace(ns).withName("b")
        .edit(x -> { x.getSpec().setLeaseDurationSeconds(20); x.getStatus().setLeader("forged"); return x; });
    assertThat(patched.getStatus().getLeader()).isEqualTo("pod-1");
    assertThat(patched.getMetadata().getGeneration()).isEqualTo(3L);

    MultiClusterLease statusPatched = mcls.inNamespace(ns).withName("b")
        .editStatus(x -> { x.getStatus().setFencingToken(4L); x.getSpec().setHolderIdentity("forged"); return x; });
    assertThat(statusPatched.getStatus().getFencingToken()).isEqualTo(4L);
    assertThat(statusPatched.getSpec().getHolderIdentity()).isEqualTo("pod-2");
    assertThat(statusPatched.getMetadata().getGeneration()).isEqualTo(3L);
  }

  @Test
  void staleResourceVersionConflictsOnEveryWrite() {
    MultiClusterLease v1 = mcls.inNamespace(ns).resource(lease("c", "pod-1")).create();
    MultiClusterLease v2 = mcls.inNamespace(ns).resource(copyWithHolder(v1, "pod-2")).update();
    assertThat(v2.getMetadata().getResourceVersion()).isNotEqualTo(v1.getMetadata().getResourceVersion());

    assertConflict(() -> mcls.inNamespace(ns).resource(copyWithHolder(v1, "pod-3")).update());
    MultiClusterLease stale = copyWithHolder(v1, "pod-1");
    stale.setStatus(status("pod-1", 1));
    assertConflict(() -> mcls.inNamespace(ns).resource(stale).updateStatus());
    assertConflict(() -> mcls.inNamespace(ns).resource(copyWithHolder(v1, "pod-4")).patch());
    assertConflict(() -> mcls.inNamespace(ns).resource(stale).patchStatus());

    MultiClusterLease current = mcls.inNamespace(ns).withName("c").get();
    current.setStatus(status("pod-2", 2));
    assertThat(mcls.inNamespace(ns).resource(current).updateStatus().getStatus().getFencingToken()).isEqualTo(2L);
  }

  @Test
  void putWithoutResourceVersionIsInvalid() throws Exception {
    mcls.inNamespace(ns).resource(lease("d", "pod-1")).create();
    String body = "{\"apiVersion\":\"mclease.dev/v1alpha1\",\"kind\":\"MultiClusterLease\","
        + "\"metadata\":{\"name\":\"d\","
        + "\"namespace\":\"" + ns + "\"},\"spec\":{\"holderIdentity\":\"x\"}}";
    HttpResponse<String> r = http("PUT", path("d", ""), body, "application/json");
    assertThat(r.statusCode()).isEqualTo(422);
  }

  @Test
  void schemaViolationsAreRejectedWith422() throws Exception {
    MultiClusterLease zero = lease("v", "pod-1");
    zero.getSpec().setLeaseDurationSeconds(0);
    assertInvalid(() -> mcls.inNamespace(ns).resource(zero).create(), "spec.leaseDurationSeconds");
    assertInvalid(() -> mcls.inNamespace(ns).resource(lease("v", "p".repeat(254))).create(),
        "spec.holderIdentity: Too long");
    mcls.inNamespace(ns).resource(lease("v", "pod-1")).create();
    assertInvalid(() -> mcls.inNamespace(ns).withName("v").edit(x -> {
      x.getSpec().setLeaseDurationSeconds(5000);
      return x;
    }), "less than or equal to 3600");
    HttpResponse<String> r = http("PATCH", path("v", "/status"), "{\"status\":{\"fencingToken\":\"abc\"}}",
        "application/merge-patch+json");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("status.fencingToken");
    assertThat(mcls.inNamespace(ns).withName("v").get().getSpec().getLeaseDurationSeconds()).isEqualTo(15);
  }

  @Test
  void patchAnswers200LikeARealServer() throws Exception {
    mcls.inNamespace(ns).resource(lease("e", "pod-1")).create();
    HttpResponse<String> main = http("PATCH", path("e", ""), "{\"spec\":{\"leaseDurationSeconds\":9}}",
        "application/merge-patch+json");
    assertThat(main.statusCode()).isEqualTo(200);
    HttpResponse<String> status = http("PATCH", path("e", "/status"), "{\"status\":{\"leader\":\"pod-1\"}}",
        "application/merge-patch+json");
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(mcls.inNamespace(ns).withName("e").get().getStatus().getLeader()).isEqualTo("pod-1");
  }

  /** The clients' spec writes are CASes of JSON Patch tests (docs/protocol.md, rule 1): a real server's semantics. */
  @Test
  void jsonPatchTestsAreACompareAndSwapInWhichNullMatchesAnAbsentMember() throws Exception {
    mcls.inNamespace(ns).resource(lease("t", "pod-1")).create(); // no renewTime
    String cas = "[{\"op\":\"test\",\"path\":\"/spec/holderIdentity\",\"value\":\"pod-1\"},"
        + "{\"op\":\"test\",\"path\":\"/spec/renewTime\",\"value\":null},"
        + "{\"op\":\"add\",\"path\":\"/spec/holderIdentity\",\"value\":\"pod-2\"}]";
    assertThat(http("PATCH", path("t", ""), cas, "application/json-patch+json").statusCode()).isEqualTo(200);
    assertThat(mcls.inNamespace(ns).withName("t").get().getSpec().getHolderIdentity()).isEqualTo("pod-2");

    HttpResponse<String> stale = http("PATCH", path("t", ""), cas, "application/json-patch+json");
    assertThat(stale.statusCode()).isEqualTo(422);
    // no object, no cause, no library text: how the clients tell it from a schema refusal (SpecPatch.refusedAsStale)
    assertThat(stale.body()).contains("\"reason\":\"Invalid\"").contains("\"details\":{}")
        .contains("the server rejected our request due to an error in our request");

    HttpResponse<String> noParent = http("PATCH", path("t", ""), "[{\"op\":\"test\",\"path\":\"/nothing/here\","
        + "\"value\":null},{\"op\":\"add\",\"path\":\"/spec/holderIdentity\",\"value\":\"pod-3\"}]",
        "application/json-patch+json");
    assertThat(noParent.statusCode()).isEqualTo(422);
    assertThat(noParent.body()).contains("\"details\":{}");
    assertThat(mcls.inNamespace(ns).withName("t").get().getSpec().getHolderIdentity()).isEqualTo("pod-2");
  }

  @Test
  void statusWritesWithQueryParametersStayStatusWrites() throws Exception {
    mcls.inNamespace(ns).resource(lease("f", "pod-1")).create();
    HttpResponse<String> r = http("PATCH", path("f", "/status?fieldManager=controller"),
        "{\"spec\":{\"holderIdentity\":\"forged\"},\"status\":{\"leader\":\"pod-1\"}}", "application/merge-patch+json");
    assertThat(r.statusCode()).isEqualTo(200);
    MultiClusterLease after = mcls.inNamespace(ns).withName("f").get();
    assertThat(after.getSpec().getHolderIdentity()).isEqualTo("pod-1");
    assertThat(after.getStatus().getLeader()).isEqualTo("pod-1");
  }

  @Test
  void serverSideApplyCreatesAndPatches() throws Exception {
    MultiClusterLease applied = mcls.inNamespace(ns).resource(lease("g", "pod-1")).fieldManager("t").forceConflicts()
        .serverSideApply();
    assertThat(applied.getSpec().getHolderIdentity()).isEqualTo("pod-1");
    String yaml = "apiVersion: mclease.dev/v1alpha1\nkind: MultiClusterLease\nmetadata:\n  name: g\n  namespace: " + ns
        + "\nstatus:\n  leader: pod-1\n  fencingToken: 5\n";
    HttpResponse<String> r = http("PATCH", path("g", "/status?fieldManager=t&force=true"), yaml,
        "application/apply-patch+yaml");
    assertThat(r.statusCode()).isEqualTo(200);
    MultiClusterLease after = mcls.inNamespace(ns).withName("g").get();
    assertThat(after.getStatus().getFencingToken()).isEqualTo(5L);
    assertThat(after.getSpec().getHolderIdentity()).isEqualTo("pod-1");
  }

  @Test
  void watchDeliversAddedModifiedDeleted() {
    List<String> events = new CopyOnWriteArrayList<>();
    try (var watch = mcls.inNamespace(ns).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, MultiClusterLease resource) {
        events.add(action + " " + resource.getSpec().getHolderIdentity());
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    })) {
      MultiClusterLease created = mcls.inNamespace(ns).resource(lease("h", "pod-1")).create();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("ADDED pod-1"));
      mcls.inNamespace(ns).resource(copyWithHolder(created, "pod-2")).update();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("MODIFIED pod-2"));
      mcls.inNamespace(ns).withName("h").delete();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("DELETED pod-2"));
    }
  }

  @Test
  void watchFromAResourceVersionDoesNotReplayOlderObjects() {
    mcls.inNamespace(ns).resource(lease("old", "pod-old")).create();
    String rv = mcls.inNamespace(ns).list().getMetadata().getResourceVersion();
    List<String> events = new CopyOnWriteArrayList<>();
    try (var watch = mcls.inNamespace(ns).watch(
        new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(rv).build(), new Watcher<>() {
          @Override
          public void eventReceived(Action action, MultiClusterLease resource) {
            events.add(action + " " + resource.getSpec().getHolderIdentity());
          }

          @Override
          public void onClose(WatcherException cause) {
          }
        })) {
      MultiClusterLease created = mcls.inNamespace(ns).resource(lease("new", "pod-new")).create();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("ADDED pod-new"));
      mcls.inNamespace(ns).withName("old").delete();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("DELETED pod-old"));
      assertThat(events).doesNotContain("ADDED pod-old");
      assertThat(created).isNotNull();
    }
  }

  @Test
  void installedCrdIsEstablished() {
    var crd = cluster().client().apiextensions().v1().customResourceDefinitions().withName(MultiClusterLease.CRD_NAME)
        .get();
    assertThat(crd.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Established")
        && c.getStatus().equals("True"));
    assertThat(crd.getSpec().getVersions().get(0).getSubresources().getStatus()).isNotNull();
  }

  @Test
  void clustersAreIndependent() {
    Cluster other = otherCluster();
    mcls.inNamespace(ns).resource(lease("k", "pod-1")).create();
    assertThat(other.client().resources(MultiClusterLease.class).inNamespace(ns).withName("k").get()).isNull();
    assertThat(other.apiServer()).isNotEqualTo(cluster().apiServer());
  }

  @Test
  void newClientWithOverrideUsesThatAddress() {
    try (KubernetesClient c = cluster().newClient(cluster().apiServer())) {
      assertThat(c.getMasterUrl().toString()).startsWith(cluster().apiServer().toString());
      assertThat(c.resources(MultiClusterLease.class).inNamespace(ns).list().getItems()).isEmpty();
    }
  }

  protected static MultiClusterLease copyWithHolder(MultiClusterLease l, String holder) {
    MultiClusterLease c = new MultiClusterLease();
    c.setMetadata(new ObjectMetaBuilder(l.getMetadata()).build());
    c.setSpec(new MultiClusterLeaseSpec(holder, 15, null));
    return c;
  }

  protected static void assertConflict(Runnable write) {
    assertThatThrownBy(write::run).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).isEqualTo(409));
  }

  protected static void assertInvalid(Runnable write, String message) {
    assertThatThrownBy(write::run).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
      assertThat(e.getCode()).isEqualTo(422);
      assertThat(e.getMessage()).contains(message);
    });
  }

  protected String path(String name, String suffix) {
    return "/apis/mclease.dev/v1alpha1/namespaces/" + ns + "/multiclusterleases/" + name + suffix;
  }

  protected HttpResponse<String> http(String method, String path, String body, String contentType)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster().apiServer() + path));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return rawHttp().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
