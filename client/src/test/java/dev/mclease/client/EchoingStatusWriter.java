package dev.mclease.client;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Stands in for the election controller of one cluster: whenever the spec holder's renewTime changes it echoes
 * it into status through the /status subresource (leader = holder, observedRenewTime = renewTime, a new fencing
 * token per new holder). It can stop echoing, or name another leader, as a controller that lost the global lock.
 */
final class EchoingStatusWriter implements AutoCloseable {

  private final KubernetesClient client;
  private final Resource<MultiClusterLease> resource;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "echoing-status-writer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger echoes = new AtomicInteger();
  private SharedIndexInformer<MultiClusterLease> informer;
  private volatile boolean echoing = true;
  private volatile String otherLeader;
  private volatile boolean closed;
  private String lastHolder;
  private long token = 100;

  EchoingStatusWriter(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.resource = client.resources(MultiClusterLease.class).inNamespace(namespace).withName(name);
  }

  EchoingStatusWriter start() {
    informer = resource.inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(MultiClusterLease obj) {
        submit(() -> react(obj));
      }

      @Override
      public void onUpdate(MultiClusterLease oldObj, MultiClusterLease newObj) {
        submit(() -> react(newObj));
      }

      @Override
      public void onDelete(MultiClusterLease obj, boolean deletedFinalStateUnknown) {
      }
    });
    return this;
  }

  /** Stop echoing (the controller lost its backend); status stays as it is. */
  void stopEchoing() {
    echoing = false;
  }

  void resumeEchoing() {
    otherLeader = null;
    echoing = true;
    submit(() -> react(resource.get()));
  }

  /** Another cluster's candidate won: status names {@code leader}, nothing is echoed any more. */
  void nameOtherLeader(String leader) {
    echoing = false;
    otherLeader = leader;
    submit(() -> writeStatus(client, resource, s -> {
      s.setLeader(leader);
      s.setLeaderCluster("west");
      s.setFencingToken(++token);
    }));
  }

  /** Runs {@code work} on the worker; a write cut off by {@link #close()} (interrupted) is not a failure. */
  private void submit(Runnable work) {
    worker.execute(() -> {
      try {
        work.run();
      } catch (RuntimeException e) {
        if (!closed) {
          throw e;
        }
      }
    });
  }

  int echoes() {
    return echoes.get();
  }

  private void react(MultiClusterLease obj) {
    if (obj == null || obj.getSpec() == null || !echoing) {
      return;
    }
    String holder = obj.getSpec().getHolderIdentity();
    MicroTime t = obj.getSpec().getRenewTime();
    MultiClusterLeaseStatus st = obj.getStatus();
    if (holder == null || holder.isEmpty()) {
      if (st != null && st.getLeader() != null && !st.getLeader().isEmpty()) {
        writeStatus(client, resource, s -> {
          s.setLeader("");
          s.setObservedRenewTime(null);
        });
      }
      lastHolder = null;
      return;
    }
    if (st != null && holder.equals(st.getLeader()) && Objects.equals(t, st.getObservedRenewTime())) {
      return;
    }
    if (!holder.equals(lastHolder)) {
      token++;
      lastHolder = holder;
    }
    long tok = token;
    writeStatus(client, resource, s -> {
      s.setLeader(holder);
      s.setLeaderCluster("east");
      s.setFencingToken(tok);
      s.setObservedRenewTime(t);
      s.setAcquireTime(MicroTimes.of(Instant.now()));
    });
    echoes.incrementAndGet();
  }

  /** Writes status through the /status subresource, re-reading on conflict. */
  static void writeStatus(KubernetesClient client, Resource<MultiClusterLease> resource,
      Consumer<MultiClusterLeaseStatus> change) {
    for (int i = 0; i < 5; i++) {
      MultiClusterLease current = resource.get();
      if (current == null) {
        return;
      }
      MultiClusterLeaseStatus s = current.getStatus() == null ? new MultiClusterLeaseStatus() : current.getStatus();
      change.accept(s);
      current.setStatus(s);
      try {
        client.resource(current).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (informer != null) {
      informer.stop();
    }
    worker.shutdownNow();
    try {
      worker.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
