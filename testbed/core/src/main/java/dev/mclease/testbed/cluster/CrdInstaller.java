package dev.mclease.testbed.cluster;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseCrd;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Installs the MultiClusterLease CRD on a real API server and waits until it is usable, which on a real server is
 * three steps later than "created": {@code Established}, then listed in discovery (what kubectl and informers read),
 * then served (a list of {@code multiclusterleases} stops answering 404).
 */
final class CrdInstaller {

  private static final Duration POLL = Duration.ofMillis(50);

  private CrdInstaller() {
  }

  /** Creates the CRD unless it exists, then waits for it to be established, discovered and served. */
  static void install(KubernetesClient client, Duration timeout) {
    CustomResourceDefinition crd = MultiClusterLeaseCrd.definition();
    var crds = client.apiextensions().v1().customResourceDefinitions();
    if (crds.withName(MultiClusterLease.CRD_NAME).get() == null) {
      crds.resource(crd).create();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    await("established", deadline, () -> {
      CustomResourceDefinition c = crds.withName(MultiClusterLease.CRD_NAME).get();
      // a real server may show a status without conditions for a moment right after the create
      return c != null && c.getStatus() != null && c.getStatus().getConditions() != null
          && c.getStatus().getConditions().stream()
          .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
    });
    String groupVersion = MultiClusterLease.GROUP + "/" + MultiClusterLease.VERSION;
    await("discovered", deadline, () -> {
      APIResourceList r = client.getApiResources(groupVersion);
      return r != null && r.getResources().stream().anyMatch(x -> MultiClusterLease.PLURAL.equals(x.getName()));
    });
    await("served", deadline, () -> {
      try {
        client.resources(MultiClusterLease.class).inAnyNamespace().list();
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          return false;
        }
        throw e;
      }
    });
    warmUp(client);
  }

  /**
   * Writes and deletes one throw-away MultiClusterLease in {@code default}. Why: the first write of a custom resource
   * on a fresh kube-apiserver took about 2 s here (later ones take milliseconds), longer than the short timings'
   * renewDeadline of 1.5 s, so a fleet's first heartbeats hung and every candidate logged that its API server did not
   * answer. Paying it while the cluster starts keeps that out of every election.
   */
  static void warmUp(KubernetesClient client) {
    MultiClusterLease probe = new MultiClusterLease();
    probe.setMetadata(new ObjectMetaBuilder().withNamespace("default").withName("mclease-warm-up").build());
    probe.setSpec(new MultiClusterLeaseSpec("", 1, null));
    var resource = client.resources(MultiClusterLease.class).inNamespace("default").withName("mclease-warm-up");
    try {
      client.resource(probe).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
    resource.delete();
  }

  /** Deletes the CRD and waits until it is gone (a real server removes its objects first). */
  static void uninstall(KubernetesClient client, Duration timeout) {
    var crd = client.apiextensions().v1().customResourceDefinitions().withName(MultiClusterLease.CRD_NAME);
    crd.delete();
    await("deleted", System.nanoTime() + timeout.toNanos(), () -> crd.get() == null);
  }

  private static void await(String what, long deadlineNanos, BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadlineNanos) {
        throw new IllegalStateException("The MultiClusterLease CRD was not " + what + " in time");
      }
      try {
        // Polling a server's state: there is nothing to wait on but time.
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the CRD to be " + what, e);
      }
    }
  }
}
