package dev.mclease.controller.backend.zookeeper;

import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import java.nio.charset.StandardCharsets;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;

/**
 * Where the node of a key lives and what it holds: the node is {@code <base>/<key>}, its parents are persistent
 * nodes created on the first acquisition below them, and its data is the {@link LockValue} as UTF-8 JSON; the token
 * of a holder is the node's creation zxid ({@code czxid}), which grows with every write in the ensemble.
 */
final class ZNodes {

  private final String base;
  private final Logger log;

  /**
   * @param base the parent of every key node, without a trailing '/'
   * @param log the backend's logger
   */
  ZNodes(String base, Logger log) {
    this.base = base;
    this.log = log;
  }

  String path(String key) {
    return base + "/" + key;
  }

  static byte[] encode(LockValue value) {
    return value.toJson().getBytes(StandardCharsets.UTF_8);
  }

  /** The holder that the node's data and stat name; a value nobody can read is logged and thrown. */
  Held parse(String key, byte[] data, Stat stat) throws MalformedValueException {
    String raw = data == null ? "" : new String(data, StandardCharsets.UTF_8);
    try {
      return new Held(LockValue.fromJson(raw), stat.getCzxid());
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, raw, stat.getCzxid(), e);
      log.error("{} (ZooKeeper node {})", m.getMessage(), path(key));
      throw m;
    }
  }

  static void mkdirs(ZooKeeper zk, String path) throws KeeperException, InterruptedException {
    if (path.isEmpty() || zk.exists(path, false) != null) {
      return;
    }
    mkdirs(zk, parent(path));
    try {
      zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    } catch (KeeperException.NodeExistsException e) {
      // created concurrently
    }
  }

  static String parent(String path) {
    int i = path.lastIndexOf('/');
    return i <= 0 ? "" : path.substring(0, i);
  }
}
