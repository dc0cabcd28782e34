package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.mclease.testbed.kube.KubeBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClusterProviderTest {

  @Test
  void kindsResolve() {
    String auto = KubeBinaries.available() ? "apiserver" : Docker.available() ? "k3s" : "embedded";
    assertThat(ClusterProvider.resolve("auto")).isEqualTo(auto);
    String env = System.getenv("MCL_CLUSTER_PROVIDER");
    assertThat(ClusterProvider.resolve(null)).isEqualTo(env == null || env.isBlank() ? auto
        : ClusterProvider.resolve(env));
    assertThat(ClusterProvider.resolve(" Embedded ")).isEqualTo("embedded");
    try (ClusterProvider p = ClusterProvider.create("embedded")) {
      assertThat(p).isInstanceOf(EmbeddedClusterProvider.class);
    }
    try (ClusterProvider p = ClusterProvider.create("apiserver")) {
      assertThat(p).isInstanceOf(ApiServerClusterProvider.class);
      assertThat(p.kind()).isEqualTo("apiserver");
    }
    try (ClusterProvider p = ClusterProvider.create("auto")) {
      assertThat(p.kind()).isEqualTo(auto);
    }
    assertThatThrownBy(() -> ClusterProvider.create("kind")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("apiserver, k3s, embedded or auto");
  }

  @Test
  void anApiServerProviderWithoutBinariesNamesTheInstallStep() {
    assumeFalse(KubeBinaries.available(), "the binaries are installed here");
    try (ApiServerClusterProvider p = new ApiServerClusterProvider()) {
      assertThatThrownBy(() -> p.start("east")).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("./mcl test");
    }
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
