package dev.mclease.testbed.cluster;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;

/**
 * Service-account tokens from a real API server's TokenRequest API ({@code serviceaccounts/<sa>/token}), the way
 * the kubelet gets them for a pod: a component run "as its ServiceAccount" presents one of these and RBAC judges
 * it as {@code system:serviceaccount:<namespace>:<name>}.
 */
final class ServiceAccountTokens {

  /** Long enough for a test run or demo; a server may cap it ({@code --service-account-max-token-expiration}). */
  static final Duration VALIDITY = Duration.ofHours(24);

  private ServiceAccountTokens() {
  }

  /** Creates namespace {@code namespace} unless it exists. */
  static void ensureNamespace(KubernetesClient admin, String namespace) {
    if (admin.namespaces().withName(namespace).get() == null) {
      ignoreConflict(() -> admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
          .endMetadata().build()).create());
    }
  }

  /** Creates the namespace and the ServiceAccount unless they exist, then asks for a token. */
  static String token(KubernetesClient admin, String namespace, String serviceAccount) {
    ensureNamespace(admin, namespace);
    var sa = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount);
    if (sa.get() == null) {
      ignoreConflict(() -> admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder()
          .withNewMetadata().withName(serviceAccount).endMetadata().build()).create());
    }
    TokenRequest answer = sa.tokenRequest(new TokenRequestBuilder().withNewSpec()
        .withExpirationSeconds(VALIDITY.toSeconds()).endSpec().build());
    if (answer == null || answer.getStatus() == null || answer.getStatus().getToken() == null) {
      throw new IllegalStateException("The TokenRequest for " + user(namespace, serviceAccount) + " got no token");
    }
    return answer.getStatus().getToken();
  }

  /** The user name RBAC sees: {@code system:serviceaccount:<namespace>:<name>}. */
  static String user(String namespace, String serviceAccount) {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }

  /** Runs a create; a 409 means someone else created it first, which is as good. */
  private static void ignoreConflict(Runnable create) {
    try {
      create.run();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }
}
