package dev.mclease.testbed.cluster;

import dev.mclease.testbed.util.TempDirs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Starts {@link EmbeddedCluster}s: in-process API servers on loopback, one per cluster, each independent,
 * each with its own kubeconfig in this provider's temporary directory. Starting one takes milliseconds.
 */
public final class EmbeddedClusterProvider implements ClusterProvider {

  static final String KIND = "embedded";

  private final List<EmbeddedCluster> clusters = new CopyOnWriteArrayList<>();
  private final Path dir;

  /** A provider whose kubeconfigs go to a new temporary directory. */
  public EmbeddedClusterProvider() {
    this.dir = TempDirs.create("mclease-embedded-");
  }

  @Override
  public EmbeddedCluster start(String name) {
    return start(name, true);
  }

  /**
   * A fresh cluster; with {@code installCrd = false} the MultiClusterLease CRD is missing, so every request for
   * {@code multiclusterleases} answers 404 as on a cluster where nobody installed it.
   */
  public EmbeddedCluster start(String name, boolean installCrd) {
    if (clusters.stream().anyMatch(c -> c.name().equals(name))) {
      throw new IllegalArgumentException("A cluster named '" + name + "' was already started by this provider");
    }
    EmbeddedCluster cluster = new EmbeddedCluster(name, installCrd, dir);
    clusters.add(cluster);
    return cluster;
  }

  @Override
  public String kind() {
    return KIND;
  }

  /** The directory holding this provider's kubeconfig files. */
  public Path kubeconfigDir() {
    return dir;
  }

  @Override
  public void close() {
    for (EmbeddedCluster c : clusters) {
      c.close();
    }
    clusters.clear();
    TempDirs.deleteRecursively(dir);
  }
}
