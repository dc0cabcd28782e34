package dev.mclease.testbed.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Path;

/**
 * One Kubernetes API server with the MultiClusterLease CRD installed (unless a test asked otherwise).
 *
 * <p>Clusters are independent: an object created in one is invisible in the others, exactly as with real
 * clusters. Every client talks to {@link #apiServer()} unless it was built with an override, which is how a
 * component is put behind a {@link dev.mclease.testbed.fault.TcpProxy}.
 */
public interface Cluster extends AutoCloseable {

  /** The cluster's name; also its kubeconfig context, cluster and user name. */
  String name();

  /** Base URL of the API server: {@code http://127.0.0.1:PORT} (embedded) or {@code https://127.0.0.1:PORT}. */
  URI apiServer();

  /** A client shared by whoever asks; closed with the cluster. Do not close it yourself. */
  KubernetesClient client();

  /** A fresh client on {@link #apiServer()}; the caller closes it. */
  KubernetesClient newClient();

  /**
   * A fresh client with this cluster's credentials but another address, e.g. a TCP proxy in front of the
   * API server; the caller closes it.
   */
  KubernetesClient newClient(URI apiServerOverride);

  /** A kubeconfig file for this cluster, written to disk, usable by {@code kubectl --kubeconfig}. */
  Path kubeconfig();

  /**
   * Creates namespace {@code namespace} unless it exists. A real API server refuses objects in a namespace that does
   * not exist (404), so tests that use a fresh namespace call this first; embedded clusters accept either way.
   */
  default void ensureNamespace(String namespace) {
    ServiceAccountTokens.ensureNamespace(client(), namespace);
  }

  /** Stops the API server, closes the shared client and deletes the kubeconfig. Idempotent. */
  @Override
  void close();
}
