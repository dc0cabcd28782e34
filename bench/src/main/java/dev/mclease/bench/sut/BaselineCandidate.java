package dev.mclease.bench.sut;

import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.fleet.Timings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The baseline's candidate: fabric8's own {@code LeaderElector} on a {@link LeaseLock}, exactly as a
 * single-cluster controller uses it (releaseOnCancel on), behind its own TCP proxy to the API server so that it
 * can be partitioned like a MultiClusterLease candidate. Campaigns again after a loss, as a real replica would.
 */
final class BaselineCandidate {

  private final String identity;
  private final Cluster cluster;
  private final String namespace;
  private final String leaseName;
  private final Timings timings;
  private final LeaderEvents events;
  private final TcpProxy proxy;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean leading = new AtomicBoolean();
  private volatile KubernetesClient client;
  private volatile KillableLock lock;
  private volatile CompletableFuture<?> election;

  BaselineCandidate(String identity, Cluster cluster, String namespace, String leaseName, Timings timings,
      LeaderEvents events) {
    this.identity = identity;
    this.cluster = cluster;
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.timings = timings;
    this.events = events;
    this.proxy = TcpProxy.start(identity + "->api", cluster.apiServer().getHost(), cluster.apiServer().getPort());
  }

  String identity() {
    return identity;
  }

  TcpProxy apiLink() {
    return proxy;
  }

  boolean isRunning() {
    return running.get();
  }

  boolean isLeading() {
    return running.get() && leading.get();
  }

  synchronized void start() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    client = cluster.newClient(proxy.uri(cluster.apiServer().getScheme()));
    lock = new KillableLock(new LeaseLock(namespace, leaseName, identity));
    campaign();
  }

  private void campaign() {
    if (!running.get()) {
      return;
    }
    var config = new LeaderElectionConfigBuilder()
        .withName(leaseName)
        .withLock(lock)
        .withLeaseDuration(timings.leaseDuration())
        .withRenewDeadline(timings.renewDeadline())
        .withRetryPeriod(timings.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, leader -> { }))
        .build();
    CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
    election = f;
    f.whenComplete((v, t) -> {
      if (running.get() && election == f) {
        campaign();
      }
    });
  }

  private void started() {
    if (!running.get()) {
      return;
    }
    leading.set(true);
    events.started(identity);
  }

  private void stopped() {
    leading.set(false);
  }

  /** Graceful: fabric8 releases the Lease on cancel (holderIdentity cleared). */
  synchronized void release() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    leading.set(false);
    CompletableFuture<?> f = election;
    if (f != null) {
      f.cancel(true);
    }
    client.close();
  }

  /** A crash: every further lock call fails, so the release on cancel writes nothing. */
  synchronized void crash() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    leading.set(false);
    lock.kill();
    CompletableFuture<?> f = election;
    if (f != null) {
      f.cancel(true);
    }
    client.close();
  }

  void close() {
    crash();
    proxy.close();
  }

  /** A {@link Lock} that fails every call once the process it belongs to is "dead". */
  private static final class KillableLock implements Lock {
    private final Lock delegate;
    private volatile boolean killed;

    KillableLock(Lock delegate) {
      this.delegate = delegate;
    }

    void kill() {
      killed = true;
    }

    private void pass() {
      if (killed) {
        throw new KubernetesClientException("candidate crashed (bench)");
      }
    }

    @Override
    public LeaderElectionRecord get(KubernetesClient client) {
      pass();
      return delegate.get(client);
    }

    @Override
    public void create(KubernetesClient client, LeaderElectionRecord record) {
      pass();
      delegate.create(client, record);
    }

    @Override
    public void update(KubernetesClient client, LeaderElectionRecord record) {
      pass();
      delegate.update(client, record);
    }

    @Override
    public String identity() {
      return delegate.identity();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
