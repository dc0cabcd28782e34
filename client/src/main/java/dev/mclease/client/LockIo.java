package dev.mclease.client;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a {@link MultiClusterLeaseLock} sends to the API server, and how long it is in use: the client it was
 * last called with, its watch on the object (an informer of its own, {@link ObjectWatch}, or its registration with a
 * {@link SharedLeaseWatch}; started once on the first call, stopped at close), and the {@link HeartbeatWriter}'s tick
 * and release on the lock's {@link IoLane}, each bounded. It exists so that the start and stop of the watch, which
 * race with each other and with close, and the bounds of the lock's requests are in one place; after close the lock
 * sends nothing any more.
 *
 * <p>Guarded by the lock's monitor, as before: every mutable field here is part of the lock's state.
 */
final class LockIo {

  private static final Logger LOG = LoggerFactory.getLogger(MultiClusterLeaseLock.class);

  /** The lock: its monitor guards everything here. */
  private final Object monitor;
  /** Where each state the watch delivers goes, and which holds the running watch. */
  private final LeaseJudgement state;
  private final String namespace;
  private final String name;
  private final String subject;
  private final Duration renewDeadline;
  private final Duration retryPeriod;
  private final boolean watch;
  private final SharedLeaseWatch sharedWatch;
  private final Problems watchProblems;
  private final IoLane io;
  private final HeartbeatWriter writer;

  // --- state, guarded by the lock's monitor ---
  private volatile KubernetesClient client;
  private boolean watchStarted;
  private boolean closed;

  LockIo(Object monitor, LockSettings s, LeaseJudgement state, Problems watchProblems, IoLane io,
      HeartbeatWriter writer) {
    this.monitor = monitor;
    this.state = state;
    this.namespace = s.namespace();
    this.name = s.name();
    this.subject = s.subject();
    this.renewDeadline = s.renewDeadline();
    this.retryPeriod = s.retryPeriod();
    this.watch = s.watch();
    this.sharedWatch = s.sharedWatch();
    this.watchProblems = watchProblems;
    this.io = io;
    this.writer = writer;
  }

  /** Remembers the client and starts the informer once; false when closed. */
  boolean startUsing(KubernetesClient c) {
    synchronized (monitor) {
      if (closed) {
        return false;
      }
      client = c;
      if (!watch || watchStarted) {
        return true;
      }
      watchStarted = true;
    }
    WatchView started = sharedWatch != null ? sharedWatch.register(name, state::observe, watchProblems)
        : ObjectWatch.start(writer.resource(c), namespace + "/" + name, state::observe, watchProblems,
            t -> writer.explain("list/watch", t, c));
    boolean stopNow;
    synchronized (monitor) {
      stopNow = closed;
      if (!stopNow) {
        state.watching(started);
      }
    }
    if (stopNow) {
      stopWatching(started); // closed while it started
    }
    return true;
  }

  /** The tick's I/O ({@link HeartbeatWriter#tick}); the caller waits at most retryPeriod for it. */
  void tick(KubernetesClient c) {
    io.run(() -> {
      writer.tick(c);
      return null;
    }, retryPeriod, "heartbeat", true);
  }

  /**
   * The release's write ({@link HeartbeatWriter#release}), waited for at most renewDeadline: whether it wrote, or null
   * when it did not end in time (or failed).
   */
  Boolean release(KubernetesClient c) {
    return io.run(() -> writer.release(c), renewDeadline, "release", false);
  }

  /** The client of the last call, or null before the first. Caller holds the monitor. */
  KubernetesClient client() {
    return client;
  }

  /** Caller holds the monitor. */
  boolean isClosed() {
    return closed;
  }

  /** Closes the lock for good: stops the watch, then the io lane. */
  void close() {
    WatchView w;
    synchronized (monitor) {
      closed = true;
      w = state.watching();
      state.watching(null);
      monitor.notifyAll(); // no tick waits for a confirmation any more
    }
    stopWatching(w);
    io.close();
  }

  private void stopWatching(WatchView w) {
    if (w == null) {
      return;
    }
    try {
      w.close();
    } catch (RuntimeException e) {
      LOG.debug("{}: stopping the watch failed", subject, e);
    }
  }
}
