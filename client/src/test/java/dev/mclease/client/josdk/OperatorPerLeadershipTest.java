package dev.mclease.client.josdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.client.RealApiServer;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A JOSDK 5 operator that reconciles only while its candidate is the confirmed multi-cluster leader, on a real
 * kube-apiserver (the shared cluster {@code east}, a namespace of its own; skipped where the binaries are missing).
 */
class OperatorPerLeadershipTest {

  private final List<String> reconciled = new CopyOnWriteArrayList<>();

  private final class Marker implements Reconciler<ConfigMap> {
    @Override
    public UpdateControl<ConfigMap> reconcile(ConfigMap resource, Context<ConfigMap> context) {
      reconciled.add(resource.getMetadata().getName());
      return UpdateControl.noUpdate();
    }
  }

  @Test
  void theOperatorRunsOnlyWhileConfirmed() {
    ApiServerCluster cluster = RealApiServer.shared("east");
    String ns = RealApiServer.freshNamespace(cluster);
    KubernetesClient client = cluster.client();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("work")
        .withNamespace(ns).endMetadata().build()).create();
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, "operator", "pod-0")
        .leaseDuration(Duration.ofSeconds(2)).renewDeadline(Duration.ofMillis(1500))
        .retryPeriod(Duration.ofMillis(200)).build();
    List<Long> terms = new CopyOnWriteArrayList<>();
    try (lock; OperatorPerLeadership gate = new OperatorPerLeadership(client, lock, token -> {
      terms.add(token);
      Operator operator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false)
          .withUseSSAToPatchPrimaryResource(false));
      operator.register(new Marker(), c -> c.settingNamespaces(ns));
      return operator;
    })) {
      gate.start();
      await().atMost(Duration.ofSeconds(3)).until(() -> lock.localCandidate().isPresent());
      assertThat(reconciled).isEmpty(); // not confirmed: no operator

      try (SharedIndexInformer<MultiClusterLease> echo = confirm(client, ns)) { // the election controller's echo
        await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains("work"));
        assertThat(terms).containsExactly(7L);
      }
    }
  }

  /** Keeps echoing the candidate's heartbeat, as the controller would, from a background thread. */
  private static SharedIndexInformer<MultiClusterLease> confirm(KubernetesClient client, String ns) {
    Resource<MultiClusterLease> object = client.resources(MultiClusterLease.class).inNamespace(ns)
        .withName("operator");
    return object.inform(new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
      @Override
      public void onAdd(MultiClusterLease obj) {
        echo(obj);
      }

      @Override
      public void onUpdate(MultiClusterLease oldObj, MultiClusterLease newObj) {
        echo(newObj);
      }

      @Override
      public void onDelete(MultiClusterLease obj, boolean unknown) {
      }

      private void echo(MultiClusterLease obj) {
        MultiClusterLeaseStatus st = obj.getStatus() == null ? new MultiClusterLeaseStatus() : obj.getStatus();
        if (obj.getSpec().getRenewTime() == null || obj.getSpec().getRenewTime().equals(st.getObservedRenewTime())
            || obj.getSpec().getHolderIdentity() == null || obj.getSpec().getHolderIdentity().isEmpty()) {
          return;
        }
        st.setLeader(obj.getSpec().getHolderIdentity());
        st.setObservedRenewTime(obj.getSpec().getRenewTime());
        st.setFencingToken(7L);
        obj.setStatus(st);
        try {
          client.resource(obj).updateStatus();
        } catch (RuntimeException e) {
          // a newer heartbeat arrived meanwhile; the next event echoes it
        }
      }
    });
  }
}
