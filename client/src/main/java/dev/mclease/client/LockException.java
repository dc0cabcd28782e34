package dev.mclease.client;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;

/**
 * Thrown by {@link MultiClusterLeaseLock#create} and {@link MultiClusterLeaseLock#update} when they cannot
 * back the leadership fabric8's {@code LeaderElector} is about to assume.
 *
 * <p>It is a {@link KubernetesClientException} on purpose: the elector's loops catch that type and retry,
 * whereas any other exception would end its election silently. Refusals that are part of normal operation
 * ("not confirmed yet", "someone else holds it") carry code 409, which the elector logs at DEBUG like a lost
 * round; real problems carry the HTTP code of their cause.
 */
public final class LockException extends KubernetesClientException {

  private static final long serialVersionUID = 1L;

  LockException(String message) {
    super(message, HttpURLConnection.HTTP_CONFLICT, null);
  }

  LockException(String message, KubernetesClientException cause) {
    super(message, cause, cause.getCode(), cause.getStatus(), null);
  }

  /** True when this is a refusal of normal operation (code 409), not a failure. */
  public boolean isRefusal() {
    return getCode() == HttpURLConnection.HTTP_CONFLICT && getCause() == null;
  }
}
