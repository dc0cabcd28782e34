package dev.mclease.testbed.cluster;

import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import java.util.Locale;
import java.util.UUID;

/**
 * Where an {@link ApiServerClusterProvider}'s kube-apiservers keep their objects. Never the global lock store: that
 * is always another etcd, so a lock-store fault never touches an API server.
 */
public enum ApiServerStorage {

  /**
   * One etcd process for all clusters of a provider, started with its first cluster; each cluster under its own
   * {@code --etcd-prefix=/<name>-<random>}. Clusters stay independent (own objects, own resourceVersions, a restart
   * of one kube-apiserver leaves the others alone) and one etcd is saved per cluster.
   */
  SHARED_ETCD,

  /** One etcd process per cluster, started and closed with it; for tests that want to fault a cluster's storage. */
  ETCD_PER_CLUSTER;

  /** Env {@code MCL_APISERVER_STORAGE} ({@code shared-etcd} or {@code etcd-per-cluster}), else the default. */
  static ApiServerStorage fromEnv() {
    String env = System.getenv("MCL_APISERVER_STORAGE");
    if (env == null || env.isBlank()) {
      return SHARED_ETCD;
    }
    return valueOf(env.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /** Storage handed to one cluster: where its server writes, and what to close with the cluster. */
  record Slot(String etcdServers, String prefix, EtcdCluster ownEtcd) {

    /** Closes the cluster's own etcd, if it has one (a shared etcd is closed with its provider). */
    void release() {
      if (ownEtcd != null) {
        ownEtcd.close();
      }
    }
  }

  /** The shared etcd of one provider, started on first use. */
  static final class Shared implements AutoCloseable {
    private EtcdCluster etcd;
    private boolean closed;

    synchronized String servers() {
      if (closed) {
        throw new IllegalStateException("This cluster provider is closed");
      }
      if (etcd == null) {
        etcd = startEtcd();
      }
      return String.join(",", etcd.endpoints());
    }

    /** The shared etcd, or null when no cluster started it yet. */
    synchronized EtcdCluster etcd() {
      return etcd;
    }

    @Override
    public synchronized void close() {
      closed = true;
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  /** A slot for cluster {@code name}; with {@link #SHARED_ETCD} from {@code shared}. */
  Slot open(String name, Shared shared) {
    // The random part keeps two clusters of the same name (two providers, or one restarted by a test) apart.
    String prefix = "/" + name.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + UUID.randomUUID().toString().substring(0, 8);
    if (this == SHARED_ETCD) {
      return new Slot(shared.servers(), prefix, null);
    }
    EtcdCluster own = startEtcd();
    return new Slot(String.join(",", own.endpoints()), prefix, own);
  }

  private static EtcdCluster startEtcd() {
    // No fsync: an API server's objects need to survive a killed process (they do: the page cache keeps them), not a
    // crashed machine, and fsync is what makes etcd slow on a busy disk. envtest does the same.
    return EtcdProvider.startLocal(1, true);
  }
}
