package dev.mclease.testbed.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** Loopback ports: finding free ones and waiting for a listener. */
public final class Ports {

  private Ports() {
  }

  /** A port that was free a moment ago on 127.0.0.1 (the usual bind-to-0 race is accepted in a testbed). */
  public static int free() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port", e);
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
