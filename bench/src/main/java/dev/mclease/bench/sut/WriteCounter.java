package dev.mclease.bench.sut;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Counts successful writes to the objects of one kind in one namespace by watching them: the API server sends
 * one event per write that changed the object (every write changes resourceVersion). A write that changed
 * {@code spec} counts as a candidate's, one that changed only {@code status} as the controller's. Refused
 * writes (409) produce no event and are not counted.
 */
public final class WriteCounter<T extends HasMetadata> implements AutoCloseable {

  private final AtomicLong specWrites = new AtomicLong();
  private final AtomicLong statusWrites = new AtomicLong();
  private final Map<String, String[]> last = new ConcurrentHashMap<>();
  private final Watch watch;

  /**
   * @param namespace where the objects are
   * @param spec what counts as the spec of an object (serialized to compare); {@code status} likewise
   */
  public WriteCounter(MixedOperation<T, ?, ?> objects, String namespace, Function<T, Object> spec,
      Function<T, Object> status) {
    this.watch = objects.inNamespace(namespace).watch(new Watcher<T>() {
      @Override
      public void eventReceived(Action action, T obj) {
        if (action != Action.ADDED && action != Action.MODIFIED) {
          return;
        }
        String[] now = {Serialization.asJson(spec.apply(obj)), Serialization.asJson(status.apply(obj))};
        String[] before = last.put(obj.getMetadata().getName(), now);
        if (before == null || !before[0].equals(now[0])) {
          specWrites.incrementAndGet();
        } else if (!before[1].equals(now[1])) {
          statusWrites.incrementAndGet();
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });
  }

  public long specWrites() {
    return specWrites.get();
  }

  public long statusWrites() {
    return statusWrites.get();
  }

  @Override
  public void close() {
    watch.close();
  }
}
