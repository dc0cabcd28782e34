package dev.mclease.client;

import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.HttpURLConnection;

/**
 * A spec write as a compare-and-swap on spec alone: a JSON Patch whose {@code test} operations hold what the local
 * election decided on — {@code holderIdentity}, {@code holderInstance} and {@code renewTime} as this process saw
 * them — followed by one {@code add /spec} with the new spec.
 *
 * <p><b>Why not the resourceVersion:</b> the controller's status writes move the resourceVersion too, so a
 * resourceVersion CAS made a heartbeat or a release that had decided on the watch's state fail with 409 whenever an
 * echo landed in between (one graceful release in about fifteen at the fast timings, +20–25 ms for its read and
 * second write), although status is no input of the local election. The API server applies the patch to the object
 * it is about to store and retries internally on its own resourceVersion conflicts, so the tests and the write are
 * one atomic step: the write lands only if those three fields still hold what the decision saw, which is exactly
 * what rule 1 of docs/protocol.md needs (another candidate's write always changes holderIdentity or renewTime).
 *
 * <p>A field absent from the base is tested as JSON {@code null}, which Kubernetes' JSON Patch (evanphx/json-patch
 * v4, in kube-apiserver and k3s) takes as "absent or null". A failed test is answered 422 {@code Invalid} without
 * details (kube-apiserver drops the library's text: "the server rejected our request due to an error in our
 * request"); {@link #refusedAsStale} tells it from a schema refusal, also 422 but naming the object and its causes.
 */
final class SpecPatch {

  private SpecPatch() {
  }

  /**
   * The patch that writes {@code next} only while spec still holds {@code base}'s decided-on fields. Built as text
   * with {@code json} for the values: fabric8 7 serializes with Jackson 2 and fabric8 8 with Jackson 3, so this class
   * names no Jackson type (the client runs on both).
   */
  static String of(MultiClusterLeaseSpec base, MultiClusterLeaseSpec next, KubernetesSerialization json) {
    StringBuilder ops = new StringBuilder("[");
    if (base == null) {
      test(ops, "/spec", null, json);
    } else {
      // the fields the local election decides on: while all three are unchanged, spec is as the decision saw it
      test(ops, "/spec/holderIdentity", base.getHolderIdentity(), json);
      test(ops, "/spec/holderInstance", base.getHolderInstance(), json);
      test(ops, "/spec/renewTime", base.getRenewTime() == null ? null : base.getRenewTime().getTime(), json);
    }
    return ops.append("{\"op\":\"add\",\"path\":\"/spec\",\"value\":").append(json.asJson(next)).append("}]")
        .toString();
  }

  private static void test(StringBuilder ops, String path, String value, KubernetesSerialization json) {
    ops.append("{\"op\":\"test\",\"path\":\"").append(path).append("\",\"value\":")
        .append(value == null ? "null" : json.asJson(value)).append("},");
  }

  /**
   * True when the server refused the patch because a test failed: spec changed since the base was seen (or has
   * none where one was seen). That is the only way our patch can fail to apply ({@code add /spec} always can), and the
   * server answers it as a 422 that names no object and no cause; a schema refusal names both and is a real error.
   */
  static boolean refusedAsStale(KubernetesClientException e) {
    if (e.getCode() != 422) {
      return false;
    }
    Status st = e.getStatus();
    StatusDetails d = st == null ? null : st.getDetails();
    return d == null || ((d.getName() == null || d.getName().isEmpty())
        && (d.getCauses() == null || d.getCauses().isEmpty()));
  }

  /** {@code e} as the 409 the callers treat as another writer's turn, with the server's words kept. */
  static KubernetesClientException asConflict(KubernetesClientException e) {
    return new KubernetesClientException("spec changed since it was read (" + e.getMessage() + ")",
        HttpURLConnection.HTTP_CONFLICT, e.getStatus());
  }
}
