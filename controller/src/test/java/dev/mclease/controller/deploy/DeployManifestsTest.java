package dev.mclease.controller.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parses every manifest under controller/deploy and checks the RBAC split and the wiring. */
class DeployManifestsTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static Path dir;
  private static final Map<String, HasMetadata> byKindAndName = new HashMap<>();
  private static final List<Path> files = new ArrayList<>();

  @BeforeAll
  static void parseAll() throws IOException {
    dir = Path.of(System.getProperty("mclease.deploy.dir", "deploy"));
    try (Stream<Path> s = Files.walk(dir)) {
      // prometheus/ holds Prometheus rule and promtool test files, not Kubernetes manifests (AlertRulesTest checks them)
      files.addAll(s.filter(p -> p.toString().endsWith(".yaml")).filter(p -> !p.startsWith(dir.resolve("prometheus")))
          .sorted().collect(Collectors.toList()));
    }
    for (Path f : files) {
      JsonNode tree = YAML.readTree(f.toFile());
      assertThat(tree).as(f + " parses").isNotNull();
      if (f.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      assertThat(tree.path("apiVersion").asText()).as(f + " apiVersion").isNotEmpty();
      assertThat(tree.path("kind").asText()).as(f + " kind").isNotEmpty();
      assertThat(tree.path("metadata").path("name").asText()).as(f + " metadata.name").isNotEmpty();
      if (f.getParent().equals(dir)) {
        HasMetadata r = K8S.unmarshal(Files.readString(f));
        byKindAndName.put(r.getKind() + "/" + r.getMetadata().getName(), r);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T get(String kind, String name) {
    T t = (T) byKindAndName.get(kind + "/" + name);
    assertThat(t).as(kind + "/" + name).isNotNull();
    return t;
  }

  @Test
  void kustomizationListsEveryTopLevelManifestAndNothingMissing() throws IOException {
    JsonNode k = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
    List<String> resources = new ArrayList<>();
    k.path("resources").forEach(n -> resources.add(n.asText()));
    List<String> topLevel = files.stream().filter(p -> p.getParent().equals(dir))
        .map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml")).sorted().toList();
    assertThat(resources).containsExactlyInAnyOrderElementsOf(topLevel);
    assertThat(k.path("namespace").asText()).isEqualTo("mclease-system");
    Namespace ns = get("Namespace", "mclease-system");
    assertThat(ns).isNotNull();
  }

  @Test
  void crdIsTheGeneratedOne() throws IOException {
    Path generated = Path.of(System.getProperty("mclease.crd.file", "../crd/multiclusterleases.mclease.dev-v1.yml"));
    assertThat(YAML.readTree(dir.resolve("crd.yaml").toFile())).isEqualTo(YAML.readTree(generated.toFile()));
  }

  @Test
  void candidatesMayWriteSpecButNeverStatus() {
    ClusterRole candidate = get("ClusterRole", "mclease-candidate");
    for (String verb : List.of("get", "list", "watch", "create", "update", "patch")) {
      assertThat(allows(candidate, verb, "multiclusterleases")).as("candidate " + verb).isTrue();
    }
    for (String verb : List.of("update", "patch", "create")) {
      assertThat(allows(candidate, verb, "multiclusterleases/status")).as("candidate " + verb + " status").isFalse();
    }
    assertThat(allows(candidate, "delete", "multiclusterleases")).isFalse();
  }

  @Test
  void theControllerWritesOnlyStatusAndEvents() {
    ClusterRole controller = get("ClusterRole", "mclease-controller");
    for (String verb : List.of("get", "list", "watch")) {
      assertThat(allows(controller, verb, "multiclusterleases")).as("controller " + verb).isTrue();
    }
    for (String verb : List.of("create", "update", "patch", "delete")) {
      assertThat(allows(controller, verb, "multiclusterleases")).as("controller " + verb + " spec").isFalse();
    }
    assertThat(allows(controller, "update", "multiclusterleases/status")).isTrue();
    assertThat(allows(controller, "patch", "multiclusterleases/status")).isTrue();
    assertThat(allowsIn(controller, "", "create", "events")).isTrue();
    assertThat(allowsIn(controller, "", "patch", "events")).isTrue();

    ClusterRoleBinding b = get("ClusterRoleBinding", "mclease-controller");
    assertThat(b.getRoleRef().getName()).isEqualTo("mclease-controller");
    ServiceAccount sa = get("ServiceAccount", "mclease-controller");
    assertThat(b.getSubjects()).anySatisfy(s -> {
      assertThat(s.getKind()).isEqualTo("ServiceAccount");
      assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
      assertThat(s.getNamespace()).isEqualTo(sa.getMetadata().getNamespace());
    });
  }

  @Test
  void deploymentHasProbesClusterNameEtcdEndpointsAndTheTlsSecret() {
    Deployment d = get("Deployment", "mclease-controller");
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("mclease-controller");
    Container c = pod.getContainers().get(0);
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    assertThat(c.getEnv()).extracting(EnvVar::getName).contains("MCL_ETCD_CA", "MCL_ETCD_CERT", "MCL_ETCD_KEY",
        "MCL_HTTP_PORT");
    String cm = c.getEnvFrom().get(0).getConfigMapRef().getName();
    io.fabric8.kubernetes.api.model.ConfigMap config = get("ConfigMap", cm);
    assertThat(config.getData()).containsKeys("MCL_CLUSTER_NAME", "MCL_ETCD_ENDPOINTS", "MCL_BACKEND_TTL");
    String secretVolume = pod.getVolumes().stream().filter(v -> v.getSecret() != null)
        .map(v -> v.getName()).findFirst().orElseThrow();
    assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret() == null ? null
        : v.getSecret().getSecretName()).isEqualTo("mclease-etcd-tls"));
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo(secretVolume);
      assertThat(c.getEnv().stream().filter(e -> e.getName().equals("MCL_ETCD_CA")).findFirst().get().getValue())
          .startsWith(m.getMountPath() + "/");
    });
  }

  @Test
  void dockerfileUsesTheTemurin17JreAndTheShadedJar() throws IOException {
    String dockerfile = Files.readString(dir.resolveSibling("Dockerfile"));
    assertThat(dockerfile).contains("FROM eclipse-temurin:17-jre").contains("target/mclease-controller.jar");
  }

  /**
   * The image runs as the Deployment's user and serves its port: checked on the Dockerfile, which both image builds
   * (docker build, and ./mcl image's buildah on a Debian base) follow; ControllerImageIT checks the built image.
   */
  @Test
  void dockerfileUserAndPortAreTheDeployments() throws IOException {
    List<String> lines = Files.readAllLines(dir.resolveSibling("Dockerfile"));
    Deployment d = get("Deployment", "mclease-controller");
    var pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(lines).contains("USER " + pod.getSecurityContext().getRunAsUser() + ":"
        + pod.getSecurityContext().getRunAsUser());
    assertThat(c.getPorts()).allSatisfy(p -> assertThat(lines).contains("EXPOSE " + p.getContainerPort()));
    assertThat(lines).filteredOn(l -> l.startsWith("ENTRYPOINT ")).singleElement().asString()
        .contains("\"-jar\", \"/app/mclease-controller.jar\"");
  }

  private static boolean allows(ClusterRole role, String verb, String resource) {
    return allowsIn(role, "mclease.dev", verb, resource);
  }

  private static boolean allowsIn(ClusterRole role, String group, String verb, String resource) {
    for (PolicyRule r : role.getRules()) {
      boolean g = r.getApiGroups().contains(group) || r.getApiGroups().contains("*");
      boolean res = r.getResources().contains(resource) || r.getResources().contains("*");
      boolean v = r.getVerbs().contains(verb) || r.getVerbs().contains("*");
      if (g && res && v) {
        return true;
      }
    }
    return false;
  }
}
