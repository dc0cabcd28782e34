package dev.mclease.testbed.cluster;

import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.kube.ClusterPki;
import dev.mclease.testbed.kube.KubeApiServerProcess;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.util.Ports;
import dev.mclease.testbed.util.Signals;
import dev.mclease.testbed.util.TempDirs;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes API server: one {@code kube-apiserver} process on {@code https://127.0.0.1:PORT} with its own
 * CA, RBAC, the MultiClusterLease CRD installed, and its objects in etcd under a prefix of its own.
 *
 * <p>There is no controller manager, scheduler or kubelet, as with envtest: no pods run, deleted namespaces stay
 * {@code Terminating}, nothing garbage-collects by owner references, and namespaces get no {@code default}
 * ServiceAccount. Everything a leader election touches — objects, resourceVersions, the status subresource,
 * validation, watches, server-side apply, authentication and RBAC — is the real server's.
 *
 * <p>Faults: {@link #stop()}, {@link #kill()}, {@link #start()} and {@link #restart()} act on the kube-apiserver
 * process only; its storage, port and certificates stay, so clients built before reconnect to the same server.
 *
 * <p>Identities: {@link #client()} is the admin ({@code system:masters}); {@link #clientAs}, {@link #newClientAs}
 * and {@link #kubeconfigAs} act as a ServiceAccount with a token from the TokenRequest API, so RBAC applies.
 */
public final class ApiServerCluster implements Cluster {

  private static final Logger LOG = LoggerFactory.getLogger(ApiServerCluster.class);
  /** Generous: on a busy 2-core machine a cold kube-apiserver may need 10-20 s. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  static final Duration CRD_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final Path dir;
  private final ApiServerStorage.Slot storage;
  private final ClusterPki pki;
  private final KubeApiServerProcess server;
  private final boolean crd;
  private final boolean shared;
  private final Path kubeconfig;
  private final KubernetesClient client;
  private final Map<String, KubernetesClient> serviceAccountClients = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Starts the server; on any failure everything started so far is stopped again. */
  ApiServerCluster(String name, KubeBinaries binaries, Path dir, ApiServerStorage.Slot storage,
      List<String> extraArgs, boolean installCrd, boolean shared) {
    this.name = name;
    this.dir = dir;
    this.storage = storage;
    this.crd = installCrd;
    this.shared = shared;
    long t0 = System.nanoTime();
    try {
      this.pki = ClusterPki.create(name, dir);
      this.server = new KubeApiServerProcess(binaries.kubeApiServer(), name, dir, Ports.free(), pki,
          storage.etcdServers(), storage.prefix(), extraArgs);
    } catch (RuntimeException e) {
      storage.release();
      throw e;
    }
    KubernetesClient admin = null;
    try {
      server.start(START_TIMEOUT);
      this.kubeconfig = Kubeconfigs.writeTls(dir, name, name, server.url(), pki.caPem(), ClusterPki.ADMIN_USER,
          Kubeconfigs.clientCertificate(pki.admin()));
      admin = Kubeconfigs.tlsClient(server.url(), pki.caPem(), pki.admin(), null);
      this.client = admin;
      awaitDefaultNamespace();
      if (installCrd) {
        CrdInstaller.install(client, CRD_TIMEOUT);
      }
    } catch (RuntimeException e) {
      if (admin != null) {
        admin.close();
      }
      server.kill();
      storage.release();
      throw new IllegalStateException("Cluster " + name + " did not come up: " + e.getMessage()
          + " (kube-apiserver log: " + server.logFile() + ")", e);
    }
    LOG.info("kube-apiserver cluster {} serves {} in {} ms, pid {}, etcd prefix {} (kubeconfig {}, log {})", name,
        server.url(), (System.nanoTime() - t0) / 1_000_000, server.pid(), storage.prefix(), kubeconfig,
        server.logFile());
  }

  /** The bootstrap controller creates {@code default} just after {@code /readyz}; tests must not race it. */
  private void awaitDefaultNamespace() {
    long deadline = System.nanoTime() + CRD_TIMEOUT.toNanos();
    while (client.namespaces().withName("default").get() == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("namespace default was not created in time");
      }
      try {
        // Polling the server's bootstrap: there is nothing to wait on but time.
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for namespace default", e);
      }
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** {@code https://127.0.0.1:PORT}; the same across restarts. */
  @Override
  public URI apiServer() {
    return server.url();
  }

  /** The shared admin client ({@code system:masters}); closed with the cluster. */
  @Override
  public KubernetesClient client() {
    return client;
  }

  @Override
  public KubernetesClient newClient() {
    return newClient(server.url());
  }

  /**
   * An admin client through another address, e.g. {@code proxy.uri("https")} of a {@code TcpProxy} in front of
   * this server. The serving certificate names 127.0.0.1 and localhost, so a loopback proxy passes the host name
   * check; for any other host it is skipped (the CA is still checked).
   */
  @Override
  public KubernetesClient newClient(URI apiServerOverride) {
    return Kubeconfigs.tlsClient(apiServerOverride, pki.caPem(), pki.admin(), null);
  }

  /** The admin kubeconfig, with the CA and the client certificate embedded; {@code kubectl --kubeconfig} works. */
  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  /**
   * A token of ServiceAccount {@code namespace/serviceAccount} from the TokenRequest API, valid for a day; the
   * namespace and the ServiceAccount are created when missing.
   */
  public String tokenFor(String namespace, String serviceAccount) {
    return ServiceAccountTokens.token(client, namespace, serviceAccount);
  }

  /**
   * A client acting as ServiceAccount {@code namespace/serviceAccount} (created when missing): RBAC judges every
   * request. Shared per account and closed with the cluster; do not close it yourself.
   */
  public KubernetesClient clientAs(String namespace, String serviceAccount) {
    return serviceAccountClients.computeIfAbsent(namespace + "/" + serviceAccount,
        k -> newClientAs(namespace, serviceAccount, server.url()));
  }

  /** A fresh client acting as the ServiceAccount, through {@code apiServerOverride}; the caller closes it. */
  public KubernetesClient newClientAs(String namespace, String serviceAccount, URI apiServerOverride) {
    return Kubeconfigs.tlsClient(apiServerOverride, pki.caPem(), null, tokenFor(namespace, serviceAccount));
  }

  /**
   * A kubeconfig acting as the ServiceAccount, e.g. for {@code kubectl auth can-i}; written next to
   * {@link #kubeconfig()} as {@code <cluster>-<namespace>-<sa>.kubeconfig}, context named after the cluster.
   */
  public Path kubeconfigAs(String namespace, String serviceAccount) {
    return Kubeconfigs.writeTls(dir, name + "-" + namespace + "-" + serviceAccount, name, server.url(), pki.caPem(),
        ServiceAccountTokens.user(namespace, serviceAccount),
        Map.of("token", tokenFor(namespace, serviceAccount)));
  }

  /** Creates the MultiClusterLease CRD unless it exists and waits until it is served. */
  public void installCrd() {
    CrdInstaller.install(client, CRD_TIMEOUT);
  }

  /** Deletes the MultiClusterLease CRD; the server deletes every MultiClusterLease with it. */
  public void uninstallCrd() {
    CrdInstaller.uninstall(client, CRD_TIMEOUT);
  }

  /** Graceful stop of the kube-apiserver (SIGTERM): clients get connection refused until {@link #start()}. */
  public void stop() {
    server.stop();
  }

  /** SIGKILL of the kube-apiserver, as a crash. Storage is untouched: nothing acknowledged is lost. */
  public void kill() {
    server.kill();
  }

  /**
   * SIGSTOP of the kube-apiserver: it stops answering but keeps its port and connections, so clients hang until their
   * own timeouts instead of failing fast (a long GC pause, a throttled or migrating node). {@link #thaw()} resumes it.
   */
  public void freeze() {
    Signals.freeze(server.pid());
  }

  /** SIGCONT after {@link #freeze()}. */
  public void thaw() {
    Signals.thaw(server.pid());
  }

  /** Starts the kube-apiserver again (same port, certificates, storage); returns once it serves the CRD. */
  public void start() {
    server.start(START_TIMEOUT);
    if (crd) {
      CrdInstaller.install(client, CRD_TIMEOUT);
    }
  }

  /** A crash and a restart: {@link #kill()}, then {@link #start()}. */
  public void restart() {
    kill();
    start();
  }

  /** Whether the kube-apiserver process runs. */
  public boolean isRunning() {
    return server.isRunning();
  }

  /** The kube-apiserver's stdout and stderr, appended across restarts. */
  public Path logFile() {
    return server.logFile();
  }

  /**
   * The etcd process that stores only this cluster's objects, when its provider gives each cluster its own
   * ({@link ApiServerStorage#ETCD_PER_CLUSTER}); empty for a shared etcd, which faults must leave alone.
   */
  public Optional<EtcdCluster> ownStorage() {
    return Optional.ofNullable(storage.ownEtcd());
  }

  /** The etcd key prefix of this cluster's objects. */
  public String etcdPrefix() {
    return storage.prefix();
  }

  /** The kube-apiserver's pid (changes on restart). */
  public long pid() {
    return server.pid();
  }

  /** The kube-apiserver's resident memory in bytes, or -1 when unknown. */
  public long residentBytes() {
    return server.residentBytes();
  }

  /** The cluster's certificates, e.g. to issue a client certificate for another user or group. */
  public ClusterPki pki() {
    return pki;
  }

  /** Whether this is one of {@link ApiServerClusterProvider#shared()}'s clusters, whose {@link #close()} is a no-op. */
  public boolean isShared() {
    return shared;
  }

  /**
   * Stops the server, closes its clients and deletes its files. A no-op for a {@link #isShared() shared} cluster,
   * which lives until the JVM exits because other tests use it too.
   */
  @Override
  public void close() {
    if (shared) {
      LOG.debug("close() of shared cluster {} ignored: it is closed when the JVM exits", name);
      return;
    }
    destroy();
  }

  /** The real close, also for shared clusters. Idempotent. */
  void destroy() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    serviceAccountClients.values().forEach(KubernetesClient::close);
    client.close();
    // Killed, not stopped: its storage is thrown away, so a graceful drain would only cost seconds.
    server.kill();
    storage.release();
    TempDirs.deleteRecursively(dir);
    LOG.info("kube-apiserver cluster {} closed", name);
  }

  @Override
  public String toString() {
    return "ApiServerCluster[" + name + " " + server.url() + "]";
  }
}
