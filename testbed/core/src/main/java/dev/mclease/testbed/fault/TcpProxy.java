package dev.mclease.testbed.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process TCP proxy on loopback that can cut, slow down or one-way-drop a link, to put between a component
 * and the API server or etcd it talks to.
 *
 * <p>Four threads per connection (a reader and a writer per direction), at most {@value #MAX_CONNECTIONS}
 * connections; more are closed at once. On a plain link the reader forwards each chunk itself; the writer only
 * empties the delay line of a latency or a stall. Faults act on live connections and on new ones:
 * <ul>
 *   <li>{@link #partition()}: live connections are closed; new connections are accepted and then black-holed
 *       (nothing forwarded, nothing answered), so clients wait for their own timeouts as on a real partition.</li>
 *   <li>{@link #dropUpstream()} / {@link #dropDownstream()}: bytes in one direction are read and discarded;
 *       connections stay open.</li>
 *   <li>{@link #latency(Duration)}: a delay line: each chunk is written the one-way delay after it was read, in
 *       order, however fast chunks follow each other (a stream of keep-alives every 300 ms behind a 1.3 s delay
 *       arrives every 300 ms, each 1.3 s late, as on a long link; chunks never queue up behind each other's delay).
 *       Chunks already in flight when the delay changes keep the delay they were read with.</li>
 *   <li>{@link #stallDownstream()}: bytes from target to client are held, not lost, and delivered in order on
 *       {@link #heal()}: requests still reach the target on time, their answers arrive all at once, late (a stuck
 *       middlebox buffer; the way a renewal gets answered after the client already gave up on it).</li>
 *   <li>{@link #heal()}: all of the above undone; black-holed connections are closed so clients reconnect.</li>
 * </ul>
 */
public final class TcpProxy implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);
  static final int MAX_CONNECTIONS = 256;
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  private static final int BUFFER = 16 * 1024;
  private static final Duration ACCEPTOR_EXIT_WAIT = Duration.ofSeconds(5);

  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final Set<Socket> blackHoled = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean partitioned;
  private volatile boolean dropUpstream;
  private volatile boolean dropDownstream;
  private volatile long latencyNanos;
  private volatile boolean stallDownstream;
  private final Object stallGate = new Object();
  private final Thread acceptor;

  private TcpProxy(String name, InetSocketAddress target) throws IOException {
    this.name = name;
    this.target = target;
    this.server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a proxy listening on {@code 127.0.0.1:<free port>} that forwards to {@code targetHost:targetPort}.
   *
   * @param name shows up in logs and thread names, e.g. {@code "east-controller->apiserver"}
   */
  public static TcpProxy start(String name, String targetHost, int targetPort) {
    try {
      TcpProxy p = new TcpProxy(name, new InetSocketAddress(targetHost, targetPort));
      LOG.info("TCP proxy {} listens on 127.0.0.1:{} for {}:{}", name, p.port(), targetHost, targetPort);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start TCP proxy " + name, e);
    }
  }

  /** The local port clients connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** {@code scheme://127.0.0.1:port}, e.g. {@code uri("http")} for an API server client's master URL. */
  public URI uri(String scheme) {
    return URI.create(scheme + "://127.0.0.1:" + port());
  }

  /** The name given at {@link #start}. */
  public String name() {
    return name;
  }

  /** Cuts both directions: closes live connections and black-holes new ones until {@link #heal()}. */
  public void partition() {
    partitioned = true;
    closeLinks();
    LOG.info("TCP proxy {}: partitioned", name);
  }

  /** Silently discards bytes from client to target (requests vanish), until {@link #heal()}. */
  public void dropUpstream() {
    dropUpstream = true;
    LOG.info("TCP proxy {}: dropping client->target bytes", name);
  }

  /** Silently discards bytes from target to client (responses vanish), until {@link #heal()}. */
  public void dropDownstream() {
    dropDownstream = true;
    LOG.info("TCP proxy {}: dropping target->client bytes", name);
  }

  /** Holds bytes from target to client (answers) until {@link #heal()}, which delivers them in order. */
  public void stallDownstream() {
    stallDownstream = true;
    LOG.info("TCP proxy {}: holding target->client bytes", name);
  }

  /** Holds every chunk for {@code oneWay} in each direction; {@link Duration#ZERO} removes the delay. */
  public void latency(Duration oneWay) {
    if (oneWay.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, got " + oneWay);
    }
    latencyNanos = oneWay.toNanos();
    LOG.info("TCP proxy {}: one-way latency {} ms", name, oneWay.toMillis());
  }

  /** Back to normal: no partition, no drops, no latency; black-holed connections are closed. */
  public void heal() {
    partitioned = false;
    dropUpstream = false;
    dropDownstream = false;
    latencyNanos = 0;
    synchronized (stallGate) {
      stallDownstream = false;
      stallGate.notifyAll();
    }
    for (Socket s : List.copyOf(blackHoled)) {
      closeQuietly(s);
    }
    blackHoled.clear();
    LOG.info("TCP proxy {}: healed", name);
  }

  /** True between {@link #partition()} and {@link #heal()}. */
  public boolean isPartitioned() {
    return partitioned;
  }

  /** Chunks read and not yet written, held by a latency or a stall (for tests and diagnostics). */
  public int delayedChunks() {
    return links.stream().mapToInt(l -> l.upLine.pending() + l.downLine.pending()).sum();
  }

  /** Number of connections currently forwarded (for tests and diagnostics). */
  public int activeConnections() {
    return links.size();
  }

  /**
   * Stops listening and closes every connection. Idempotent. When it returns, the port refuses connections: the JDK
   * closes a socket that a thread is blocked accepting on only once that thread has been woken, so this waits for the
   * acceptor (a fault that "kills" a store must not leave its port answering for a moment; CI saw a connect succeed
   * right after close).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(server);
    awaitAcceptorExit();
    closeLinks();
    blackHoled.forEach(TcpProxy::closeQuietly);
    blackHoled.clear();
  }

  private void awaitAcceptorExit() {
    if (Thread.currentThread() == acceptor) {
      return;
    }
    try {
      acceptor.join(ACCEPTOR_EXIT_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (acceptor.isAlive()) {
      LOG.warn("TCP proxy {}: acceptor still running {} after close", name, ACCEPTOR_EXIT_WAIT);
    }
  }

  private void closeLinks() {
    for (Link l : List.copyOf(links)) {
      l.close();
    }
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          LOG.warn("TCP proxy {}: accept failed", name, e);
        }
        return;
      }
      if (links.size() + blackHoled.size() >= MAX_CONNECTIONS) {
        LOG.warn("TCP proxy {}: {} connections open, refusing another", name, MAX_CONNECTIONS);
        closeQuietly(client);
      } else if (partitioned) {
        blackHoled.add(client);
      } else {
        Link link = new Link(client);
        links.add(link);
        Thread t = new Thread(link::run, "tcp-proxy-" + name + "-up");
        t.setDaemon(true);
        t.start();
      }
    }
  }

  /** One proxied connection: client socket, target socket, a pump per direction. */
  private final class Link {
    private final Socket client;
    private final Socket upstream = new Socket();
    private final AtomicBoolean done = new AtomicBoolean();
    private final DelayLine upLine = new DelayLine();
    private final DelayLine downLine = new DelayLine();

    Link(Socket client) {
      this.client = client;
    }

    void run() {
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        LOG.debug("TCP proxy {}: cannot reach {}", name, target, e);
        close();
        return;
      }
      Thread down = new Thread(() -> pump(upstream, client, false), "tcp-proxy-" + name + "-down");
      down.setDaemon(true);
      down.start();
      pump(client, upstream, true);
    }

    /**
     * Reads {@code from} and forwards to {@code to}. A chunk goes straight out from the reading thread while the
     * link is plain (no latency, no stall, nothing older still queued); otherwise it joins the delay line that the
     * writer thread empties at each chunk's due time. The direct path matters to what the benches measure: a hand-off
     * to the writer thread was one more thread to wake per chunk, and a graceful handover crosses about a dozen
     * proxied legs on two busy cores.
     */
    private void pump(Socket from, Socket to, boolean up) {
      OutputStream out;
      try {
        out = to.getOutputStream();
      } catch (IOException e) {
        LOG.trace("TCP proxy {}: connection ended", name, e);
        close();
        return;
      }
      DelayLine line = up ? upLine : downLine;
      Thread writer = new Thread(() -> deliver(line, out, up), Thread.currentThread().getName() + "-write");
      writer.setDaemon(true);
      writer.start();
      byte[] buf = new byte[BUFFER];
      try (InputStream in = from.getInputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (partitioned) {
            break;
          }
          if (up ? dropUpstream : dropDownstream) {
            continue;
          }
          synchronized (line) {
            // pending == 0: the writer holds no older chunk, so writing here keeps the order
            if (line.pending == 0 && latencyNanos == 0 && (up || !stallDownstream)) {
              out.write(buf, 0, n);
              out.flush();
              continue;
            }
            line.pending++;
          }
          line.chunks.add(new Chunk(System.nanoTime() + latencyNanos, Arrays.copyOf(buf, n)));
        }
      } catch (IOException e) {
        LOG.trace("TCP proxy {}: connection ended", name, e);
      } finally {
        line.chunks.add(Chunk.END);
      }
    }

    /** Writes each queued chunk at its due time, in order; the end marker (or a partition) closes the link. */
    private void deliver(DelayLine line, OutputStream out, boolean up) {
      try (out) {
        while (true) {
          Chunk c = line.chunks.take();
          if (c == Chunk.END || partitioned) {
            break;
          }
          if (!up) {
            synchronized (stallGate) {
              while (stallDownstream && !partitioned && !done.get()) {
                stallGate.wait(); // until heal(): the stall is the fault being injected
              }
            }
          }
          long wait = c.dueNanos() - System.nanoTime();
          if (wait > 0) {
            // The delay is the fault being injected, not a wait for a condition.
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          if (partitioned) {
            break;
          }
          out.write(c.bytes());
          out.flush();
          synchronized (line) {
            line.pending--;
          }
        }
      } catch (IOException e) {
        LOG.trace("TCP proxy {}: connection ended", name, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        close();
      }
    }

    void close() {
      if (done.compareAndSet(false, true)) {
        closeQuietly(client);
        closeQuietly(upstream);
        links.remove(this);
        synchronized (stallGate) {
          stallGate.notifyAll(); // a writer held by a stall ends with its link
        }
      }
    }
  }

  /**
   * One direction's queued chunks; {@code pending} counts those not yet written, changed under the line's monitor
   * (volatile only so that {@link #delayedChunks} reads it without waiting behind a direct write).
   */
  private static final class DelayLine {
    final BlockingQueue<Chunk> chunks = new LinkedBlockingQueue<>();
    volatile int pending;

    int pending() {
      return pending;
    }
  }

  /** Bytes read at one instant, due for writing at {@code dueNanos}. */
  private record Chunk(long dueNanos, byte[] bytes) {
    static final Chunk END = new Chunk(0, new byte[0]);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // Closing is best effort.
    }
  }
}
