package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One informer on all MultiClusterLeases of a namespace, shared by the locks of one process that contends for many
 * leases (a sharded controller, a process leading one lease per tenant): each lock built with
 * {@link MultiClusterLeaseLock.Builder#sharedWatch} is fed its object's states from here instead of running an
 * informer of its own. N locks then cost one list and one watch on the API server instead of N of each, and no
 * connection per lock.
 *
 * <p>Nothing about safety changes: a lock judges only what it observes, ignores states older than the newest it has
 * seen, and every write is a resourceVersion CAS, so a late event costs at most a 409 and one tick; while the
 * informer has not listed or is not watching, each lock reads its object on every tick ({@link WatchView}). Start it with
 * {@link #start}, close it after the locks that use it.
 */
public final class SharedLeaseWatch implements AutoCloseable {

  private record Observer(Consumer<MultiClusterLease> observe, Problems problems) {
  }

  private final String namespace;
  private final Map<String, List<Observer>> byName = new ConcurrentHashMap<>();
  private volatile SharedIndexInformer<MultiClusterLease> informer;

  private SharedLeaseWatch(String namespace) {
    this.namespace = namespace;
  }

  /**
   * Starts the informer on the MultiClusterLeases of {@code namespace} through {@code client}; it keeps retrying a
   * failing list or watch and reports that to every lock that uses it.
   */
  public static SharedLeaseWatch start(KubernetesClient client, String namespace) {
    Objects.requireNonNull(client, "client");
    SharedLeaseWatch w = new SharedLeaseWatch(Objects.requireNonNull(namespace, "namespace"));
    SharedIndexInformer<MultiClusterLease> inf = client.resources(MultiClusterLease.class).inNamespace(namespace)
        .runnableInformer(0);
    inf.addEventHandler(new ResourceEventHandler<MultiClusterLease>() {
      @Override
      public void onAdd(MultiClusterLease obj) {
        w.deliver(obj.getMetadata().getName(), obj);
      }

      @Override
      public void onUpdate(MultiClusterLease oldObj, MultiClusterLease newObj) {
        w.deliver(newObj.getMetadata().getName(), newObj);
      }

      @Override
      public void onDelete(MultiClusterLease obj, boolean deletedFinalStateUnknown) {
        w.deliver(obj.getMetadata().getName(), null);
      }
    });
    inf.exceptionHandler((started, t) -> {
      int code = t instanceof KubernetesClientException e ? e.getCode() : 0;
      w.failed(t.getClass().getName() + ":" + code, "cannot watch the MultiClusterLeases of namespace " + namespace
          + " (" + t.getMessage() + "); confirmations are only seen once per tick until this is fixed; retrying");
      return true;
    });
    w.informer = inf;
    inf.start();
    return w;
  }

  /** The namespace watched; a lock in another namespace cannot use this watch. */
  public String namespace() {
    return namespace;
  }

  /**
   * Feeds {@code observe} the states of the lease {@code name} from now on, starting with the one in the informer's
   * cache if there is one. The returned handle stops that.
   */
  WatchView register(String name, Consumer<MultiClusterLease> observe, Problems problems) {
    Observer o = new Observer(observe, problems);
    // under the monitor that deliveries take, so that the cached state cannot overtake a newer event for this name
    synchronized (this) {
      byName.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(o);
      SharedIndexInformer<MultiClusterLease> inf = informer;
      MultiClusterLease cached = inf == null ? null : inf.getStore().getByKey(namespace + "/" + name);
      if (cached != null) {
        observe.accept(cached);
      }
    }
    return WatchView.on(() -> informer, namespace + "/" + name, () -> byName.computeIfPresent(name, (n, list) -> {
      list.remove(o);
      return list.isEmpty() ? null : list;
    }));
  }

  private synchronized void deliver(String name, MultiClusterLease state) {
    List<Observer> observers = byName.get(name);
    if (observers == null) {
      return;
    }
    for (Observer o : observers) {
      if (state != null) {
        o.problems().clear();
      }
      o.observe().accept(state);
    }
  }

  private void failed(String key, String message) {
    byName.values().forEach(list -> list.forEach(o -> o.problems().report(key, message)));
  }

  /** Stops the informer; the locks that used it see their objects once per tick from then on. */
  @Override
  public void close() {
    SharedIndexInformer<MultiClusterLease> inf = informer;
    if (inf != null) {
      inf.stop();
    }
  }
}
