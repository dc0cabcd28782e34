package dev.mclease.testbed.cluster;

import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Starts {@link Cluster}s of one kind and closes them all at the end.
 *
 * <p>{@code embedded} clusters are in-process API servers (milliseconds to start, no Docker);
 * {@code k3s} clusters are real Kubernetes in Docker via Testcontainers.
 */
public interface ClusterProvider extends AutoCloseable {

  /** A fresh cluster named {@code name} with the MultiClusterLease CRD installed (status subresource on). */
  Cluster start(String name);

  /** {@code "embedded"} or {@code "k3s"}. */
  String kind();

  /** Closes every cluster this provider started. Idempotent. */
  @Override
  void close();

  /**
   * A provider of the given kind.
   *
   * @param kind {@code "embedded"} (also for {@code null} or blank), {@code "k3s"}, or {@code "auto"}
   *     (k3s only when a Docker engine answers, else embedded)
   * @throws IllegalArgumentException for any other kind
   */
  static ClusterProvider create(String kind) {
    String k = kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
    switch (k) {
      case "":
      case EmbeddedClusterProvider.KIND:
        return new EmbeddedClusterProvider();
      case K3sClusterProvider.KIND:
        return new K3sClusterProvider();
      case "auto":
        if (Docker.available()) {
          return new K3sClusterProvider();
        }
        LoggerFactory.getLogger(ClusterProvider.class)
            .info("No Docker engine answers: using embedded clusters instead of k3s");
        return new EmbeddedClusterProvider();
      default:
        throw new IllegalArgumentException("Unknown cluster provider kind '" + kind
            + "': use embedded, k3s or auto");
    }
  }
}
