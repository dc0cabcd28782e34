package dev.mclease.testbed.cluster;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kubernetes REST request taken apart the way an API server's authorizer sees it: verb, group, version,
 * namespace, resource, name, subresource.
 *
 * @param verb RBAC verb: get, list, watch, create, update, patch, delete, deletecollection
 * @param group API group, {@code ""} for the core group
 * @param version API version
 * @param namespace namespace, or null for cluster-scoped and all-namespace requests
 * @param plural resource plural, or null for a discovery request ({@code /api/v1}, {@code /apis/g/v})
 * @param name object name, or null for collections
 * @param subresource e.g. {@code status}, or null
 * @param path the path without its query string
 * @param query decoded query parameters
 */
record ApiRequest(String verb, String group, String version, String namespace, String plural, String name,
    String subresource, String path, Map<String, String> query) {

  /** Parses {@code /api/v1/...} and {@code /apis/g/v/...}; null for anything else (discovery roots, /version). */
  static ApiRequest parse(String method, String rawPath) {
    int q = rawPath.indexOf('?');
    String path = q < 0 ? rawPath : rawPath.substring(0, q);
    Map<String, String> query = q < 0 ? Map.of() : parseQuery(rawPath.substring(q + 1));
    String[] s = Arrays.stream(path.split("/")).filter(p -> !p.isEmpty()).toArray(String[]::new);
    String group;
    String version;
    int rest;
    if (s.length >= 2 && s[0].equals("api")) {
      group = "";
      version = s[1];
      rest = 2;
    } else if (s.length >= 3 && s[0].equals("apis")) {
      group = s[1];
      version = s[2];
      rest = 3;
    } else {
      return null;
    }
    String[] r = Arrays.copyOfRange(s, rest, s.length);
    String namespace = null;
    // "namespaces/x" alone is the Namespace object x; "namespaces/x/<plural>..." is a namespaced resource.
    if (r.length >= 3 && r[0].equals("namespaces")) {
      namespace = r[1];
      r = Arrays.copyOfRange(r, 2, r.length);
    }
    String plural = r.length > 0 ? r[0] : null;
    String name = r.length > 1 ? r[1] : null;
    String sub = r.length > 2 ? r[2] : null;
    boolean watch = "true".equals(query.get("watch")) || "1".equals(query.get("watch"));
    String verb = verb(method, name, watch);
    return new ApiRequest(verb, group, version, namespace, plural, name, sub, path, query);
  }

  private static String verb(String method, String name, boolean watch) {
    switch (method) {
      case "GET":
      case "HEAD":
        return watch ? "watch" : name == null ? "list" : "get";
      case "POST":
        return "create";
      case "PUT":
        return "update";
      case "PATCH":
        return "patch";
      case "DELETE":
        return name == null ? "deletecollection" : "delete";
      default:
        return method.toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static Map<String, String> parseQuery(String q) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : q.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return m;
  }

  boolean isResourceRequest() {
    return plural != null;
  }

  /** RBAC resource name: {@code plural} or {@code plural/subresource}. */
  String rbacResource() {
    return subresource == null ? plural : plural + "/" + subresource;
  }

  boolean isWrite() {
    return !verb.equals("get") && !verb.equals("list") && !verb.equals("watch");
  }

  /**
   * True for groups that only exist once a CRD defines them. Built-in groups either have no dot
   * ({@code apps}, {@code batch}) or end in {@code k8s.io}.
   */
  boolean isCustomGroup() {
    return group.contains(".") && !group.endsWith(".k8s.io") && !group.equals("k8s.io");
  }

  /** {@code plural.group} as a CRD is named. */
  String crdName() {
    return plural + "." + group;
  }

  /** The path of the object itself, without subresource and query. */
  String objectPath() {
    return subresource == null ? path : path.substring(0, path.length() - subresource.length() - 1);
  }

  /** The path of the collection the object lives in. */
  String collectionPath() {
    String p = objectPath();
    return name == null ? p : p.substring(0, p.length() - name.length() - 1);
  }
}
