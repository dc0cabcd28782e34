package dev.mclease.client;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Campaigns with fabric8's {@link LeaderElector} and a {@link MultiClusterLeaseLock} until closed.
 *
 * <p>A {@code LeaderElector} runs once: after its leadership ends its future completes and it never campaigns
 * again. This runner starts a new elector on the same lock each time one ends, so a candidate that lost (the
 * backend was unreachable, another cluster took over) keeps heartbeating and can lead again. It is built with
 * {@code releaseOnCancel}: {@link #close()} ends leadership and writes {@code spec.holderIdentity = ""}, and it
 * also releases a local candidacy that was never confirmed.
 *
 * <p>Callbacks run one at a time, in order, on the callback executor (a dedicated thread by default), never on the
 * elector's thread: a slow {@code onStartLeading} (starting an operator) cannot delay heartbeats.
 * {@code onStartLeading} receives the fencing token of the leadership, or -1 if the controller published none.
 *
 * <p>Which signal to trust: the callbacks say when to <em>start and stop work</em>; the lock's
 * {@link MultiClusterLeaseLock#leadership()} snapshot says whether a side effect may happen <em>now</em>. The two
 * differ by design for short moments: on a fresh process the lock may count itself leader a tick before
 * {@code onStartLeading} runs, and a paused process hears {@code onStopLeading} late although its leadership ended
 * at {@link Leadership#validUntilNanos()}. So take a snapshot before each side effect and fence it with the token.
 * After {@link #close()} has begun, neither ever says "leader" again.
 *
 * <p>The runner owns the lock it was built with: {@link #close()} releases and closes it.
 */
public final class CandidateRunner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CandidateRunner.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final KubernetesClient client;
  private final MultiClusterLeaseLock lock;
  private final LongConsumer onStartLeading;
  private final Runnable onStopLeading;
  private final Consumer<String> onNewLeader;
  private final String name;
  private final Executor callbacks;
  private final ExecutorService ownCallbacks;
  private final ExecutorService electorThreads;
  private final LeaderElectionConfig config;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  // guarded by this
  private boolean started;
  private boolean closed;
  private CompletableFuture<?> current;
  private int terms;

  // touched only on the callback executor
  private boolean leading;

  private CandidateRunner(Builder b) {
    this.client = b.client;
    this.lock = b.lock;
    this.onStartLeading = b.onStartLeading;
    this.onStopLeading = b.onStopLeading;
    this.onNewLeader = b.onNewLeader;
    this.name = b.name == null ? lock.name() : b.name;
    this.ownCallbacks = b.callbackExecutor == null ? Executors.newSingleThreadExecutor(daemon("callbacks")) : null;
    this.callbacks = b.callbackExecutor == null ? ownCallbacks : b.callbackExecutor;
    this.electorThreads = Executors.newCachedThreadPool(daemon("elector"));
    this.config = new LeaderElectionConfigBuilder()
        .withName(this.name)
        .withLock(lock)
        .withLeaseDuration(lock.leaseDuration())
        .withRenewDeadline(lock.renewDeadline())
        .withRetryPeriod(lock.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, this::newLeader))
        .build();
    new LeaderElectorBuilder(client, electorThreads).withConfig(config); // fabric8's own validation, early
  }

  /** A runner for {@code lock}, talking to the candidate's own cluster through {@code client}. */
  public static Builder builder(KubernetesClient client, MultiClusterLeaseLock lock) {
    return new Builder(client, lock);
  }

  /**
   * Starts campaigning. The future completes when the runner is closed (after the last {@code onStopLeading});
   * cancelling it closes the runner.
   */
  public CompletableFuture<Void> start() {
    synchronized (this) {
      if (started) {
        throw new IllegalStateException("CandidateRunner " + name + " was already started");
      }
      started = true;
    }
    done.whenComplete((v, t) -> {
      if (t instanceof CancellationException) {
        close();
      }
    });
    campaign();
    return done;
  }

  /** The lock's monotonic judgement right now. */
  public boolean isLeader() {
    return lock.isLeader();
  }

  /** How many leader electors this runner has started (1 + the number of campaigns after a loss). */
  public synchronized int terms() {
    return terms;
  }

  /**
   * Ends leadership (releasing the lock), stops campaigning, waits for the last callback and closes the lock: from
   * the first moment of close on, the lock never counts itself leader again.
   */
  @Override
  public void close() {
    CompletableFuture<?> running;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = current;
    }
    if (running != null) {
      running.cancel(true); // the elector's stopLeading runs here: releaseOnCancel writes holderIdentity ""
    }
    // Final before anything else can run: no tick still in flight may take spec or be confirmed again. Closing the
    // lock also releases a local candidacy that was never confirmed (it logs when it cannot).
    lock.close();
    CompletableFuture<Void> drained = new CompletableFuture<>();
    callbacks.execute(() -> {
      if (leading) {
        leading = false;
        runStop();
      }
      drained.complete(null);
    });
    try {
      drained.get(lock.renewDeadline().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("{}: callbacks did not finish within renewDeadline {} on close", name, lock.renewDeadline());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    electorThreads.shutdownNow();
    if (ownCallbacks != null) {
      ownCallbacks.shutdown();
    }
    done.complete(null);
  }

  private void campaign() {
    LeaderElector elector;
    CompletableFuture<?> future;
    synchronized (this) {
      if (closed) {
        return;
      }
      terms++;
      elector = new LeaderElectorBuilder(client, electorThreads).withConfig(config).build();
      future = elector.start();
      current = future;
    }
    future.whenComplete((v, t) -> {
      if (t != null && !(t instanceof CancellationException)) {
        LOG.warn("{}: leader election ended with {}; campaigning again", name, t.toString());
      }
      synchronized (this) {
        if (closed) {
          return;
        }
      }
      LOG.debug("{}: leadership ended, campaigning again", name);
      Executor later = CompletableFuture.delayedExecutor(lock.retryPeriod().toMillis(), TimeUnit.MILLISECONDS,
          electorThreads);
      try {
        later.execute(this::campaign);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    });
  }

  private void started() {
    long token = lock.leadership().fencingToken().orElse(-1);
    callbacks.execute(() -> {
      if (!leading) {
        leading = true;
        try {
          onStartLeading.accept(token);
        } catch (RuntimeException e) {
          LOG.error("{}: onStartLeading failed", name, e);
        }
      }
    });
  }

  private void stopped() {
    callbacks.execute(() -> {
      if (leading) {
        leading = false;
        runStop();
      }
    });
  }

  private void newLeader(String leader) {
    // fabric8 reports a graceful release as a new leader null: the documented answer for "none known" is ""
    String shown = leader == null || MultiClusterLeaseLock.NO_LEADER.equals(leader) ? "" : leader;
    callbacks.execute(() -> {
      try {
        onNewLeader.accept(shown);
      } catch (RuntimeException e) {
        LOG.warn("{}: onNewLeader failed", name, e);
      }
    });
  }

  private void runStop() {
    try {
      onStopLeading.run();
    } catch (RuntimeException e) {
      LOG.error("{}: onStopLeading failed", name, e);
    }
  }

  private java.util.concurrent.ThreadFactory daemon(String role) {
    return r -> {
      Thread t = new Thread(r, "mclease-" + role + "-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Options. Callbacks default to doing nothing. */
  public static final class Builder {
    private final KubernetesClient client;
    private final MultiClusterLeaseLock lock;
    private LongConsumer onStartLeading = token -> {
    };
    private Runnable onStopLeading = () -> {
    };
    private Consumer<String> onNewLeader = leader -> {
    };
    private Executor callbackExecutor;
    private String name;

    private Builder(KubernetesClient client, MultiClusterLeaseLock lock) {
      this.client = Objects.requireNonNull(client, "client");
      this.lock = Objects.requireNonNull(lock, "lock");
    }

    /** Called with the fencing token (or -1) each time this candidate becomes the confirmed leader. */
    public Builder onStartLeading(LongConsumer onStartLeading) {
      this.onStartLeading = Objects.requireNonNull(onStartLeading);
      return this;
    }

    /** Called once after each leadership ends (lost, expired or closed). */
    public Builder onStopLeading(Runnable onStopLeading) {
      this.onStopLeading = Objects.requireNonNull(onStopLeading);
      return this;
    }

    /** Called with the leader fabric8 sees ("" when no confirmed leader is known). Informational. */
    public Builder onNewLeader(Consumer<String> onNewLeader) {
      this.onNewLeader = Objects.requireNonNull(onNewLeader);
      return this;
    }

    /** Where callbacks run, one at a time. Default a dedicated daemon thread. */
    public Builder callbackExecutor(Executor callbackExecutor) {
      this.callbackExecutor = Objects.requireNonNull(callbackExecutor);
      return this;
    }

    /** The election's name in fabric8's logs. Default the object's name. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name);
      return this;
    }

    /**
     * Builds the runner; checks fabric8's own rule {@code renewDeadline > retryPeriod × 2.2} besides the lock's
     * {@code L > D > R > 0}.
     */
    public CandidateRunner build() {
      Duration d = lock.renewDeadline();
      Duration r = lock.retryPeriod();
      if (d.toMillis() <= r.toMillis() + (long) Math.ceil(r.toMillis() * 1.2)) {
        throw new IllegalArgumentException("fabric8's LeaderElector needs renewDeadline > retryPeriod × 2.2 (its retry "
            + "jitter): renewDeadline " + d + ", retryPeriod " + r + "; lower retryPeriod to below "
            + Duration.ofMillis((long) (d.toMillis() / 2.2)));
      }
      return new CandidateRunner(this);
    }
  }
}
