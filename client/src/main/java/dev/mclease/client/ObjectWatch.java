package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An informer on the lock's one object: every state it delivers goes to the lock's observation, a deletion as
 * {@code null}, so confirmations and losses arrive as they happen rather than once per tick. A failing watch is a
 * reported problem (what failed and what to do) and is retried; it never stops the lock, which reads the object on
 * every tick while the watch cannot vouch for it ({@link WatchView}).
 */
final class ObjectWatch {

  private ObjectWatch() {
  }

  /**
   * Starts the informer on {@code object}, handing each state to {@code observe}; {@code explain} turns a watch
   * failure into the text reported to {@code problems}.
   */
  static WatchView start(Resource<MultiClusterLease> object, String key, Consumer<MultiClusterLease> observe,
      Problems problems, Function<Throwable, String> explain) {
    SharedIndexInformer<MultiClusterLease> informer = object.runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<MultiClusterLease>() {
      @Override
      public void onAdd(MultiClusterLease obj) {
        problems.clear();
        observe.accept(obj);
      }

      @Override
      public void onUpdate(MultiClusterLease oldObj, MultiClusterLease newObj) {
        problems.clear();
        observe.accept(newObj);
      }

      @Override
      public void onDelete(MultiClusterLease obj, boolean deletedFinalStateUnknown) {
        observe.accept(null);
      }
    });
    informer.exceptionHandler((started, t) -> {
      int code = t instanceof KubernetesClientException e ? e.getCode() : 0;
      problems.report(t.getClass().getName() + ":" + code, "cannot watch the object (" + explain.apply(t)
          + "); confirmations are only seen once per tick until this is fixed; retrying");
      return true;
    });
    informer.start();
    return WatchView.on(() -> informer, key, informer::stop);
  }
}
