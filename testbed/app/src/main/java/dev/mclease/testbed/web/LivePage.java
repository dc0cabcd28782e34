package dev.mclease.testbed.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.TourFault;
import dev.mclease.testbed.fleet.Fleet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The testbed's live page, on loopback only: {@code /} (index.html, app.js and style.css from this jar),
 * {@code /events} (server-sent events from {@link StatePublisher}), {@code GET /api/state}, and
 * {@code POST /api/fault/<id>} / {@code POST /api/heal} to inject a {@link TourFault} at the current leader and to
 * heal every fault. Faults go through the session's {@link FaultInjector}, so the history records them.
 */
public final class LivePage implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LivePage.class);
  private static final Map<String, String> STATIC = Map.of(
      "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css");

  private final Fleet fleet;
  private final FaultInjector injector;
  private final Consumer<String> say;
  private final Map<TourFault, AutoCloseable> injected = new EnumMap<>(TourFault.class);
  private final StatePublisher publisher;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "live-page-http");
    t.setDaemon(true);
    return t;
  });

  private LivePage(Fleet fleet, FaultInjector injector, int port, Consumer<String> say) throws IOException {
    this.fleet = fleet;
    this.injector = injector;
    this.say = say;
    this.publisher = new StatePublisher(fleet, injector, this::pageFaults);
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    server.setExecutor(threads);
    server.createContext("/", this::serveStatic);
    server.createContext("/events", publisher::serve);
    server.createContext("/api/state", ex -> reply(ex, 200, "application/json", publisher.state()));
    server.createContext("/api/fault/", this::fault);
    server.createContext("/api/heal", this::heal);
  }

  /**
   * Serves the page for {@code fleet} on 127.0.0.1:{@code port} (0: any free port).
   *
   * @param say where the page's own actions are told (the demo prints them), besides the page's log
   */
  public static LivePage start(Fleet fleet, FaultInjector injector, int port, Consumer<String> say) {
    try {
      LivePage page = new LivePage(fleet, injector, port, say);
      page.publisher.start();
      page.server.start();
      return page;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve the live page on 127.0.0.1:" + port, e);
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** A line for the page's log. */
  public void log(String line) {
    publisher.log(line);
  }

  private synchronized Set<TourFault> pageFaults() {
    return Set.copyOf(injected.keySet());
  }

  private void fault(HttpExchange ex) throws IOException {
    if (!post(ex)) {
      return;
    }
    String id = ex.getRequestURI().getPath().substring("/api/fault/".length());
    String answer;
    int code;
    synchronized (this) {
      try {
        TourFault f = TourFault.byId(id);
        if (injected.containsKey(f)) {
          code = 409;
          answer = "'" + f.label() + "' is injected already: heal first";
        } else {
          var fault = f.aim(fleet);
          say.accept("page: fault " + f.label() + " — " + fault.description());
          injected.put(f, injector.inject(fault));
          code = 200;
          answer = fault.description();
        }
      } catch (IllegalArgumentException | IllegalStateException e) {
        code = 409;
        answer = e.getMessage();
      } catch (RuntimeException e) {
        LOG.warn("injecting {} from the live page failed", id, e);
        code = 500;
        answer = e.toString();
      }
    }
    reply(ex, code, "text/plain", answer);
  }

  private void heal(HttpExchange ex) throws IOException {
    if (!post(ex)) {
      return;
    }
    int n;
    synchronized (this) {
      n = injector.activeCount();
      injected.clear();
      injector.healAll();
    }
    say.accept("page: healed " + n + " fault" + (n == 1 ? "" : "s"));
    reply(ex, 200, "text/plain", "healed " + n);
  }

  private static boolean post(HttpExchange ex) throws IOException {
    if ("POST".equals(ex.getRequestMethod())) {
      return true;
    }
    reply(ex, 405, "text/plain", "POST only");
    return false;
  }

  private void serveStatic(HttpExchange ex) throws IOException {
    String name = STATIC.get(ex.getRequestURI().getPath());
    InputStream in = name == null ? null : LivePage.class.getResourceAsStream(name);
    if (in == null) {
      reply(ex, 404, "text/plain", "not found");
      return;
    }
    String type = name.endsWith(".js") ? "text/javascript" : name.endsWith(".css") ? "text/css" : "text/html";
    try (in) {
      reply(ex, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    publisher.close();
    server.stop(0);
    threads.shutdownNow();
  }
}
