package dev.mclease.testbed.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a Docker engine answers on this machine.
 *
 * <p>A {@code docker} binary alone proves nothing (this workplace has one but no engine), so the check
 * sends {@code GET /_ping} to the engine socket named by {@code DOCKER_HOST} (unix or tcp), else to
 * {@code /var/run/docker.sock}, and wants a 200 within two seconds. It asks once per JVM; Testcontainers'
 * own probe is avoided because it is slow and logs loudly when there is no engine.
 */
public final class Docker {

  private static final Logger LOG = LoggerFactory.getLogger(Docker.class);
  private static final long TIMEOUT_MS = 2_000;
  private static volatile Boolean available;

  private Docker() {
  }

  /** True when a Docker engine answered {@code /_ping}. Cheap after the first call; never throws. */
  public static boolean available() {
    Boolean a = available;
    if (a == null) {
      synchronized (Docker.class) {
        if (available == null) {
          available = probe();
          LOG.info("Docker engine {}", available ? "answers" : "does not answer: Docker-based paths are skipped");
        }
        a = available;
      }
    }
    return a;
  }

  private static boolean probe() {
    try {
      SocketAddress address = engineAddress();
      if (address == null) {
        return false;
      }
      // Unix socket channels have no connect/read timeout, so the whole exchange runs under one deadline.
      return CompletableFuture.supplyAsync(() -> ping(address))
          .completeOnTimeout(false, TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .join();
    } catch (RuntimeException e) {
      LOG.debug("Docker probe failed", e);
      return false;
    }
  }

  private static SocketAddress engineAddress() {
    String host = System.getenv("DOCKER_HOST");
    if (host == null || host.isBlank()) {
      Path sock = Path.of("/var/run/docker.sock");
      return Files.exists(sock) ? UnixDomainSocketAddress.of(sock) : null;
    }
    URI uri = URI.create(host);
    if ("unix".equals(uri.getScheme())) {
      return Files.exists(Path.of(uri.getPath())) ? UnixDomainSocketAddress.of(uri.getPath()) : null;
    }
    if ("tcp".equals(uri.getScheme())) {
      return new InetSocketAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 2375);
    }
    return null;
  }

  private static boolean ping(SocketAddress address) {
    StandardProtocolFamily family = address instanceof UnixDomainSocketAddress
        ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET;
    try (SocketChannel ch = SocketChannel.open(family)) {
      ch.connect(address);
      ch.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(256);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
        if (text.contains("\r\n")) {
          return text.startsWith("HTTP/1.") && text.split(" ")[1].equals("200");
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
