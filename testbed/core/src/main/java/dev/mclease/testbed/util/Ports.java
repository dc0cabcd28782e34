package dev.mclease.testbed.util;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Loopback ports: finding free ones and waiting for a listener. */
public final class Ports {

  private Ports() {
  }

  /** Lowest port handed out; below the kernel's ephemeral range, so no outgoing connection can take it meanwhile. */
  private static final int LOW = 20_000;
  private static final int HIGH = ephemeralLow() - 1;
  /** Never the same port twice in one JVM; a random start so that JVMs run one after another do not collide. */
  private static final AtomicInteger NEXT = new AtomicInteger(new SecureRandom().nextInt(Math.max(1, HIGH - LOW)));

  /**
   * A port that is free on 127.0.0.1, for a child process to listen on.
   *
   * <p>Why not bind to 0: that returns a port of the ephemeral range, which every outgoing connection draws from too.
   * With real kube-apiservers and etcd members opening many connections, one of them took such a port before the
   * child that was given it could bind (an etcd member "exited with 1 at start", once in three full runs). Ports
   * below the ephemeral range are only ever taken by listeners, and this JVM hands each out once.
   */
  public static int free() {
    int range = HIGH - LOW + 1;
    for (int i = 0; i < range; i++) {
      int port = LOW + Math.floorMod(NEXT.getAndIncrement(), range);
      if (bindable(port)) {
        return port;
      }
    }
    throw new IllegalStateException("No free loopback port between " + LOW + " and " + HIGH);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The low end of the kernel's ephemeral port range (Linux default 32768). */
  private static int ephemeralLow() {
    try {
      String range = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
          .trim();
      int low = Integer.parseInt(range.split("\\s+")[0]);
      return low > LOW + 1000 ? low : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port} within {@code timeout}. */
  public static boolean listening(int port, Duration timeout) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
