package dev.mclease.testbed.cluster;

import dev.mclease.testbed.kube.KeyAndCert;
import dev.mclease.testbed.kube.Pem;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Kubeconfig files and fabric8 clients: token-authenticated plain HTTP (embedded clusters) and TLS with the
 * cluster's CA and a client certificate or a bearer token (kube-apiserver clusters).
 */
final class Kubeconfigs {

  /** The names in every kube-apiserver cluster's serving certificate. */
  private static final Set<String> SERVING_NAMES = Set.of("127.0.0.1", "localhost");

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
    return write(dir, name, yaml);
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

  /**
   * Writes {@code <fileBase>.kubeconfig} for a TLS server: the CA and the user's credentials embedded as data, so
   * the file works from any directory. Cluster and context are named {@code name}, the user {@code user}.
   *
   * @param credentials the {@code user:} fields, e.g. {@code client-certificate-data} and {@code client-key-data},
   *     or {@code token}
   */
  static Path writeTls(Path dir, String fileBase, String name, URI server, String caPem, String user,
      Map<String, String> credentials) {
    StringBuilder userFields = new StringBuilder();
    credentials.forEach((k, v) -> userFields.append("    ").append(k).append(": ").append(quote(v)).append("\n"));
    String n = quote(name);
    String yaml = "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: " + n + "\n"
        + "  cluster:\n"
        + "    server: " + quote(server.toString()) + "\n"
        + "    certificate-authority-data: " + quote(Pem.base64(caPem)) + "\n"
        + "users:\n"
        + "- name: " + quote(user) + "\n"
        + "  user:\n"
        + userFields
        + "contexts:\n"
        + "- name: " + n + "\n"
        + "  context:\n"
        + "    cluster: " + n + "\n"
        + "    user: " + quote(user) + "\n"
        + "    namespace: default\n"
        + "current-context: " + n + "\n"
        + "preferences: {}\n";
    return write(dir, fileBase, yaml);
  }

  /** Writes {@code yaml} to {@code dir/<fileBase>.kubeconfig} (unsafe characters replaced) and returns the path. */
  private static Path write(Path dir, String fileBase, String yaml) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(fileBase.replaceAll("[^A-Za-z0-9._-]", "_") + ".kubeconfig");
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write kubeconfig " + fileBase + " under " + dir, e);
    }
  }

  /** The {@code user:} fields of a client certificate. */
  static Map<String, String> clientCertificate(KeyAndCert client) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("client-certificate-data", Pem.base64(client.certPem()));
    m.put("client-key-data", Pem.base64(client.keyPem()));
    return m;
  }

  /**
   * A client of a TLS server with a client certificate ({@code client} non-null) or a bearer token. Host names are
   * verified against the serving certificate (127.0.0.1 and localhost) unless {@code server} names another host,
   * e.g. a proxy reached by another name.
   */
  static KubernetesClient tlsClient(URI server, String caPem, KeyAndCert client, String token) {
    ConfigBuilder b = new ConfigBuilder(Config.empty())
        .withMasterUrl(server.toString())
        .withCaCertData(Pem.base64(caPem))
        .withNamespace("default")
        .withDisableHostnameVerification(!SERVING_NAMES.contains(server.getHost()));
    if (client != null) {
      b.withClientCertData(Pem.base64(client.certPem()))
          .withClientKeyData(Pem.base64(client.keyPem()))
          .withClientKeyAlgo("EC");
    } else {
      b.withOauthToken(token);
    }
    return new KubernetesClientBuilder().withConfig(b.build()).build();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
