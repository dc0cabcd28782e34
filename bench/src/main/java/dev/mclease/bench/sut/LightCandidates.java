package dev.mclease.bench.sut;

import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.client.SharedLeaseWatch;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fleet.Timings;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many leases, one lightweight candidate each, all polled by one small scheduler instead of one fabric8
 * {@code LeaderElector} (and its threads) per lease: each candidate's tick is what the elector's
 * {@code tryAcquireOrRenew} does — {@code lock.get()}, then {@code create()} / {@code update()} of our own
 * record — once per retryPeriod. A lease counts as led the first time its candidate leads:
 * for MultiClusterLease when {@code MultiClusterLeaseLock.isLeader()} turns true (its informer's listener tells
 * at once), for the baseline when the {@code LeaseLock} create/update of our own record succeeds (the moment
 * fabric8 would call onStartLeading). The MultiClusterLeaseLocks share one {@code SharedLeaseWatch} on the namespace.
 */
public final class LightCandidates implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LightCandidates.class);

  private final boolean mcl;
  private final int n;
  private final Timings timings;
  private final KubernetesClient client;
  private final SharedLeaseWatch watch;
  private final List<MultiClusterLeaseLock> mclLocks = new ArrayList<>();
  private final List<LeaseLock> leaseLocks = new ArrayList<>();
  private final List<AtomicBoolean> led = new ArrayList<>();
  private final AtomicInteger ledCount = new AtomicInteger();
  /** Baseline: nanoTime of each lease's last successful create/renew, 0 before the first. */
  private final AtomicLongArray renewedAt;
  private final CompletableFuture<Long> allLed = new CompletableFuture<>();
  private final ScheduledExecutorService scheduler;

  /**
   * {@code n} candidates on {@code n} leases named {@code prefix-i} in {@code namespace} of {@code cluster} (for
   * MultiClusterLease: the fleet's namespace, the one its controllers watch).
   *
   * @param mcl MultiClusterLease objects with {@code MultiClusterLeaseLock}s, else Leases with {@code LeaseLock}s
   */
  public LightCandidates(boolean mcl, Cluster cluster, String namespace, int n, String prefix, Timings timings,
      int threads) {
    this.mcl = mcl;
    this.n = n;
    this.timings = timings;
    this.renewedAt = new AtomicLongArray(n);
    // one client for all; fabric8's default of 64 concurrent requests would throttle 1000 informers' watches
    Config config = new ConfigBuilder(cluster.client().getConfiguration())
        .withMaxConcurrentRequests(n * 2 + 64).withMaxConcurrentRequestsPerHost(n * 2 + 64).build();
    this.client = new KubernetesClientBuilder().withConfig(config).build();
    // one informer for the namespace, as a process contending for many leases runs it, not one per lock: 1000
    // informers cost 1000 lists, 1000 WebSockets and their TLS handshakes, most of the 1000-lease time on 2 cores
    this.watch = mcl ? SharedLeaseWatch.start(client, namespace) : null;
    for (int i = 0; i < n; i++) {
      String name = prefix + "-" + i;
      String identity = prefix + "-" + i + "-candidate";
      led.add(new AtomicBoolean());
      if (mcl) {
        MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(namespace, name, identity)
            .leaseDuration(timings.leaseDuration()).renewDeadline(timings.renewDeadline())
            .retryPeriod(timings.retryPeriod())
            // n locks share a few scheduler threads here, where n real candidates would each have their own: a tick
            // that waits for its confirmation would stall the others (isLeader() turns true via the informer anyway)
            .confirmationWait(Duration.ZERO).sharedWatch(watch).build();
        int index = i;
        lock.addListener(() -> {
          if (lock.isLeader()) {
            markLed(index);
          }
        });
        mclLocks.add(lock);
      } else {
        leaseLocks.add(new LeaseLock(namespace, name, identity));
      }
    }
    this.scheduler = Executors.newScheduledThreadPool(threads, r -> {
      Thread t = new Thread(r, "light-candidates");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts every candidate's tick; the future completes with the nanoTime at which the last lease got led. */
  public CompletableFuture<Long> start() {
    long period = timings.retryPeriod().toMillis();
    for (int i = 0; i < n; i++) {
      int index = i;
      scheduler.scheduleWithFixedDelay(() -> tick(index), 0, period, TimeUnit.MILLISECONDS);
    }
    return allLed;
  }

  public int ledCount() {
    return ledCount.get();
  }

  public int size() {
    return n;
  }

  /**
   * How many leases are led right now, not how many ever were: for MultiClusterLease the locks whose
   * {@code isLeader()} holds (a confirmation younger than its window), for the baseline the leases whose last
   * successful create or renewal is younger than renewDeadline (fabric8's elector steps down once a renewal has not
   * succeeded for that long). Tells whether the system keeps up with N leases in steady state.
   */
  public int ledNow() {
    int count = 0;
    if (mcl) {
      for (MultiClusterLeaseLock lock : mclLocks) {
        count += lock.isLeader() ? 1 : 0;
      }
      return count;
    }
    long now = System.nanoTime();
    long deadline = timings.renewDeadline().toNanos();
    for (int i = 0; i < n; i++) {
      long at = renewedAt.get(i);
      count += at != 0 && now - at < deadline ? 1 : 0;
    }
    return count;
  }

  private void tick(int i) {
    try {
      if (mcl) {
        MultiClusterLeaseLock lock = mclLocks.get(i);
        lock.get(client);
        if (lock.isLeader()) {
          markLed(i);
        }
      } else {
        LeaseLock lock = leaseLocks.get(i);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        LeaderElectionRecord current = lock.get(client);
        if (current == null) {
          lock.create(client, new LeaderElectionRecord(lock.identity(), timings.leaseDuration(), now, now, 0));
          renewedAt.set(i, System.nanoTime());
          markLed(i);
        } else if (lock.identity().equals(current.getHolderIdentity())) {
          lock.update(client, new LeaderElectionRecord(lock.identity(), timings.leaseDuration(),
              current.getAcquireTime(), now, current.getLeaderTransitions()));
          renewedAt.set(i, System.nanoTime());
          markLed(i);
        }
      }
    } catch (KubernetesClientException e) {
      LOG.debug("tick of lease {} failed", i, e);
    } catch (RuntimeException e) {
      LOG.warn("tick of lease {} failed", i, e);
    }
  }

  private void markLed(int i) {
    if (led.get(i).compareAndSet(false, true) && ledCount.incrementAndGet() == n) {
      allLed.complete(System.nanoTime());
    }
  }

  /** Stops ticking, releases every MultiClusterLeaseLock (in parallel) and closes the client. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ExecutorService closer = Executors.newFixedThreadPool(8);
    mclLocks.forEach(l -> closer.submit(l::close));
    closer.shutdown();
    try {
      closer.awaitTermination(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (watch != null) {
      watch.close();
    }
    client.close();
  }
}
