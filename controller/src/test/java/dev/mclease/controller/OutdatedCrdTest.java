package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.controller.backend.memory.InMemoryLockStore;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The CRD of 0.1 (before spec.holderInstance, spec.renewDeadlineMilliseconds and
 * status.confirmationWindowMilliseconds) left in a cluster whose client and controller are newer. A real API server
 * prunes fields its schema does not know — the embedded mock kept them, so no test saw this — and with them the
 * protections those fields carry; both sides must say so. Real kube-apiserver only (a shared cluster of its own name,
 * {@code old-crd}, holding that CRD); skipped where the binaries are missing.
 */
class OutdatedCrdTest {

  private static final String[] NEW_FIELDS = {"spec.holderInstance", "spec.renewDeadlineMilliseconds",
      "status.confirmationWindowMilliseconds"};

  @Test
  void prunedFieldsAreReportedByTheCandidateAndTheController() throws Exception {
    ApiServerCluster cluster = RealApiServers.shared("old-crd", false);
    installOldCrd(cluster.client());
    String ns = RealApiServers.freshNamespace(cluster);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger outputLog = (Logger) LoggerFactory.getLogger(KubernetesLeaseOutput.class);
    log.start();
    outputLog.addAppender(log);
    ControllerConfig cfg = RealApiServers.shortTimings("old-crd", ns);
    try (InMemoryLockStore store = new InMemoryLockStore(System::nanoTime);
        InMemoryLockStore.Session session = store.session(cfg.backendTtl(), cfg.backendRenewInterval());
        KubernetesClient controllerClient = cluster.newClient();
        ElectionController controller = new ElectionController(controllerClient, session, cfg, Clock.systemUTC(),
            System::nanoTime, new SimpleMeterRegistry());
        MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, "lease", "pod-a")
            .leaseDuration(Duration.ofSeconds(2)).renewDeadline(Duration.ofMillis(1500))
            .retryPeriod(Duration.ofMillis(200)).build()) {
      controller.start();
      KubernetesClient k = cluster.client();
      // the candidate heartbeats; the controller confirms it (without the cap: the window is gone)
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        lock.get(k);
        return lock.isLeader();
      });
      MultiClusterLease stored = k.resources(MultiClusterLease.class).inNamespace(ns).withName("lease").get();
      assertThat(stored.getSpec().getHolderInstance()).as("pruned").isNull();
      assertThat(stored.getStatus().getConfirmationWindowMilliseconds()).as("pruned").isNull();

      assertThat(lock.problem()).hasValueSatisfying(p -> assertThat(p)
          .contains("pruned spec.holderInstance and spec.renewDeadlineMilliseconds")
          .contains("CRD of this cluster is older than this client").contains("apply the CRD"));
      await().atMost(Duration.ofSeconds(5)).until(() -> log.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR
          && e.getFormattedMessage().contains("pruned status.confirmationWindowMilliseconds")
          && e.getFormattedMessage().contains("CRD of cluster old-crd is older than this controller")));
    } finally {
      outputLog.detachAppender(log);
    }
    assertThat(log.list.stream().filter(e -> e.getLevel() == Level.ERROR)).as("said once").hasSize(1);
  }

  /** The CRD of this release without the fields 0.2 added, established and served. */
  private static void installOldCrd(KubernetesClient admin) throws IOException {
    CustomResourceDefinition crd;
    try (InputStream in = MultiClusterLease.class.getResourceAsStream("/META-INF/fabric8/" + MultiClusterLease.CRD_NAME
        + "-v1.yml")) {
      crd = admin.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
    }
    JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    for (String f : NEW_FIELDS) {
      String[] path = f.split("\\.");
      root.getProperties().get(path[0]).getProperties().remove(path[1]);
    }
    crd.getMetadata().setResourceVersion(null);
    admin.resource(crd).forceConflicts().serverSideApply();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      admin.resources(MultiClusterLease.class).inNamespace("default").list();
      return true;
    });
  }
}
