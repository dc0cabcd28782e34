package dev.mclease.controller;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election controller of one cluster: a fabric8 informer on MultiClusterLease objects feeding one
 * {@link LeaseWorker} state machine per object, each run on its own serialized executor (so a slow or failing
 * lease never holds up another), with its own timers for liveness expiry, retries and the echo rule's deadline.
 * See docs/controller.md for why this is an informer loop and not a java-operator-sdk reconciler.
 */
public final class ElectionController implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ElectionController.class);
  private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final CompletableFuture<? extends GlobalLockBackend> connecting;
  /** Set by {@link #start()} once the backend is connected; only leases started after that use it. */
  private volatile GlobalLockBackend backend;
  private final ControllerConfig cfg;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final ControllerMetrics metrics;
  private final LeaseOutput output;
  private final Map<String, Handle> leases = new ConcurrentHashMap<>();
  private final List<SharedIndexInformer<MultiClusterLease>> informers = new ArrayList<>();
  private ExecutorService workers;
  /** Where the leases' status writes run (StatusLane), so that no lease's loop waits for one. */
  private ExecutorService statusWrites;
  private ScheduledExecutorService timers;
  private AutoCloseable sessionSubscription;
  private volatile boolean started;
  private volatile boolean closed;
  private volatile boolean stoppingAll;
  private volatile long lastTickNanos;

  public ElectionController(KubernetesClient client, GlobalLockBackend backend, ControllerConfig config, Clock clock,
      LongSupplier nanoTime, MeterRegistry registry) {
    this(client, backend, config, clock, nanoTime, registry, null);
  }

  /**
   * A controller whose backend is still connecting ({@link PendingBackend}): {@link #start()} checks the CRD while
   * it connects and waits for it only before the informers start, since no lease is served before then. A cold
   * start then takes the longer of the two first connections (the API server's TLS handshake and the store's
   * session), not their sum. The caller still owns, and closes, the backend.
   */
  public ElectionController(KubernetesClient client, CompletableFuture<? extends GlobalLockBackend> backend,
      ControllerConfig config, Clock clock, LongSupplier nanoTime, MeterRegistry registry) {
    this(client, backend, config, clock, nanoTime, registry, null);
  }

  ElectionController(KubernetesClient client, GlobalLockBackend backend, ControllerConfig config, Clock clock,
      LongSupplier nanoTime, MeterRegistry registry, LeaseOutput output) {
    this(client, CompletableFuture.completedFuture(Objects.requireNonNull(backend, "backend")), config, clock,
        nanoTime, registry, output);
  }

  private ElectionController(KubernetesClient client, CompletableFuture<? extends GlobalLockBackend> backend,
      ControllerConfig config, Clock clock, LongSupplier nanoTime, MeterRegistry registry, LeaseOutput output) {
    this.client = Objects.requireNonNull(client, "client");
    this.cfg = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.metrics = new ControllerMetrics(Objects.requireNonNull(registry, "registry"), config.clusterName());
    this.connecting = Objects.requireNonNull(backend, "backend");
    this.output = output != null ? output : new KubernetesLeaseOutput(client, clock, config.clusterName());
    this.metrics.backendReachable(() -> {
      GlobalLockBackend b = this.backend;
      return b != null && b.health().reachable();
    });
  }

  /**
   * Validates the configuration, checks that the CRD is installed, starts the informers and returns once they
   * have synced (every existing lease is then being served).
   *
   * @throws IllegalArgumentException when the timings break protocol.md's rules
   * @throws IllegalStateException when the CRD is missing or the informers cannot sync
   */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    cfg.validate();
    checkCrd();
    backend = new CountingLockBackend(awaitBackend(), metrics);
    workers = Executors.newFixedThreadPool(cfg.workerThreads(), threads("mclease-lease"));
    statusWrites = Executors.newFixedThreadPool(cfg.workerThreads(), threads("mclease-status"));
    timers = Executors.newSingleThreadScheduledExecutor(threads("mclease-timer"));
    lastTickNanos = nanoTime.getAsLong();
    timers.scheduleWithFixedDelay(() -> lastTickNanos = nanoTime.getAsLong(), 1, 1, TimeUnit.SECONDS);
    sessionSubscription = backend.onSessionChange(() -> leases.values().forEach(h -> h.submit(w -> { })));
    List<String> scopes = cfg.namespaces().isEmpty() ? java.util.Collections.singletonList(null)
        : List.copyOf(cfg.namespaces());
    for (String ns : scopes) {
      SharedIndexInformer<MultiClusterLease> informer = (ns == null
          ? client.resources(MultiClusterLease.class).inAnyNamespace()
          : client.resources(MultiClusterLease.class).inNamespace(ns))
          .runnableInformer(cfg.resyncPeriod().toMillis());
      informer.addEventHandler(new Handler());
      informers.add(informer);
    }
    try {
      for (SharedIndexInformer<MultiClusterLease> informer : informers) {
        informer.start().toCompletableFuture().get(SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while starting the informers", e);
    } catch (ExecutionException | TimeoutException e) {
      close();
      throw new IllegalStateException("the MultiClusterLease informers of cluster " + cfg.clusterName()
          + " did not sync within " + SYNC_TIMEOUT.toSeconds() + "s: " + e.getMessage() + "; check the API server"
          + " address and that the controller's ServiceAccount may list and watch multiclusterleases", e);
    }
    started = true;
    LOG.info("election controller of cluster {} started ({}), serving {} leases", cfg.clusterName(), cfg,
        leases.size());
  }

  private GlobalLockBackend awaitBackend() {
    try {
      return connecting.join();
    } catch (CancellationException | CompletionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException r) {
        throw r; // the backend's own message says what to fix (address, credentials, TLS files)
      }
      throw new IllegalStateException("the lock backend of cluster " + cfg.clusterName() + " did not connect: "
          + cause.getMessage(), cause);
    }
  }

  private void checkCrd() {
    try {
      var op = client.resources(MultiClusterLease.class);
      var opts = new ListOptionsBuilder().withLimit(1L).build();
      if (cfg.namespaces().isEmpty()) {
        op.inAnyNamespace().list(opts);
      } else {
        op.inNamespace(cfg.namespaces().iterator().next()).list(opts);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw new IllegalStateException("The MultiClusterLease CRD (" + MultiClusterLease.CRD_NAME + ") is not"
            + " installed in cluster " + cfg.clusterName() + " (" + client.getMasterUrl() + "): install it with"
            + " `kubectl apply -f crd/multiclusterleases.mclease.dev-v1.yml` and start the controller again", e);
      }
      if (e.getCode() == 403) {
        throw new IllegalStateException("The controller may not list " + MultiClusterLease.CRD_NAME + " in cluster "
            + cfg.clusterName() + ": apply controller/deploy (ClusterRole mclease-controller and its binding)", e);
      }
      throw e;
    }
  }

  /**
   * Graceful shutdown of leadership: stops confirming and contending, releases every held key as soon as the last
   * confirmation given for it can no longer be in force (at most D + M after it), then revokes the backend
   * session. Returns within about D + M + R. Use it before {@link #close()}; without it, held keys expire after G.
   *
   * @return true when every key was released
   */
  public boolean releaseAll() {
    if (!started || closed) {
      return metrics.heldNow() == 0;
    }
    stoppingAll = true;
    leases.values().forEach(h -> h.submit(LeaseWorker::stop));
    long deadline = nanoTime.getAsLong() + cfg.candidateRenewDeadline().plus(cfg.safetyMargin())
        .plus(cfg.retryPeriod().multipliedBy(2)).toNanos();
    while (metrics.heldNow() > 0 && nanoTime.getAsLong() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    boolean all = metrics.heldNow() == 0;
    if (all) {
      try {
        backend.releaseAll(); // started, so connected
      } catch (Exception e) {
        LOG.warn("could not revoke the backend session (its keys expire after {}): {}", cfg.backendTtl(),
            e.getMessage());
      }
    } else {
      LOG.warn("{} global locks were not released in time; they expire after {}", metrics.heldNow(),
          cfg.backendTtl());
    }
    return all;
  }

  /** Stops watching and timers. Does not release held keys (they expire after G) and does not close the backend. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    informers.forEach(SharedIndexInformer::close);
    leases.values().forEach(Handle::dispose);
    leases.clear();
    if (sessionSubscription != null) {
      closeQuietly(sessionSubscription);
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    // let an interrupted reconcile or status write finish before its output closes, so a shutdown does not log its own
    // failures
    for (ExecutorService pool : new ExecutorService[] {workers, statusWrites}) {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    for (ExecutorService pool : new ExecutorService[] {workers, statusWrites}) {
      if (pool != null) {
        try {
          pool.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (output instanceof KubernetesLeaseOutput k) {
      k.close();
    }
    LOG.info("election controller of cluster {} stopped", cfg.clusterName());
  }

  /** Ready once the informers have synced, until closed. */
  public boolean isReady() {
    return started && !closed && informers.stream().allMatch(SharedIndexInformer::isRunning);
  }

  /** Alive while the controller's timer thread keeps ticking (a wedged process fails this). */
  public boolean isAlive() {
    return !closed && (!started || nanoTime.getAsLong() - lastTickNanos < TimeUnit.SECONDS.toNanos(30));
  }

  /** The meters this controller updates. */
  public ControllerMetrics metrics() {
    return metrics;
  }

  /** The configuration it runs with. */
  public ControllerConfig config() {
    return cfg;
  }

  // ----------------------------------------------------------------------------------------------- plumbing

  private final class Handler implements ResourceEventHandler<MultiClusterLease> {
    @Override
    public void onAdd(MultiClusterLease lease) {
      upsert(lease);
    }

    @Override
    public void onUpdate(MultiClusterLease old, MultiClusterLease lease) {
      if (old != null && Objects.equals(old.getSpec(), lease.getSpec())
          && Objects.equals(old.getMetadata().getGeneration(), lease.getMetadata().getGeneration())) {
        return; // our own status write, or a resync: timers and events drive everything else
      }
      upsert(lease);
    }

    @Override
    public void onDelete(MultiClusterLease lease, boolean finalStateUnknown) {
      Handle h = leases.get(keyOf(lease));
      if (h != null) {
        h.submit(LeaseWorker::onDeleted);
      }
    }
  }

  private void upsert(MultiClusterLease lease) {
    long observedAt = nanoTime.getAsLong();
    if (closed) {
      return;
    }
    String key = keyOf(lease);
    Handle h = leases.computeIfAbsent(key, k -> new Handle(lease.getMetadata().getNamespace(),
        lease.getMetadata().getName()));
    h.submit(w -> w.onSpec(lease, observedAt));
  }

  private static String keyOf(MultiClusterLease lease) {
    return lease.getMetadata().getNamespace() + "/" + lease.getMetadata().getName();
  }

  private final class Handle {
    private final LeaseWorker worker;
    private final CoalescingQueue<LeaseWorker> events;
    private final AutoCloseable watch;
    private final Runnable unregisterGauges;
    private ScheduledFuture<?> timer;
    private String lastError;
    private volatile boolean disposed;

    Handle(String namespace, String name) {
      this.worker = new LeaseWorker(namespace, name, cfg, backend, output, clock, nanoTime, metrics, statusWrites,
          this::retryStatusLater);
      this.events = new CoalescingQueue<>(new SerialExecutor(workers), this::run);
      if (stoppingAll) {
        worker.stop();
      }
      this.watch = backend.watch(worker.key(), this::onLockEvent);
      metrics.watched(1);
      this.unregisterGauges = metrics.lease(namespace, name, worker::leaderlessSeconds, worker::failoverBoundSeconds,
          worker::specInvalid);
    }

    /** A status write failed (on the status pool): reconcile again after min(R, 1 s), which writes it anew. */
    private void retryStatusLater() {
      try {
        timers.schedule(() -> submit(w -> { }), StatusWriter.retryDelay(cfg.retryPeriod()).toNanos(),
            TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // shutting down
      }
    }

    private void onLockEvent(LockEvent e) {
      submit(w -> w.onLockEvent(e));
    }

    void submit(Consumer<LeaseWorker> action) {
      if (disposed || closed) {
        return;
      }
      try {
        events.submit(action);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // shutting down
      }
    }

    /** The events that arrived since the last reconcile, in order, then one reconcile (CoalescingQueue). */
    private void run(List<Consumer<LeaseWorker>> actions) {
      if (disposed || closed) {
        return;
      }
      long next;
      try {
        actions.forEach(a -> a.accept(worker));
        next = worker.reconcile();
        lastError = null;
      } catch (RuntimeException e) {
        metrics.reconcileError();
        if (!String.valueOf(e).equals(lastError)) {
          LOG.error("{}: unexpected error in the lease loop (other leases are not affected); retrying every {}",
              worker.key(), cfg.retryPeriod(), e);
        } else {
          LOG.debug("{}: the same error again: {}", worker.key(), e.toString());
        }
        lastError = String.valueOf(e);
        next = nanoTime.getAsLong() + cfg.retryPeriod().toNanos();
      }
      if (worker.finished()) {
        if (leases.remove(worker.key(), this)) {
          dispose();
        }
        return;
      }
      schedule(next);
    }

    private void schedule(long next) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      if (next == Long.MAX_VALUE || disposed || closed) {
        return;
      }
      long delay = Math.max(0, next - nanoTime.getAsLong()) + TimeUnit.MILLISECONDS.toNanos(1);
      try {
        timer = timers.schedule(() -> submit(w -> { }), delay, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // shutting down
      }
    }

    void dispose() {
      if (disposed) {
        return;
      }
      disposed = true;
      metrics.watched(-1);
      unregisterGauges.run();
      closeQuietly(watch);
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("close failed", e);
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
