package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real k3s cluster through Testcontainers; skipped where no Docker engine answers. */
class K3sClusterTest {

  @BeforeEach
  void needsDocker() {
    assumeTrue(Docker.available(), "no Docker engine: k3s clusters cannot run here");
  }

  @Test
  void startsWithTheCrdAndKeepsSpecAndStatusApart() {
    try (ClusterProvider provider = ClusterProvider.create("k3s")) {
      Cluster cluster = provider.start("k3s-a");
      assertThat(provider.kind()).isEqualTo("k3s");
      assertThat(cluster.kubeconfig()).exists();
      var client = cluster.client();
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("t").endMetadata().build())
          .create();
      MultiClusterLease l = new MultiClusterLease();
      l.setMetadata(new ObjectMetaBuilder().withName("x").withNamespace("t").build());
      l.setSpec(new MultiClusterLeaseSpec("pod-1", 15, null));
      MultiClusterLease created = client.resources(MultiClusterLease.class).resource(l).create();
      MultiClusterLeaseStatus status = new MultiClusterLeaseStatus();
      status.setLeader("pod-1");
      created.setStatus(status);
      MultiClusterLease after = client.resources(MultiClusterLease.class).resource(created).updateStatus();
      assertThat(after.getStatus().getLeader()).isEqualTo("pod-1");
      assertThat(after.getMetadata().getGeneration()).isEqualTo(1L);
    }
  }
}
