package dev.mclease.testbed.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

  private EchoServer echo;
  private TcpProxy proxy;

  @BeforeEach
  void start() throws IOException {
    echo = new EchoServer();
    proxy = TcpProxy.start("test", "127.0.0.1", echo.port());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(2_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return readExactly(s, text.length());
  }

  private static String readExactly(Socket s, int bytes) throws IOException {
    byte[] got = new byte[bytes];
    int read = 0;
    InputStream in = s.getInputStream();
    while (read < bytes) {
      int n = in.read(got, read, bytes - read);
      if (n < 0) {
        throw new IOException("closed after " + read + " bytes");
      }
      read += n;
    }
    return new String(got, StandardCharsets.US_ASCII);
  }

  @Test
  void forwardsBothWays() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, "again")).isEqualTo("again");
    }
    assertThat(proxy.uri("http").toString()).isEqualTo("http://127.0.0.1:" + proxy.port());
  }

  @Test
  void partitionClosesLiveConnectionsAndBlackHolesNewOnes() throws IOException {
    try (Socket live = connect()) {
      assertThat(roundTrip(live, "before")).isEqualTo("before");
      proxy.partition();
      assertThat(proxy.isPartitioned()).isTrue();
      assertThatThrownBy(() -> roundTrip(live, "during")).isInstanceOf(IOException.class);
    }
    try (Socket fresh = connect()) {
      fresh.setSoTimeout(300);
      assertThatThrownBy(() -> roundTrip(fresh, "during")).isInstanceOf(SocketTimeoutException.class);
      proxy.heal();
      assertThat(proxy.isPartitioned()).isFalse();
    }
    try (Socket healed = connect()) {
      assertThat(roundTrip(healed, "after")).isEqualTo("after");
    }
  }

  @Test
  void latencyDelaysEachWay() throws IOException {
    proxy.latency(Duration.ofMillis(150));
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      assertThat(roundTrip(s, "slow")).isEqualTo("slow");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      proxy.heal();
      long t1 = System.nanoTime();
      assertThat(roundTrip(s, "fast")).isEqualTo("fast");
      assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofMillis(300));
    }
  }

  @Test
  void latencyIsADelayLineNotAQueue() throws Exception {
    proxy.latency(Duration.ofMillis(400));
    try (Socket s = connect()) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      long t0 = System.nanoTime();
      // ten chunks 50 ms apart: a queue that held each for the delay in turn would need 10 x 800 ms
      for (int i = 0; i < 10; i++) {
        out.write('a' + i);
        out.flush();
        java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
      String got = readExactly(s, 10);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(got).isEqualTo("abcdefghij");
      assertThat(took).as("last chunk sent at ~450 ms, back one round trip (800 ms) later")
          .isBetween(Duration.ofMillis(1_200), Duration.ofMillis(3_000));
    }
  }

  @Test
  void bytesSentRightAfterALatencyIsRemovedWaitForThoseStillOnTheDelayLine() throws IOException {
    proxy.latency(Duration.ofSeconds(1)); // 'a' stays on the upstream delay line for a second, then on the way back
    try (Socket s = connect()) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write('a');
      out.flush();
      await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
          .until(() -> proxy.delayedChunks() == 1);
      proxy.heal(); // 'a' is still on a delay line: 'b' may not overtake it on the now plain link
      out.write('b');
      out.flush();
      assertThat(readExactly(s, 2)).isEqualTo("ab");
      assertThat(roundTrip(s, "plain")).isEqualTo("plain");
      assertThat(proxy.delayedChunks()).as("the plain link forwards at once").isZero();
    }
  }

  @Test
  void dropUpstreamLosesRequestsSilently() throws IOException {
    try (Socket s = connect()) {
      proxy.dropUpstream();
      s.setSoTimeout(300);
      assertThatThrownBy(() -> roundTrip(s, "lost")).isInstanceOf(SocketTimeoutException.class);
      assertThat(echo.bytesReceived()).isZero();
      proxy.heal();
      s.setSoTimeout(2_000);
      assertThat(roundTrip(s, "kept")).isEqualTo("kept");
    }
  }

  @Test
  void dropDownstreamLosesResponsesSilently() throws IOException {
    try (Socket s = connect()) {
      proxy.dropDownstream();
      s.setSoTimeout(300);
      assertThatThrownBy(() -> roundTrip(s, "gone")).isInstanceOf(SocketTimeoutException.class);
      await().atMost(Duration.ofSeconds(2)).until(() -> echo.bytesReceived() == 4);
      proxy.heal();
      s.setSoTimeout(2_000);
      assertThat(roundTrip(s, "back")).isEqualTo("back");
    }
  }

  @Test
  void stallDownstreamHoldsAnswersAndDeliversThemInOrderOnHeal() throws IOException {
    try (Socket s = connect()) {
      proxy.stallDownstream();
      s.setSoTimeout(300);
      s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      await().atMost(Duration.ofSeconds(2)).until(() -> echo.bytesReceived() == 4);
      s.getOutputStream().write("late".getBytes(StandardCharsets.UTF_8));
      await().atMost(Duration.ofSeconds(2)).until(() -> echo.bytesReceived() == 8);
      proxy.heal();
      s.setSoTimeout(2_000);
      assertThat(readExactly(s, 8)).isEqualTo("heldlate");
    }
  }

  @Test
  void closeStopsListening() throws IOException {
    int port = proxy.port();
    proxy.close();
    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
        .isInstanceOf(IOException.class);
  }

  /** Echoes every byte back; counts what it received. */
  static final class EchoServer implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final AtomicInteger received = new AtomicInteger();

    EchoServer() throws IOException {
      Thread t = new Thread(this::accept, "echo-accept");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int bytesReceived() {
      return received.get();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> echo(s), "echo");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void echo(Socket s) {
      try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
        byte[] buf = new byte[1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
          received.addAndGet(n);
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // client went away
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
