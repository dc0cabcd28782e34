package dev.mclease.testbed.cluster;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verb/resource pairs an embedded cluster refuses with 403 Forbidden, as RBAC would.
 *
 * <p>Resources are RBAC names: {@code multiclusterleases} does not cover {@code multiclusterleases/status},
 * just as a Role's rule does not. {@code "*"} matches any verb or any resource.
 */
final class AccessRules {

  private final Set<String> forbidden = ConcurrentHashMap.newKeySet();

  void forbid(String verb, String resource) {
    forbidden.add(key(verb, resource));
  }

  void allow(String verb, String resource) {
    forbidden.remove(key(verb, resource));
  }

  void allowAll() {
    forbidden.clear();
  }

  boolean isForbidden(String verb, String resource) {
    if (forbidden.isEmpty()) {
      return false;
    }
    return forbidden.contains(key(verb, resource)) || forbidden.contains(key("*", resource))
        || forbidden.contains(key(verb, "*")) || forbidden.contains(key("*", "*"));
  }

  private static String key(String verb, String resource) {
    return verb.toLowerCase(Locale.ROOT) + " " + resource.toLowerCase(Locale.ROOT);
  }
}
