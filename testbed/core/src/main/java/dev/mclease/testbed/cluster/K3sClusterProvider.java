package dev.mclease.testbed.cluster;

import dev.mclease.testbed.util.TempDirs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts real k3s clusters with Testcontainers ({@code rancher/k3s}). Needs a Docker engine: check
 * {@link Docker#available()} first. The image can be overridden with env {@code MCL_K3S_IMAGE}.
 */
public final class K3sClusterProvider implements ClusterProvider {

  static final String KIND = "k3s";
  /** The default image; k3s versions track Kubernetes minor releases. */
  public static final String DEFAULT_IMAGE = "rancher/k3s:v1.31.4-k3s1";

  private final List<K3sCluster> clusters = new CopyOnWriteArrayList<>();
  private final DockerImageName image;
  private final Path dir;

  /** A provider using {@code MCL_K3S_IMAGE} or {@link #DEFAULT_IMAGE}. */
  public K3sClusterProvider() {
    String env = System.getenv("MCL_K3S_IMAGE");
    this.image = DockerImageName.parse(env == null || env.isBlank() ? DEFAULT_IMAGE : env)
        .asCompatibleSubstituteFor("rancher/k3s");
    this.dir = TempDirs.create("mclease-k3s-");
  }

  /**
   * Starts a k3s container (about 20-40 s) and creates the CRD.
   *
   * @throws IllegalStateException when no Docker engine answers
   */
  @Override
  public K3sCluster start(String name) {
    if (!Docker.available()) {
      throw new IllegalStateException("k3s clusters need a Docker engine and none answers: "
          + "use the apiserver provider (ClusterProvider.create(\"apiserver\"), binaries from ./mcl test) or the "
          + "embedded one, or start Docker");
    }
    K3sCluster cluster = new K3sCluster(name, image, dir);
    clusters.add(cluster);
    return cluster;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public void close() {
    for (K3sCluster c : clusters) {
      c.close();
    }
    clusters.clear();
    TempDirs.deleteRecursively(dir);
  }
}
