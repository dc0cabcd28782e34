package dev.mclease.controller;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes status with a JSON Patch ({@code add /status}) on the {@code /status} subresource: no resourceVersion
 * (status belongs to this controller alone, so a spec heartbeat never makes an echo fail with 409) and the whole
 * status replaced, so fields and conditions that no longer apply disappear. The field manager is
 * {@value #FIELD_MANAGER}: a real API server records it as the owner of {@code status} (operation Update,
 * subresource status), apart from whoever wrote spec.
 */
final class KubernetesLeaseOutput implements LeaseOutput {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesLeaseOutput.class);
  /** The field manager of every status write, so that a real server's managedFields say who owns status. */
  static final String FIELD_MANAGER = "mclease-controller";
  private static final PatchContext STATUS_PATCH = new PatchContext.Builder().withPatchType(PatchType.JSON)
      .withFieldManager(FIELD_MANAGER).build();
  /** What a refused status write needs, as controller/deploy grants it. */
  static final String RBAC_HINT = "grant the controller's ServiceAccount the ClusterRole mclease-controller of "
      + "controller/deploy (rule {apiGroups: [\"" + MultiClusterLease.GROUP + "\"], resources: [\""
      + MultiClusterLease.PLURAL + "/status\"], verbs: [\"update\", \"patch\"]}) and its ClusterRoleBinding";

  /** What a refused event needs, as controller/deploy grants it. */
  static final String EVENTS_RBAC_HINT = "grant the controller's ServiceAccount the ClusterRole mclease-controller of "
      + "controller/deploy (rule {apiGroups: [\"\"], resources: [\"events\"], verbs: [\"create\", \"patch\"]}) and its "
      + "ClusterRoleBinding";

  private final KubernetesClient client;
  private final KubernetesSerialization json;
  private final Clock clock;
  private final String clusterName;
  private final String component;
  private final AtomicBoolean schemaOutdatedReported = new AtomicBoolean();
  /** Namespaces where an event was refused with 403: said once each (events are best effort), until one goes in. */
  private final java.util.Set<String> eventsForbidden = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final DelayedEvents events;

  /**
   * How long an event waits before it is sent. An acquisition's event and its echo were sent in the same
   * millisecond to the same API server, and a release's event while the new holder's echo was on its way: the
   * echo is on the path of every handover and cold start, the event on none. 250 ms is past the echo of a
   * handover on a loaded server (tens of ms, docs/performance.md) and short enough that an operator reading
   * {@code kubectl get events} after a failover finds it. The event keeps the time of the change it reports.
   */
  static final Duration EVENT_DELAY = Duration.ofMillis(250);
  /** How long closing waits for the events still queued, which it sends at once (the releases of a releaseAll). */
  static final Duration EVENT_FLUSH = Duration.ofSeconds(1);

  KubernetesLeaseOutput(KubernetesClient client, Clock clock, String clusterName) {
    this(client, clock, clusterName, EVENT_DELAY);
  }

  KubernetesLeaseOutput(KubernetesClient client, Clock clock, String clusterName, Duration eventDelay) {
    this.events = new DelayedEvents(eventDelay, EVENT_FLUSH, System::nanoTime);
    this.client = client;
    this.json = client.getKubernetesSerialization();
    this.clock = clock;
    this.clusterName = clusterName;
    this.component = "mclease-controller/" + clusterName;
  }

  @Override
  public void writeStatus(String namespace, String name, MultiClusterLeaseStatus status) {
    ObjectNode st = json.convertValue(status, ObjectNode.class);
    // One JSON Patch op replacing the whole status: no resourceVersion precondition, nothing merged into what a
    // previous process wrote (merge patches merge lists differently across servers), spec cannot be touched.
    MultiClusterLease stored;
    try {
      // patch(context, String) on a resource without an item first GETs the object only to learn its name (fabric8
      // 7.9's getItemOrRequireFromServer): one read per echo, on the handover's path. An item naming it is enough.
      stored = client.resources(MultiClusterLease.class).inNamespace(namespace)
          .resource(MultiClusterLease.named(namespace, name)).subresource("status")
          .patch(STATUS_PATCH, "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + st + "}]");
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
            : e.getMessage();
        throw new IllegalStateException("Forbidden: may not patch " + MultiClusterLease.CRD_NAME
            + "/status in namespace " + namespace + ": " + RBAC_HINT + ". Server said: " + said, e);
      }
      throw e;
    }
    checkSchema(namespace, name, status, stored);
  }

  /**
   * A real API server prunes the fields its CRD's schema does not know (the embedded mock kept them). A window that
   * comes back pruned means the cluster's CRD is older than this controller: candidates then never see the cap and
   * lead for their whole renewDeadline. Said once per process, at ERROR: only applying the CRD fixes it.
   */
  private void checkSchema(String namespace, String name, MultiClusterLeaseStatus written, MultiClusterLease stored) {
    MultiClusterLeaseStatus back = stored == null ? null : stored.getStatus();
    if (written.getConfirmationWindowMilliseconds() != null && back != null
        && back.getConfirmationWindowMilliseconds() == null && schemaOutdatedReported.compareAndSet(false, true)) {
      LOG.error("{}/{}: the API server pruned status.confirmationWindowMilliseconds: the MultiClusterLease CRD of "
          + "cluster {} is older than this controller, so candidates are not capped by what the global lock covers "
          + "and lead for their whole renewDeadline; apply the CRD of this release (kubectl apply -f "
          + "crd/{}-v1.yml)", namespace, name, clusterName, MultiClusterLease.CRD_NAME);
    }
  }

  /**
   * Events are recorded off the lease's loop, {@link #EVENT_DELAY} after the change, in the order they were
   * reported, so they never delay a status write or share a server with an echo.
   */
  @Override
  public void event(String namespace, String name, String type, String reason, String message) {
    String at = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    if (!events.submit(() -> record(namespace, name, type, reason, message, at))) {
      LOG.debug("event {} on {}/{} dropped: shutting down", reason, namespace, name);
    }
  }

  /**
   * Sends the events still waiting for their delay at once — the releases of a {@code releaseAll} just before,
   * above all — and waits at most {@link #EVENT_FLUSH} for them, so that a shutdown that closes the client next still
   * records them and one whose API server is unreachable does not hang on them.
   */
  void close() {
    events.close();
  }

  private void record(String namespace, String name, String type, String reason, String message, String at) {
    try {
      client.v1().events().inNamespace(namespace).resource(new EventBuilder()
          .withNewMetadata().withNamespace(namespace)
          .withName(name + "." + UUID.randomUUID().toString().substring(0, 8)).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(MultiClusterLease.GROUP + "/"
              + MultiClusterLease.VERSION).withKind(MultiClusterLease.KIND).withNamespace(namespace).withName(name)
              .build())
          .withType(type).withReason(reason).withMessage(message)
          .withFirstTimestamp(at).withLastTimestamp(at).withCount(1)
          .withNewSource().withComponent(component).endSource()
          .withReportingComponent("mclease.dev/election-controller")
          .build()).create();
      if (eventsForbidden.remove(namespace)) {
        LOG.info("events are recorded in namespace {} again", namespace);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        // Without this the missing grant would only ever show at DEBUG: an operator looking for the events
        // the docs promise would find none and no reason.
        if (eventsForbidden.add(namespace)) {
          String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
              : e.getMessage();
          LOG.warn("{}/{}: Forbidden: may not create events in namespace {}: {}; until then this controller's events"
              + " are not recorded there (leader election is not affected). Server said: {}", namespace, name,
              namespace, EVENTS_RBAC_HINT, said);
        }
      } else {
        LOG.debug("could not record event {} on {}/{}: {}", reason, namespace, name, e.toString());
      }
    } catch (RuntimeException e) {
      LOG.debug("could not record event {} on {}/{}: {}", reason, namespace, name, e.toString());
    }
  }
}
