package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClusterProviderTest {

  @Test
  void kindsResolve() {
    try (ClusterProvider p = ClusterProvider.create(null)) {
      assertThat(p.kind()).isEqualTo("embedded");
    }
    try (ClusterProvider p = ClusterProvider.create("embedded")) {
      assertThat(p).isInstanceOf(EmbeddedClusterProvider.class);
    }
    try (ClusterProvider p = ClusterProvider.create("auto")) {
      assertThat(p.kind()).isEqualTo(Docker.available() ? "k3s" : "embedded");
    }
    assertThatThrownBy(() -> ClusterProvider.create("kind")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("embedded, k3s or auto");
  }

  @Test
  void dockerProbeIsCheapAndNeverThrows() {
    boolean first = Docker.available();
    long t0 = System.nanoTime();
    assertThat(Docker.available()).isEqualTo(first);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(50));
  }

  @Test
  void closingTheProviderClosesItsClustersAndKubeconfigs() {
    Path kubeconfig;
    Path dir;
    EmbeddedCluster a;
    try (EmbeddedClusterProvider p = new EmbeddedClusterProvider()) {
      a = p.start("a");
      p.start("b");
      kubeconfig = a.kubeconfig();
      dir = p.kubeconfigDir();
      assertThat(kubeconfig).exists();
      assertThatThrownBy(() -> p.start("a")).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(Files.exists(kubeconfig)).isFalse();
    assertThat(Files.exists(dir)).isFalse();
    assertThatThrownBy(() -> a.client().namespaces().list()).isInstanceOf(RuntimeException.class);
  }
}
