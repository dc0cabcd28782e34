package dev.mclease.controller;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes status with a JSON Patch ({@code add /status}) on the {@code /status} subresource: no resourceVersion
 * (status belongs to this controller alone, so a spec heartbeat never makes an echo fail with 409) and the whole
 * status replaced, so fields and conditions that no longer apply disappear.
 */
final class KubernetesLeaseOutput implements LeaseOutput {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesLeaseOutput.class);

  private final KubernetesClient client;
  private final KubernetesSerialization json;
  private final Clock clock;
  private final String component;
  private final java.util.concurrent.ExecutorService events = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread t = new Thread(r, "mclease-events");
        t.setDaemon(true);
        return t;
      });

  KubernetesLeaseOutput(KubernetesClient client, Clock clock, String clusterName) {
    this.client = client;
    this.json = client.getKubernetesSerialization();
    this.clock = clock;
    this.component = "mclease-controller/" + clusterName;
  }

  @Override
  public void writeStatus(String namespace, String name, MultiClusterLeaseStatus status) {
    ObjectNode st = json.convertValue(status, ObjectNode.class);
    // One JSON Patch op replacing the whole status: no resourceVersion precondition, nothing merged into what a
    // previous process wrote (merge patches merge lists differently across servers), spec cannot be touched.
    client.resources(MultiClusterLease.class).inNamespace(namespace).withName(name).subresource("status")
        .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + st + "}]");
  }

  /** Events are recorded off the lease's loop, so they never delay a status write. */
  @Override
  public void event(String namespace, String name, String type, String reason, String message) {
    try {
      events.execute(() -> record(namespace, name, type, reason, message));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("event {} on {}/{} dropped: shutting down", reason, namespace, name);
    }
  }

  void close() {
    events.shutdown();
  }

  private void record(String namespace, String name, String type, String reason, String message) {
    try {
      String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
      client.v1().events().inNamespace(namespace).resource(new EventBuilder()
          .withNewMetadata().withNamespace(namespace)
          .withName(name + "." + UUID.randomUUID().toString().substring(0, 8)).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(MultiClusterLease.GROUP + "/"
              + MultiClusterLease.VERSION).withKind(MultiClusterLease.KIND).withNamespace(namespace).withName(name)
              .build())
          .withType(type).withReason(reason).withMessage(message)
          .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
          .withNewSource().withComponent(component).endSource()
          .withReportingComponent("mclease.dev/election-controller")
          .build()).create();
    } catch (RuntimeException e) {
      LOG.debug("could not record event {} on {}/{}: {}", reason, namespace, name, e.toString());
    }
  }
}
