package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Optional;

/**
 * What a failed request to the candidate's own API server means and what to do about it, in one line for the log
 * and {@code problem()}: unreachable, Forbidden (with the Role rule to grant), Unauthorized, a missing namespace, a
 * missing CRD, or an outdated CRD that prunes this release's fields. Pure text; no I/O.
 */
final class ApiErrors {

  static final String RBAC_HINT = "grant the candidate's ServiceAccount a Role with the rule "
      + "{apiGroups: [\"" + MultiClusterLease.GROUP + "\"], resources: [\"" + MultiClusterLease.PLURAL
      + "\"], verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\", \"patch\"]} and a RoleBinding";

  private final String namespace;
  private final String name;
  private final Duration renewDeadline;

  ApiErrors(String namespace, String name, Duration renewDeadline) {
    this.namespace = namespace;
    this.name = name;
    this.renewDeadline = renewDeadline;
  }

  /** A key that is equal for the same problem, so that {@link Problems} logs it once. */
  static String key(String verb, KubernetesClientException e) {
    return verb + ":" + e.getCode() + ":" + rootClass(e);
  }

  /** The explanation of {@code t}, thrown by {@code verb} against the API server at {@code server} (null: unknown). */
  String explain(String verb, Throwable t, String server) {
    String what = MultiClusterLease.CRD_NAME + " " + namespace + "/" + name;
    String at = server == null ? "the API server" : "the API server at " + server;
    if (!(t instanceof KubernetesClientException e)) {
      return verb + " " + what + " failed: " + t;
    }
    String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
        : e.getMessage();
    if (e.getCode() <= 0 || "io".equals(rootClass(e))) {
      return "cannot reach " + at + " (" + verb + " " + what + ": " + rootMessage(e) + "); check the "
          + "network and kubeconfig. Until it answers, this candidate answers from the last observed state and "
          + "stops leading by renewDeadline " + renewDeadline;
    }
    switch (e.getCode()) {
      case HttpURLConnection.HTTP_FORBIDDEN:
        return "Forbidden: may not " + verb + " " + MultiClusterLease.PLURAL + "." + MultiClusterLease.GROUP
            + " in namespace " + namespace + "; " + RBAC_HINT + ". Server said: " + said;
      case HttpURLConnection.HTTP_UNAUTHORIZED:
        return "Unauthorized: " + at + " rejected the credentials; check the kubeconfig or ServiceAccount token";
      case HttpURLConnection.HTTP_NOT_FOUND:
        if (namespaceMissing(e)) {
          // a real API server refuses objects in a namespace that does not exist, with the namespace's 404
          return "namespace " + namespace + " does not exist in " + at + " (" + verb + " " + what
              + " answered 404): create it (kubectl create namespace " + namespace + ") or give the lock the "
              + "namespace the candidates run in. Server said: " + said;
        }
        return at + " has no " + MultiClusterLease.PLURAL + "." + MultiClusterLease.GROUP + " in namespace "
            + namespace + " (" + verb + " answered 404): install the CRD (kubectl apply -f "
            + MultiClusterLease.CRD_NAME + "-v1.yml) and check that the namespace exists. Server said: " + said;
      default:
        return verb + " " + what + " failed with HTTP " + e.getCode() + ": " + said;
    }
  }

  /**
   * A real API server prunes the fields its CRD's schema does not know: a heartbeat of ours that comes back without
   * {@code holderInstance} or {@code renewDeadlineMilliseconds} means the cluster's CRD is older than this client,
   * so the controller can neither cap this process's confirmations by its renewDeadline nor tell a restart under
   * the same identity from the process before it. Empty when the written heartbeat kept both.
   */
  static Optional<String> outdatedCrd(MultiClusterLeaseSpec written) {
    if (written.getHolderInstance() != null && written.getRenewDeadlineMilliseconds() != null) {
      return Optional.empty();
    }
    return Optional.of("the API server pruned spec.holderInstance and "
        + "spec.renewDeadlineMilliseconds from this heartbeat: the MultiClusterLease CRD of this cluster is older "
        + "than this client, so the election controller can neither cap confirmations by this process's "
        + "renewDeadline nor tell a restart under the same identity from its predecessor; apply the CRD of this "
        + "release (kubectl apply -f " + MultiClusterLease.CRD_NAME + "-v1.yml)");
  }

  /** Whether a 404 is the API server's "namespaces X not found" for this lock's namespace (not a missing CRD). */
  private boolean namespaceMissing(KubernetesClientException e) {
    var details = e.getStatus() == null ? null : e.getStatus().getDetails();
    return details != null && "namespaces".equals(details.getKind()) && namespace.equals(details.getName());
  }

  private static Throwable root(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r;
  }

  private static String rootClass(Throwable t) {
    Throwable r = root(t);
    return r instanceof IOException ? "io" : r.getClass().getSimpleName();
  }

  private static String rootMessage(Throwable t) {
    Throwable r = root(t);
    return r.getClass().getSimpleName() + (r.getMessage() == null ? "" : ": " + r.getMessage());
  }
}
