package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Discovery documents are served, so kubectl can be pointed at an embedded cluster. */
class DiscoveryTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static EmbeddedClusterProvider provider;
  private static EmbeddedCluster cluster;

  @BeforeAll
  static void start() {
    provider = new EmbeddedClusterProvider();
    cluster = provider.start("disco");
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(cluster.apiServer() + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
    return JSON.readTree(r.body());
  }

  @Test
  void coreAndGroupListsNameOurGroup() throws Exception {
    assertThat(get("/api").path("versions").toString()).contains("v1");
    JsonNode groups = get("/apis");
    assertThat(groups.path("kind").asText()).isEqualTo("APIGroupList");
    assertThat(groups.path("groups").findValuesAsText("name")).contains("mclease.dev", "coordination.k8s.io");
    JsonNode group = get("/apis/mclease.dev");
    assertThat(group.path("preferredVersion").path("groupVersion").asText()).isEqualTo("mclease.dev/v1alpha1");
    assertThat(get("/api/v1").path("resources").findValuesAsText("name")).contains("namespaces");
  }

  @Test
  void resourceListHasShortNameVerbsAndStatus() throws Exception {
    JsonNode list = get("/apis/mclease.dev/v1alpha1");
    assertThat(list.path("groupVersion").asText()).isEqualTo("mclease.dev/v1alpha1");
    JsonNode mcl = list.path("resources").get(0);
    assertThat(mcl.path("name").asText()).isEqualTo("multiclusterleases");
    assertThat(mcl.path("kind").asText()).isEqualTo("MultiClusterLease");
    assertThat(mcl.path("namespaced").asBoolean()).isTrue();
    assertThat(mcl.path("shortNames").toString()).contains("mcl");
    assertThat(mcl.path("verbs").toString()).contains("get", "list", "watch", "update", "patch");
    assertThat(list.path("resources").findValuesAsText("name")).contains("multiclusterleases/status");
  }

  @Test
  void versionAndRootPaths() throws Exception {
    JsonNode version = get("/version");
    assertThat(version.path("major").asText()).isEqualTo("1");
    assertThat(version.path("gitVersion").asText()).startsWith("v1.");
    assertThat(get("/").path("paths").toString()).contains("/apis/mclease.dev/v1alpha1");
    assertThat(cluster.client().getKubernetesVersion().getMajor()).isEqualTo("1");
    assertThat(cluster.client().supports(MultiClusterLease.class)).isTrue();
  }

  @Test
  void tableRequestsGetPrinterColumns() throws Exception {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withName("tabled").withNamespace("table-test").build());
    l.setSpec(new MultiClusterLeaseSpec("pod-9", 15, null));
    cluster.client().resources(MultiClusterLease.class).resource(l).create();
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.apiServer()
        + "/apis/mclease.dev/v1alpha1/namespaces/table-test/multiclusterleases"))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode table = JSON.readTree(r.body());
    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("columnDefinitions").findValuesAsText("name")).contains("Name", "Holder", "Leader", "Token");
    assertThat(table.path("rows").get(0).path("cells").toString()).contains("tabled", "pod-9");
    assertThat(table.path("rows").get(0).path("object").path("metadata").path("namespace").asText())
        .isEqualTo("table-test");
  }

  @Test
  void kubeconfigNamesTheCluster() throws Exception {
    String yaml = Files.readString(cluster.kubeconfig());
    assertThat(yaml).contains("current-context: \"disco\"").contains("server: \"" + cluster.apiServer() + "\"");
  }

  @Test
  void kubectlListsLeasesWhenInstalled() throws Exception {
    Path kubectl = Path.of("/usr/bin/kubectl");
    assumeTrue(Files.isExecutable(kubectl), "kubectl is not installed");
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withName("lease-for-kubectl").withNamespace("kube-test").build());
    l.setSpec(new MultiClusterLeaseSpec("pod-1", 15, null));
    cluster.client().resources(MultiClusterLease.class).resource(l).create();
    Process p = new ProcessBuilder(kubectl.toString(), "--kubeconfig", cluster.kubeconfig().toString(), "get", "mcl",
        "-A").redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    org.slf4j.LoggerFactory.getLogger(DiscoveryTest.class).info("kubectl get mcl -A:\n{}", out);
    assertThat(out).as(out).contains("lease-for-kubectl").contains("kube-test").contains("HOLDER")
        .contains("pod-1");
    assertThat(p.exitValue()).as(out).isZero();
  }
}
