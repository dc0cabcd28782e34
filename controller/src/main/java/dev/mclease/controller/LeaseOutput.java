package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseStatus;

/**
 * Where a lease's loop writes its results: the {@code /status} subresource and Kubernetes Events. The Kubernetes
 * implementation is {@link KubernetesLeaseOutput}; unit tests record the calls.
 */
public interface LeaseOutput {

  /**
   * Replaces the lease's status through the {@code /status} subresource only (never the main resource, so the
   * candidates' spec is untouched). Throws a RuntimeException when the API server does not accept it.
   */
  void writeStatus(String namespace, String name, MultiClusterLeaseStatus status);

  /** Records a Kubernetes Event on the lease ({@code type} = Normal or Warning). Best effort: never throws. */
  void event(String namespace, String name, String type, String reason, String message);
}
