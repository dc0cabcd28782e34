package dev.mclease.testbed.store;

import java.io.IOException;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One standalone ZooKeeper server in this JVM (Curator's {@link TestingServer}) on a free loopback port, its data in
 * a temp directory that is deleted on {@link #close()}. Start one with {@link ZooKeeperProvider#start(int)}.
 */
public final class ZooKeeperServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperServer.class);

  private final TestingServer server;
  private final int tickMs;
  private volatile boolean running = true;

  private ZooKeeperServer(TestingServer server, int tickMs) {
    this.server = server;
    this.tickMs = tickMs;
  }

  static ZooKeeperServer start(int tickMs) {
    try {
      TestingServer s = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, tickMs, -1), true);
      ZooKeeperServer server = new ZooKeeperServer(s, tickMs);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mclease-zk-stop"));
      LOG.info("ZooKeeper on {} (tickTime {} ms), data in {}", s.getConnectString(), tickMs, s.getTempDirectory());
      return server;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start an in-process ZooKeeper server: " + e, e);
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String connectString() {
    return "127.0.0.1:" + server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  public int tickMs() {
    return tickMs;
  }

  public boolean isRunning() {
    return running;
  }

  /** Stops the server (connections drop, sessions stay on disk); {@link #restart()} brings it back. */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    try {
      server.stop();
      running = false;
    } catch (IOException e) {
      throw new IllegalStateException("cannot stop ZooKeeper: " + e, e);
    }
  }

  /** Starts the server again on the same port and data (stopping it first when it runs). */
  public synchronized void restart() {
    try {
      server.restart();
      running = true;
    } catch (Exception e) {
      throw new IllegalStateException("cannot restart ZooKeeper: " + e, e);
    }
  }

  /** Stops the server and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    try {
      server.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("closing ZooKeeper", e);
    }
    running = false;
  }
}
