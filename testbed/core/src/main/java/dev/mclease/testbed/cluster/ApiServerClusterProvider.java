package dev.mclease.testbed.cluster;

import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.util.TempDirs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts {@link ApiServerCluster}s: real {@code kube-apiserver} processes (see {@link KubeBinaries} for where the
 * binaries come from), each with its own port, CA, kubeconfig and etcd prefix, all under this provider's temporary
 * directory. Starting one takes seconds and a few hundred MiB, so:
 *
 * <ul>
 *   <li>Tests that only need <em>a</em> real API server share one: {@code ApiServerClusterProvider.shared()
 *       .start("east")} returns the same long-lived cluster to every caller in the JVM, started on first use and
 *       closed when the JVM exits ({@code close()} on it, or on the shared provider, does nothing). Use a fresh
 *       namespace ({@link Cluster#ensureNamespace}) or lease name per test, and never stop, kill or restart a
 *       shared cluster: other tests are using it.</li>
 *   <li>Tests that break or restart a cluster own one: {@code new ApiServerClusterProvider()} (or
 *       {@code ClusterProvider.create("apiserver")}) and close it.</li>
 * </ul>
 *
 * <p>Safe for concurrent use: {@link #start} of different names runs in parallel (use {@link #startAll} to start
 * several at once), and two callers of the shared provider asking for the same name get the same cluster.
 */
public final class ApiServerClusterProvider implements ClusterProvider {

  /** {@code "apiserver"}, for {@link ClusterProvider#create(String)}. */
  public static final String KIND = "apiserver";
  private static final Logger LOG = LoggerFactory.getLogger(ApiServerClusterProvider.class);

  private final ApiServerStorage storage;
  private final List<String> extraArgs;
  private final boolean shared;
  private final ApiServerStorage.Shared sharedEtcd = new ApiServerStorage.Shared();
  private final Map<String, CompletableFuture<ApiServerCluster>> clusters = new ConcurrentHashMap<>();
  private final Path dir;
  private volatile boolean closed;

  /** A provider with storage from env {@code MCL_APISERVER_STORAGE}, by default one shared etcd. */
  public ApiServerClusterProvider() {
    this(ApiServerStorage.fromEnv(), List.of());
  }

  /**
   * A provider.
   *
   * @param storage where the servers keep their objects
   * @param extraArgs more kube-apiserver flags for every cluster, appended after the testbed's (a repeated flag wins)
   */
  public ApiServerClusterProvider(ApiServerStorage storage, List<String> extraArgs) {
    this(storage, extraArgs, false);
  }

  private ApiServerClusterProvider(ApiServerStorage storage, List<String> extraArgs, boolean shared) {
    this.storage = storage;
    this.extraArgs = List.copyOf(extraArgs);
    this.shared = shared;
    this.dir = TempDirs.create("mclease-apiserver-");
  }

  /**
   * The JVM-wide provider of shared clusters: {@link #start(String)} returns the cluster of that name, starting it
   * the first time. Its clusters and it ignore {@code close()}; they are closed when the JVM exits.
   */
  public static ApiServerClusterProvider shared() {
    return SharedHolder.INSTANCE;
  }

  /** Lazy, so that merely loading this class starts nothing. */
  private static final class SharedHolder {
    static final ApiServerClusterProvider INSTANCE = createShared();

    private static ApiServerClusterProvider createShared() {
      ApiServerClusterProvider p = new ApiServerClusterProvider(ApiServerStorage.fromEnv(), List.of(), true);
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "mclease-shared-apiservers"));
      return p;
    }
  }

  /**
   * A cluster named {@code name} with the MultiClusterLease CRD served. Fresh for a provider of one's own; for
   * {@link #shared()} the long-lived cluster of that name (started again if a test stopped it).
   *
   * @throws IllegalStateException when the binaries are missing (the message names {@code ./mcl test}) or the
   *     server does not come up (the message names its log)
   */
  @Override
  public ApiServerCluster start(String name) {
    return start(name, true);
  }

  /** As {@link #start(String)}; with {@code installCrd = false} the CRD is missing (404 for its resources). */
  public ApiServerCluster start(String name, boolean installCrd) {
    if (closed) {
      throw new IllegalStateException("This cluster provider is closed");
    }
    CompletableFuture<ApiServerCluster> mine = new CompletableFuture<>();
    CompletableFuture<ApiServerCluster> existing = clusters.putIfAbsent(name, mine);
    if (existing != null) {
      if (!shared) {
        throw new IllegalArgumentException("A cluster named '" + name + "' was already started by this provider");
      }
      ApiServerCluster c = join(existing);
      if (!c.isRunning()) {
        c.start();
      }
      return c;
    }
    try {
      KubeBinaries binaries = KubeBinaries.require();
      ApiServerStorage.Slot slot = storage.open(name, sharedEtcd);
      ApiServerCluster c = new ApiServerCluster(name, binaries, dir.resolve(safe(name)), slot, extraArgs,
          installCrd, shared);
      mine.complete(c);
      return c;
    } catch (RuntimeException e) {
      clusters.remove(name, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /** Starts clusters {@code names} in parallel (a 2-core machine still gains: much of a start is waiting). */
  public List<ApiServerCluster> startAll(String... names) {
    List<CompletableFuture<ApiServerCluster>> starts = new ArrayList<>();
    for (String n : names) {
      starts.add(CompletableFuture.supplyAsync(() -> start(n), r -> new Thread(r, "start-apiserver-" + n).start()));
    }
    List<ApiServerCluster> started = new ArrayList<>();
    RuntimeException failure = null;
    for (CompletableFuture<ApiServerCluster> f : starts) {
      try {
        started.add(join(f));
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      if (!shared) {
        started.forEach(ApiServerCluster::destroy);
      }
      throw failure;
    }
    return started;
  }

  private static ApiServerCluster join(CompletableFuture<ApiServerCluster> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  @Override
  public String kind() {
    return KIND;
  }

  /** Where the storage lives. */
  public ApiServerStorage storage() {
    return storage;
  }

  /** The etcd shared by this provider's clusters, or null (per-cluster storage, or no cluster started yet). */
  public EtcdCluster sharedEtcd() {
    return sharedEtcd.etcd();
  }

  /** The directory holding each cluster's certificates, kubeconfigs and {@code kube-apiserver.log}. */
  public Path dir() {
    return dir;
  }

  /** Whether this is {@link #shared()}. */
  public boolean isShared() {
    return shared;
  }

  /** Closes every cluster this provider started and its etcd. A no-op for {@link #shared()}. Idempotent. */
  @Override
  public void close() {
    if (shared) {
      return;
    }
    destroy();
  }

  private void destroy() {
    closed = true;
    for (CompletableFuture<ApiServerCluster> f : clusters.values()) {
      f.thenAccept(ApiServerCluster::destroy);
      if (!f.isDone()) {
        LOG.warn("A cluster of {} was still starting at close; it is closed when its start ends", dir);
      }
    }
    clusters.clear();
    sharedEtcd.close();
    TempDirs.deleteRecursively(dir);
  }
}
