package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import org.slf4j.Logger;

/**
 * Writes a new spec on the state a decision was made on, as a compare-and-swap: the spec-only CAS of
 * {@link SpecPatch}, so that the controller's status writes never make it fail. A refused test comes back as a 409,
 * as a lost resourceVersion race did, so the callers' rule stays "409 = another writer's turn".
 *
 * <p>Where the candidate's Role grants {@code update} but not {@code patch} (the rule docs/client.md gave before
 * 0.3), the first 403 on a patch switches this lock to the resourceVersion CAS of {@code update} for the rest of its
 * life, with one WARN that says what to grant: the election keeps working, only its writes conflict with status
 * writes again.
 * Only the io lane calls it.
 */
final class SpecWriter {

  private static final PatchContext JSON_PATCH = new PatchContext.Builder().withPatchType(PatchType.JSON).build();

  private final String namespace;
  private final String subject;
  private final Logger log;
  /** What the server said when it refused a patch with 403 (null: patches go through): write with update since. */
  private String patchRefusal;
  private boolean fallbackSaid;

  SpecWriter(String namespace, String subject, Logger log) {
    this.namespace = namespace;
    this.subject = subject;
    this.log = log;
  }

  /**
   * {@code spec} written on {@code base} (seen by a read, the watch or an earlier write), or a 409 when spec changed
   * since.
   */
  MultiClusterLease write(KubernetesClient client, MultiClusterLease base, MultiClusterLeaseSpec spec) {
    if (patchRefusal == null) {
      try {
        // named: without an item fabric8 7.9 GETs the object before the patch only to learn its name
        return client.resources(MultiClusterLease.class).inNamespace(namespace)
            .resource(MultiClusterLease.named(namespace, base.getMetadata().getName()))
            .patch(JSON_PATCH, SpecPatch.of(base.getSpec(), spec, client.getKubernetesSerialization()));
      } catch (KubernetesClientException e) {
        if (SpecPatch.refusedAsStale(e)) {
          throw SpecPatch.asConflict(e);
        }
        if (e.getCode() != HttpURLConnection.HTTP_FORBIDDEN) {
          throw e;
        }
        patchRefusal = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
            : e.getMessage();
      }
    }
    MultiClusterLease written = client.resource(withSpec(base, spec)).update();
    if (!fallbackSaid) {
      // said once the fallback works: a Role that grants neither verb is explained by the update's own 403
      fallbackSaid = true;
      log.warn("{}: may not patch multiclusterleases.{} in namespace {}; writing spec with update (a "
          + "resourceVersion CAS) until this process restarts, which the controller's status writes make fail now "
          + "and then (a release or heartbeat then costs a read and a second write); add \"patch\" to the verbs of "
          + "the candidate's Role (controller/deploy/clusterrole-candidate.yaml has it). Server said: {}", subject,
          MultiClusterLease.GROUP, namespace, patchRefusal);
    }
    return written;
  }

  private static MultiClusterLease withSpec(MultiClusterLease current, MultiClusterLeaseSpec spec) {
    MultiClusterLease desired = new MultiClusterLease();
    desired.setMetadata(new ObjectMetaBuilder(current.getMetadata()).build());
    desired.setSpec(spec);
    desired.setStatus(null);
    return desired;
  }
}
