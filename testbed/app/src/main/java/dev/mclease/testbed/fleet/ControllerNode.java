package dev.mclease.testbed.fleet;

import dev.mclease.controller.ControllerConfig;
import dev.mclease.controller.ElectionController;
import dev.mclease.controller.PendingBackend;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.time.SkewableClock;
import dev.mclease.testbed.time.SkewableNanoTime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's election controller as the testbed runs it: in-process, reaching its API server and the lock store
 * (every etcd member, or the one PostgreSQL / ZooKeeper / dynalite server or hub API server) through its own
 * {@link TcpProxy}s so that each link can be cut on its own. Its backend is built by {@link BackendFactory}. Or, in
 * a fleet built with {@code controllerProcesses(true)}, as an OS process through the same proxies
 * ({@link ControllerProcess}): {@link #kill()} is then SIGKILL, and {@link #freeze()} SIGSTOP.
 */
public final class ControllerNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerNode.class);

  private final String clusterName;
  private final Cluster cluster;
  private final Timings timings;
  /** The only namespace this controller serves: fleets that share API servers must not serve each other's leases. */
  private final String namespace;
  private final TcpProxy apiProxy;
  private final LockStore store;
  private final List<TcpProxy> etcdProxies = new ArrayList<>();
  private final SkewableClock clock = SkewableClock.system();
  private final SkewableNanoTime nanoTime = SkewableNanoTime.system();
  /** Prometheus's registry, as in the controller's main: a test can serve it on /metrics (HealthServer). */
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private volatile KubernetesClient client;
  private volatile GlobalLockBackend backend;
  private volatile ElectionController controller;
  /** The controller's process when it runs as one, else null. */
  private final ControllerProcess process;

  ControllerNode(String clusterName, Cluster cluster, LockStore store, Timings timings, String namespace,
      boolean asProcess) {
    this.process = asProcess ? new ControllerProcess(clusterName, java.util.Map.of()) : null;
    this.clusterName = clusterName;
    this.namespace = namespace;
    this.cluster = cluster;
    this.store = store;
    this.timings = timings;
    this.apiProxy = TcpProxy.start(clusterName + "-controller->api", cluster.apiServer().getHost(),
        cluster.apiServer().getPort());
    List<InetSocketAddress> targets = store.targets();
    for (int i = 0; i < targets.size(); i++) {
      InetSocketAddress t = targets.get(i);
      etcdProxies.add(TcpProxy.start(clusterName + "-controller->" + store.kind() + i, t.getHostString(),
          t.getPort()));
    }
  }

  public String clusterName() {
    return clusterName;
  }

  /** The controller's link to its own API server. */
  public TcpProxy apiLink() {
    return apiProxy;
  }

  /**
   * The controller's links to the lock store: one proxy per etcd member, or the one proxy in front of the
   * PostgreSQL / ZooKeeper / dynalite server or the hub's API server. Same as {@link #storeLinks()}.
   */
  public List<TcpProxy> etcdLinks() {
    return etcdProxies;
  }

  /** The controller's links to the lock store (one proxy per store address). */
  public List<TcpProxy> storeLinks() {
    return etcdProxies;
  }

  public SkewableClock clock() {
    return clock;
  }

  public SkewableNanoTime nanoTime() {
    return nanoTime;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public boolean isRunning() {
    return process != null ? process.isRunning() : controller != null;
  }

  /** Whether this controller runs as an OS process of its own. */
  public boolean isProcess() {
    return process != null;
  }

  /** The controller configuration this node runs with. */
  public ControllerConfig config() {
    return ControllerConfig.builder(clusterName)
        .namespaces(java.util.Set.of(namespace))
        .candidateRenewDeadline(timings.renewDeadline())
        .candidateRetryPeriod(timings.retryPeriod())
        .backendTtl(timings.backendTtl())
        .backendRenewInterval(timings.backendRenewInterval())
        .safetyMargin(timings.safetyMargin())
        .build();
  }

  /** Starts a fresh controller process: new API client, new backend session. */
  public synchronized void start() {
    if (process != null) {
      process.start(cluster.kubeconfig(), apiProxy.uri(cluster.apiServer().getScheme()),
          ControllerProcess.flags(config(), store.config(clusterName, etcdProxies, timings)));
      return;
    }
    if (controller != null) {
      return;
    }
    long t0 = System.nanoTime();
    // the store connects while the API client starts and the CRD is checked, as ControllerMain does
    PendingBackend pending = PendingBackend.connect(
        () -> BackendFactory.create(store.config(clusterName, etcdProxies, timings), nanoTime));
    KubernetesClient c = cluster.newClient(apiProxy.uri(cluster.apiServer().getScheme()));
    ElectionController ec = new ElectionController(c, pending.future(), config(), clock, nanoTime, registry);
    try {
      ec.start();
    } catch (RuntimeException e) {
      ec.close();
      c.close();
      pending.close();
      throw e;
    }
    client = c;
    backend = pending.future().join();
    controller = ec;
    LOG.info("controller of {} started in {} ms ({}, backend {})", clusterName, (System.nanoTime() - t0) / 1_000_000,
        timings, store.kind());
  }

  /**
   * Crashes the controller: its connections are cut first so that nothing is released or revoked on the way
   * down, exactly as when a process or node dies. Its backend session expires after G.
   */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
      return;
    }
    if (controller == null) {
      return;
    }
    etcdProxies.forEach(TcpProxy::partition);
    apiProxy.partition();
    try {
      stop();
    } finally {
      etcdProxies.forEach(TcpProxy::heal);
      apiProxy.heal();
    }
    LOG.info("controller of {} killed", clusterName);
  }

  /** SIGSTOP of the controller's process: it holds its connections and answers nothing until {@link #thaw()}. */
  public void freeze() {
    requireProcess("freeze").freeze();
  }

  /** SIGCONT after {@link #freeze()}. */
  public void thaw() {
    requireProcess("thaw").thaw();
  }

  private ControllerProcess requireProcess(String what) {
    if (process == null) {
      throw new IllegalStateException("cannot " + what + " the controller of " + clusterName + ": it runs in this JVM;"
          + " build the fleet with controllerProcesses(true)");
    }
    return process;
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.stop();
    }
    stop();
    apiProxy.close();
    etcdProxies.forEach(TcpProxy::close);
  }

  /** Closes the controller, its backend and its client, whatever state the links are in. */
  private void stop() {
    if (controller == null) {
      return;
    }
    try {
      controller.close();
      backend.close();
      client.close();
    } catch (RuntimeException e) {
      LOG.debug("closing the controller of {}", clusterName, e);
    } finally {
      controller = null;
      backend = null;
      client = null;
    }
  }
}
