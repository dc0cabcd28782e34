package dev.mclease.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz} (liveness: the controller's loop is ticking), {@code /readyz} (readiness: informers synced) and
 * {@code /metrics} (Prometheus text format) on one port, with the JDK's HTTP server.
 */
public final class HealthServer implements AutoCloseable {

  private final HttpServer server;

  public HealthServer(int port, BooleanSupplier alive, BooleanSupplier ready, PrometheusMeterRegistry registry)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", ex -> answer(ex, alive.getAsBoolean() ? 200 : 503,
        alive.getAsBoolean() ? "ok\n" : "controller loop stalled\n", "text/plain"));
    server.createContext("/readyz", ex -> answer(ex, ready.getAsBoolean() ? 200 : 503,
        ready.getAsBoolean() ? "ok\n" : "informers not synced\n", "text/plain"));
    server.createContext("/metrics", ex -> answer(ex, 200, registry.scrape(),
        "text/plain; version=0.0.4; charset=utf-8"));
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "mclease-health");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange ex, int code, String body, String type) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
