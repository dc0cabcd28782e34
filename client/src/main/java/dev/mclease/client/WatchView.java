package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.function.Supplier;

/**
 * A lock's watch on its one object (its own informer, or its registration with a {@link SharedLeaseWatch}): what the
 * watch's store holds of the object, and how to stop watching.
 *
 * <p>Why a tick may write on this instead of reading the object first: every write is a resourceVersion CAS, so a
 * state the watch has not caught up with yet only costs a 409, after which the next tick reads. What the watch cannot
 * vouch for is a state it may be behind on by more than its delivery delay: before its first list, and while its
 * connection is broken and being re-established. Then {@link #stored()} is null and the tick reads, as it did on
 * every tick before (one GET per tick and lease saved is most of a standby's requests, and what made 1000 leases on
 * one API server collapse).
 */
interface WatchView extends AutoCloseable {

  /**
   * The watch's state of the object, or null when the watch cannot vouch for it now (not listed yet, or not watching).
   * {@link Stored#object()} is null when the object does not exist.
   */
  Stored stored();

  /** Stops the watch (or this lock's part in a shared one). */
  @Override
  void close();

  /** A state the watch vouches for; {@code object} null = the object does not exist. */
  record Stored(MultiClusterLease object) {
  }

  /** What {@code informer}'s store holds under {@code key} ("namespace/name"), while it has listed and is watching. */
  static Stored of(SharedIndexInformer<MultiClusterLease> informer, String key) {
    if (informer == null || !informer.hasSynced() || !informer.isWatching()) {
      return null;
    }
    return new Stored(informer.getStore().getByKey(key));
  }

  /** The view of {@code key} in the informer {@code informer} gives (it may not exist yet); {@code stop} closes it. */
  static WatchView on(Supplier<SharedIndexInformer<MultiClusterLease>> informer, String key, Runnable stop) {
    return new WatchView() {
      @Override
      public Stored stored() {
        return of(informer.get(), key);
      }

      @Override
      public void close() {
        stop.run();
      }
    };
  }
}
