package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.LockValue;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The watch of the ZooKeeper backend: a read of a watched key's node arms a one-shot ZooKeeper watch (a data watch on
 * the node, or an exists watch for its creation) that reads it again when it fires, and {@link BackendListeners}
 * turns each read into at most one event. A check of every watched key every K and after every reconnection covers
 * what a one-shot watch can miss while the connection is down.
 */
final class ZNodeWatch {

  private final CuratorFramework curator;
  private final BackendListeners listeners;
  private final Function<String, String> path;
  /** The backend's timer: reads leave ZooKeeper's event thread at once. */
  private final Executor executor;
  private volatile boolean closed;

  ZNodeWatch(CuratorFramework curator, BackendListeners listeners, Function<String, String> path, Executor executor) {
    this.curator = curator;
    this.listeners = listeners;
    this.path = path;
    this.executor = executor;
  }

  /** Reads every watched key (every K, and after a reconnection). */
  void pollAll() {
    for (String key : listeners.watchedKeys()) {
      poll(key);
    }
  }

  /** Reads {@code key} soon, on the executor. */
  void pollSoon(String key) {
    if (closed) {
      return;
    }
    try {
      executor.execute(() -> poll(key));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private synchronized void poll(String key) {
    if (closed || !listeners.isWatched(key)) {
      return;
    }
    try {
      if (!curator.getZookeeperClient().isConnected()) {
        listeners.unreadable(key);
        return;
      }
      ZooKeeper zk = curator.getZookeeperClient().getZooKeeper();
      Watcher rearm = e -> pollSoon(key);
      Stat stat = new Stat();
      try {
        byte[] data = zk.getData(path.apply(key), rearm, stat);
        listeners.observed(key, stat.getCzxid(),
            LockValue.parseOrNull(data == null ? "" : new String(data, StandardCharsets.UTF_8)));
      } catch (KeeperException.NoNodeException e) {
        zk.exists(path.apply(key), rearm); // watch for creation
        listeners.observed(key, 0, null);
      }
    } catch (Exception e) {
      listeners.unreadable(key);
    }
  }

  void close() {
    closed = true;
  }
}
