package dev.mclease.testbed.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Kubeconfig files and fabric8 clients for token-authenticated plain-HTTP clusters. */
final class Kubeconfigs {

  private Kubeconfigs() {
  }

  /**
   * Writes a kubeconfig whose cluster, user and context are all named {@code name}. JSON-quoted strings are
   * valid YAML, which keeps odd names safe without a YAML library.
   */
  static Path write(Path dir, String name, URI server, String token) {
    String n = quote(name);
    String yaml = "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: " + n + "\n"
        + "  cluster:\n"
        + "    server: " + quote(server.toString()) + "\n"
        + "users:\n"
        + "- name: " + n + "\n"
        + "  user:\n"
        + "    token: " + quote(token) + "\n"
        + "contexts:\n"
        + "- name: " + n + "\n"
        + "  context:\n"
        + "    cluster: " + n + "\n"
        + "    user: " + n + "\n"
        + "    namespace: default\n"
        + "current-context: " + n + "\n"
        + "preferences: {}\n";
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".kubeconfig");
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write kubeconfig for cluster " + name + " under " + dir, e);
    }
  }

  /** A client with a token; {@code Config.empty()} so ~/.kube/config and KUBECONFIG never leak in. */
  static KubernetesClient client(URI server, String token) {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(server.toString())
        .withOauthToken(token)
        .withNamespace("default")
        // The embedded servers speak HTTP/1.1 only.
        .withHttp2Disable(true)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
