package dev.mclease.testbed.store;

import java.time.Duration;

/**
 * Starts in-process ZooKeeper servers (Curator's {@code TestingServer}, from {@code curator-test}) on free loopback
 * ports. Nothing to install: the server comes with the testbed's classpath.
 */
public final class ZooKeeperProvider {

  /** What to do when the server classes are missing. */
  public static final String INSTALL_HINT = "the in-process ZooKeeper server needs org.apache.curator:curator-test"
      + " (and org.apache.zookeeper:zookeeper) on the classpath; build with ./mcl or mvn install -pl testbed/core";

  private ZooKeeperProvider() {
  }

  /**
   * A server whose tick suits a backend TTL {@code ttl}: ZooKeeper grants session timeouts between 2 and 20 ticks,
   * so the tick is {@code ttl / 10} (at least 50 ms).
   */
  public static ZooKeeperServer startFor(Duration ttl) {
    return start((int) Math.max(50, ttl.toMillis() / 10));
  }

  /**
   * A standalone server with tick time {@code tickMs} (session timeouts from 2 to 20 ticks are accepted).
   *
   * @throws IllegalStateException when the server cannot be started (the message says why)
   */
  public static ZooKeeperServer start(int tickMs) {
    try {
      Class.forName("org.apache.curator.test.TestingServer");
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException(INSTALL_HINT, e);
    }
    return ZooKeeperServer.start(tickMs);
  }
}
