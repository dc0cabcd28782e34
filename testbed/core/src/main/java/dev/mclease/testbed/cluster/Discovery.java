package dev.mclease.testbed.cluster;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The discovery documents a real API server serves ({@code /api}, {@code /api/v1}, {@code /apis},
 * {@code /apis/<group>}, {@code /apis/<group>/<version>}, {@code /version}), so that kubectl and
 * {@code client.supports(...)} work against an embedded cluster.
 *
 * <p>Built-in resources are a fixed short list (what leader election and its tests touch); custom resources
 * come from the CRDs stored in the cluster at the time of the request, with short names and the status
 * subresource, so {@code kubectl get mcl} resolves and deleting the CRD makes the resource disappear.
 */
final class Discovery {

  private static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  private static final List<String> STATUS_VERBS = List.of("get", "patch", "update");

  /** group → version → resources. Core group is "". */
  private static final Map<String, Map<String, List<APIResource>>> BUILT_IN = new LinkedHashMap<>();

  static {
    builtIn("", "v1", resource("namespaces", "namespace", "Namespace", false, "ns"),
        resource("configmaps", "configmap", "ConfigMap", true, "cm"),
        resource("secrets", "secret", "Secret", true),
        resource("events", "event", "Event", true, "ev"),
        resource("pods", "pod", "Pod", true, "po"),
        resource("services", "service", "Service", true, "svc"),
        resource("serviceaccounts", "serviceaccount", "ServiceAccount", true, "sa"));
    builtIn("coordination.k8s.io", "v1", resource("leases", "lease", "Lease", true));
    builtIn("apiextensions.k8s.io", "v1",
        resource("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false,
            "crd", "crds"));
    builtIn("apps", "v1", resource("deployments", "deployment", "Deployment", true, "deploy"));
  }

  private final Supplier<List<CustomResourceDefinition>> crds;
  private final Supplier<String> serverAddress;

  Discovery(Supplier<List<CustomResourceDefinition>> crds, Supplier<String> serverAddress) {
    this.crds = crds;
    this.serverAddress = serverAddress;
  }

  /** The JSON document for a discovery path, or null when {@code path} is not one (or names an unknown group). */
  String document(String path) {
    String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    if (p.equals("/version")) {
      return version();
    }
    if (p.equals("/api")) {
      return Serialization.asJson(new APIVersionsBuilder().withVersions("v1")
          .addNewServerAddressByClientCIDR("0.0.0.0/0", serverAddress.get()).build());
    }
    if (p.equals("/apis")) {
      return Serialization.asJson(new APIGroupListBuilder().withGroups(groups()).build());
    }
    if (p.equals("/")) {
      List<String> paths = new ArrayList<>(List.of("/api", "/api/v1", "/apis", "/version"));
      for (APIGroup g : groups()) {
        paths.add("/apis/" + g.getName());
        g.getVersions().forEach(v -> paths.add("/apis/" + v.getGroupVersion()));
      }
      return Serialization.asJson(Map.of("paths", paths));
    }
    String[] s = p.substring(1).split("/");
    if (s.length == 2 && s[0].equals("api")) {
      return resources("", s[1]);
    }
    if (s.length == 2 && s[0].equals("apis")) {
      return groups().stream().filter(g -> g.getName().equals(s[1])).findFirst()
          .map(Serialization::asJson).orElse(null);
    }
    if (s.length == 3 && s[0].equals("apis")) {
      return resources(s[1], s[2]);
    }
    return null;
  }

  private String resources(String group, String version) {
    Map<String, Map<String, List<APIResource>>> all = all();
    List<APIResource> list = all.getOrDefault(group, Map.of()).get(version);
    if (list == null) {
      return null;
    }
    String gv = group.isEmpty() ? version : group + "/" + version;
    return Serialization.asJson(new APIResourceListBuilder().withGroupVersion(gv).withResources(list).build());
  }

  private List<APIGroup> groups() {
    List<APIGroup> groups = new ArrayList<>();
    all().forEach((group, versions) -> {
      if (group.isEmpty() || versions.isEmpty()) {
        return;
      }
      List<GroupVersionForDiscovery> gvs = new ArrayList<>();
      versions.keySet().forEach(v -> gvs.add(new GroupVersionForDiscovery(group + "/" + v, v)));
      groups.add(new APIGroupBuilder().withName(group).withVersions(gvs).withPreferredVersion(gvs.get(0)).build());
    });
    return groups;
  }

  private Map<String, Map<String, List<APIResource>>> all() {
    Map<String, Map<String, List<APIResource>>> all = new LinkedHashMap<>();
    BUILT_IN.forEach((g, vs) -> all.put(g, new LinkedHashMap<>(vs)));
    for (CustomResourceDefinition crd : crds.get()) {
      var spec = crd.getSpec();
      var names = spec.getNames();
      boolean namespaced = "Namespaced".equals(spec.getScope());
      // Storage version first, so it becomes the preferred version like on a real server.
      List<CustomResourceDefinitionVersion> versions = new ArrayList<>(spec.getVersions());
      versions.sort((a, b) -> Boolean.compare(Boolean.TRUE.equals(b.getStorage()), Boolean.TRUE.equals(a.getStorage())));
      for (CustomResourceDefinitionVersion v : versions) {
        if (Boolean.FALSE.equals(v.getServed())) {
          continue;
        }
        List<APIResource> list = all.computeIfAbsent(spec.getGroup(), g -> new LinkedHashMap<>())
            .computeIfAbsent(v.getName(), x -> new ArrayList<>());
        list.add(new APIResourceBuilder().withName(names.getPlural()).withSingularName(names.getSingular())
            .withKind(names.getKind()).withNamespaced(namespaced).withVerbs(VERBS)
            .withShortNames(names.getShortNames()).withCategories(names.getCategories()).build());
        if (v.getSubresources() != null && v.getSubresources().getStatus() != null) {
          list.add(new APIResourceBuilder().withName(names.getPlural() + "/status").withSingularName("")
              .withKind(names.getKind()).withNamespaced(namespaced).withVerbs(STATUS_VERBS).build());
        }
      }
    }
    return all;
  }

  private static String version() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("major", "1");
    v.put("minor", "31");
    v.put("gitVersion", "v1.31.0+mclease-embedded");
    v.put("gitCommit", "0000000000000000000000000000000000000000");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "2024-08-13T00:00:00Z");
    v.put("goVersion", "go1.22.5");
    v.put("compiler", "gc");
    v.put("platform", "linux/amd64");
    return Serialization.asJson(v);
  }

  private static void builtIn(String group, String version, APIResource... resources) {
    BUILT_IN.computeIfAbsent(group, g -> new LinkedHashMap<>()).put(version, List.of(resources));
  }

  private static APIResource resource(String plural, String singular, String kind, boolean namespaced,
      String... shortNames) {
    return new APIResourceBuilder().withName(plural).withSingularName(singular).withKind(kind)
        .withNamespaced(namespaced).withVerbs(VERBS).withShortNames(shortNames).build();
  }
}
