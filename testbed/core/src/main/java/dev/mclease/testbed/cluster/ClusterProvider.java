package dev.mclease.testbed.cluster;

import dev.mclease.testbed.kube.KubeBinaries;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Starts {@link Cluster}s of one kind and closes them all at the end.
 *
 * <p>{@code apiserver} clusters are real {@code kube-apiserver} processes (seconds to start; the binaries come from
 * {@code ./mcl}, see {@link KubeBinaries}); {@code k3s} clusters are real Kubernetes in Docker via Testcontainers;
 * {@code embedded} clusters are fabric8's mock server with the gaps that matter patched (milliseconds, in-process,
 * but a mock: see docs/testbed.md for what it does not do).
 */
public interface ClusterProvider extends AutoCloseable {

  /** A fresh cluster named {@code name} with the MultiClusterLease CRD installed (status subresource on). */
  Cluster start(String name);

  /** {@code "apiserver"}, {@code "k3s"} or {@code "embedded"}. */
  String kind();

  /** Closes every cluster this provider started. Idempotent. */
  @Override
  void close();

  /**
   * A provider of the given kind.
   *
   * @param kind {@code "apiserver"}, {@code "k3s"}, {@code "embedded"}, or {@code "auto"}; {@code null} or blank
   *     means env {@code MCL_CLUSTER_PROVIDER} when set, else {@code auto}. {@code auto} is the most faithful
   *     kind this machine can run: {@code apiserver} when {@link KubeBinaries#available()}, else {@code k3s} when a
   *     Docker engine answers, else {@code embedded} with a warning that the evidence then comes from a mock.
   * @throws IllegalArgumentException for any other kind
   */
  static ClusterProvider create(String kind) {
    String k = resolve(kind);
    switch (k) {
      case ApiServerClusterProvider.KIND:
        return new ApiServerClusterProvider();
      case K3sClusterProvider.KIND:
        return new K3sClusterProvider();
      case EmbeddedClusterProvider.KIND:
        return new EmbeddedClusterProvider();
      default:
        throw new IllegalArgumentException("Unknown cluster provider kind '" + kind
            + "': use apiserver, k3s, embedded or auto");
    }
  }

  /**
   * The kind {@link #create(String)} would make for {@code kind}, with {@code auto} (and the default) decided on
   * this machine; other values are returned lower-cased.
   */
  static String resolve(String kind) {
    String k = kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
    if (k.isEmpty()) {
      String env = System.getenv("MCL_CLUSTER_PROVIDER");
      k = env == null || env.isBlank() ? "auto" : env.trim().toLowerCase(Locale.ROOT);
    }
    if (!"auto".equals(k)) {
      return k;
    }
    if (KubeBinaries.available()) {
      return ApiServerClusterProvider.KIND;
    }
    if (Docker.available()) {
      return K3sClusterProvider.KIND;
    }
    LoggerFactory.getLogger(ClusterProvider.class).warn("NO REAL API SERVER: neither kube-apiserver binaries ({}) "
        + "nor a Docker engine, so clusters are EMBEDDED MOCKS (fabric8 mock server): what runs on them is evidence "
        + "from a mock, not from Kubernetes", KubeBinaries.INSTALL_HINT);
    return EmbeddedClusterProvider.KIND;
  }
}
