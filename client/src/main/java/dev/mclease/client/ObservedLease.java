package dev.mclease.client;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;

/**
 * The newest state of the lock's object this process has seen, from the informer, a tick's read or its own write.
 * States arrive out of order (a write's answer and a watch event race), so an older resourceVersion than the one held
 * is ignored: a judgement never goes back to a status the API server has already replaced. Not thread-safe: guarded
 * by the lock's monitor.
 */
final class ObservedLease {

  private MultiClusterLease object;
  private long resourceVersion = -1;

  /**
   * Takes in {@code obj} (null = the object does not exist).
   *
   * @return whether anything changed; false also when {@code obj} is older than what is held (and then ignored)
   */
  boolean take(MultiClusterLease obj) {
    if (obj == null) {
      boolean changed = object != null;
      object = null;
      resourceVersion = -1;
      return changed;
    }
    long rv = parseRv(obj);
    if (rv >= 0 && resourceVersion >= 0 && rv < resourceVersion) {
      return false;
    }
    boolean changed = object == null || rv != resourceVersion || rv < 0;
    object = obj;
    resourceVersion = rv;
    return changed;
  }

  /** Whether older than what is held: {@link #take} would ignore it. */
  boolean isStale(MultiClusterLease obj) {
    long rv = obj == null ? -1 : parseRv(obj);
    return rv >= 0 && resourceVersion >= 0 && rv < resourceVersion;
  }

  /** The state seen, or null. */
  MultiClusterLease object() {
    return object;
  }

  boolean exists() {
    return object != null;
  }

  /** The spec seen, or null. */
  MultiClusterLeaseSpec spec() {
    return object == null ? null : object.getSpec();
  }

  /** The status seen, or null. */
  MultiClusterLeaseStatus status() {
    return object == null ? null : object.getStatus();
  }

  /** Whether the spec seen names {@code identity} as its cluster's local candidate. */
  boolean specHeldBy(String identity) {
    return spec() != null && identity.equals(spec().getHolderIdentity());
  }

  private static long parseRv(MultiClusterLease obj) {
    String rv = obj.getMetadata() == null ? null : obj.getMetadata().getResourceVersion();
    if (rv == null) {
      return -1;
    }
    try {
      return Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
