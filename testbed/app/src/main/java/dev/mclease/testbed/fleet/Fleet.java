package dev.mclease.testbed.fleet;

import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.cluster.ApiServerStorage;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import dev.mclease.testbed.history.History;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole multi-cluster election on one machine: N clusters, a shared lock store (etcd by default; PostgreSQL,
 * ZooKeeper, dynalite, fake-gcs-server or a hub cluster with {@link Builder#backend(String)}), one election
 * controller per cluster and K candidates per cluster, every link behind a proxy that faults can cut, every
 * leadership change recorded in one {@link History}.
 */
public final class Fleet implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);

  private final Builder spec;
  private final ClusterProvider provider;
  /** The namespace of this fleet's MultiClusterLease: a fresh one per fleet on shared API servers. */
  private final String namespace;
  private final EtcdCluster etcd;
  private final LockStore store;
  private final History history;
  private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
  private final List<Consumer<CandidateNode>> listeners = new CopyOnWriteArrayList<>();

  private Fleet(Builder spec) {
    this.spec = spec;
    this.history = spec.history != null ? spec.history : new History();
    String kind = ClusterProvider.resolve(spec.clusterKind);
    // Real API servers cost seconds and ~270 MiB each: fleets in one JVM share them by cluster name, each fleet in a
    // namespace of its own (its controllers watch only that one), unless it breaks clusters (ownClusters).
    boolean shared = ApiServerClusterProvider.KIND.equals(kind) && !spec.ownClusters && !spec.ownStorage;
    this.provider = shared ? ApiServerClusterProvider.shared()
        : spec.ownStorage && ApiServerClusterProvider.KIND.equals(kind)
            ? new ApiServerClusterProvider(ApiServerStorage.ETCD_PER_CLUSTER, List.of())
            : ClusterProvider.create(kind);
    this.namespace = spec.namespace != null ? spec.namespace
        : shared ? "fleet-" + UUID.randomUUID().toString().substring(0, 8) : "default";
    if ("embedded".equals(kind)) {
      LOG.warn("This fleet runs on embedded clusters (fabric8's mock server), not real kube-apiservers: {}",
          spec.clusterKind != null && !"auto".equals(spec.clusterKind) ? "asked for explicitly"
              : "no kube-apiserver binary was found (./mcl test or ./mcl demo builds one), so its evidence comes from"
                  + " a mock");
    }
    EtcdCluster startedEtcd = null;
    LockStore startedStore = null;
    try {
      if ("etcd".equals(spec.backend)) {
        startedEtcd = spec.etcdEndpoints.isEmpty() ? EtcdProvider.start(spec.etcdMembers)
            : EtcdProvider.external(spec.etcdEndpoints);
        startedStore = LockStore.etcd(startedEtcd);
      } else {
        startedStore = LockStore.start(spec.backend, spec.timings, provider);
      }
      this.etcd = startedEtcd;
      this.store = startedStore;
      List<? extends Cluster> clusters = provider instanceof ApiServerClusterProvider a
          ? a.startAll(spec.clusters.toArray(String[]::new))
          : spec.clusters.stream().map(provider::start).toList();
      for (Cluster cluster : clusters) {
        String name = cluster.name();
        cluster.ensureNamespace(namespace);
        ControllerNode controller = new ControllerNode(name, cluster, store, spec.timings, namespace,
            spec.controllerProcesses);
        List<CandidateNode> candidates = new ArrayList<>();
        for (int i = 1; i <= spec.candidatesPerCluster; i++) {
          candidates.add(new CandidateNode(name + "-" + i, name, cluster, namespace, spec.leaseName,
              spec.timings, history, this::candidateChanged));
        }
        nodes.put(name, new ClusterNode(name, cluster, controller, candidates));
      }
    } catch (RuntimeException e) {
      nodes.values().forEach(ClusterNode::close);
      provider.close();
      if (startedStore != null) {
        startedStore.close();
      } else if (startedEtcd != null) {
        startedEtcd.close();
      }
      throw e;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts every cluster's controller, then every candidate. The controllers start at the same time, as in a real
   * fleet, where each cluster's controller comes up on its own: one after the other, their connections and informer
   * syncs added up to most of a cold start. The first failure is thrown once every start has ended.
   */
  public Fleet start() {
    startAtOnce(nodes.values().stream().<Runnable>map(n -> () -> n.controller().start()).toList());
    nodes.values().forEach(n -> n.candidates().forEach(CandidateNode::start));
    return this;
  }

  /**
   * Starts every candidate and every controller at the same moment, each on a thread of its own, as a fleet deployed
   * at once does (pods start in no particular order and in parallel): the candidates' first heartbeats race the
   * controllers' session grants and informer syncs instead of waiting for them, and no controller waits for a
   * candidate's client to be built. Returns once all have started. The cold-start bench measures this.
   */
  public Fleet startTogether() {
    List<Runnable> starts = new ArrayList<>();
    for (ClusterNode n : nodes.values()) {
      n.candidates().forEach(c -> starts.add(c::start));
      starts.add(() -> n.controller().start());
    }
    startAtOnce(starts);
    return this;
  }

  /** Runs every start on a thread of its own; throws the first failure (others suppressed) once all have ended. */
  private static void startAtOnce(List<Runnable> starts) {
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (Runnable start : starts) {
      running.add(CompletableFuture.runAsync(start, command -> {
        Thread t = new Thread(command, "fleet-start");
        t.setDaemon(true);
        t.start();
      }));
    }
    RuntimeException failed = null;
    for (CompletableFuture<Void> f : running) {
      try {
        f.join();
      } catch (CompletionException e) {
        RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
        if (failed == null) {
          failed = cause;
        } else {
          failed.addSuppressed(cause);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  private void candidateChanged(CandidateNode candidate) {
    listeners.forEach(l -> l.accept(candidate));
  }

  /** Called (on an election thread) whenever a candidate starts or stops leading. */
  public void onLeadershipChange(Consumer<CandidateNode> listener) {
    listeners.add(listener);
  }

  public History history() {
    return history;
  }

  /** The fleet's etcd; only for etcd fleets ({@link #backend()} {@code etcd}). */
  public EtcdCluster etcd() {
    if (etcd == null) {
      throw new IllegalStateException("this fleet's lock store is " + store.kind() + ", not etcd; see store()");
    }
    return etcd;
  }

  /** The lock store the controllers contend in. */
  public LockStore store() {
    return store;
  }

  /** etcd, postgres, zookeeper, dynamodb, gcs or kubernetes. */
  public String backend() {
    return store.kind();
  }

  public Timings timings() {
    return spec.timings;
  }

  public String namespace() {
    return namespace;
  }

  public String leaseName() {
    return spec.leaseName;
  }

  public List<String> clusterNames() {
    return List.copyOf(nodes.keySet());
  }

  public ClusterNode cluster(String name) {
    ClusterNode node = nodes.get(name);
    if (node == null) {
      throw new IllegalArgumentException("no cluster '" + name + "' in this fleet; clusters: " + nodes.keySet());
    }
    return node;
  }

  public List<ClusterNode> clusters() {
    return List.copyOf(nodes.values());
  }

  public List<CandidateNode> candidates() {
    List<CandidateNode> all = new ArrayList<>();
    nodes.values().forEach(n -> all.addAll(n.candidates()));
    return Collections.unmodifiableList(all);
  }

  public CandidateNode candidate(String identity) {
    return candidates().stream().filter(c -> c.identity().equals(identity)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no candidate '" + identity + "'"));
  }

  /** Every candidate that counts itself leader right now (more than one would be split brain). */
  public List<CandidateNode> leaders() {
    return candidates().stream().filter(CandidateNode::isLeader).toList();
  }

  /** The single current leader, if exactly one candidate leads. */
  public Optional<CandidateNode> leader() {
    List<CandidateNode> leaders = leaders();
    return leaders.size() == 1 ? Optional.of(leaders.get(0)) : Optional.empty();
  }

  @Override
  public void close() {
    // a graceful shutdown: candidates release, so nothing is left waiting for a lease to run out
    nodes.values().forEach(n -> n.candidates().forEach(CandidateNode::release));
    nodes.values().forEach(ClusterNode::close);
    provider.close();
    store.close();
    LOG.info("fleet closed");
  }

  /** How to build a fleet; every setting has a default. */
  public static final class Builder {
    private List<String> clusters = List.of("east", "west", "south");
    private int etcdMembers = 1;
    private List<String> etcdEndpoints = List.of();
    private int candidatesPerCluster = 1;
    private Timings timings = Timings.fast();
    private String clusterKind;
    private boolean ownClusters;
    private boolean ownStorage;
    private boolean controllerProcesses;
    private String backend = "etcd";
    private String namespace;
    private String leaseName = "demo";
    private History history;

    /** Cluster names; default east, west, south. */
    public Builder clusters(List<String> names) {
      this.clusters = List.copyOf(names);
      return this;
    }

    public Builder clusters(String... names) {
      return clusters(List.of(names));
    }

    /** N clusters named east, west, south, north, then c5, c6, ... */
    public Builder clusterCount(int n) {
      List<String> names = new ArrayList<>(List.of("east", "west", "south", "north"));
      for (int i = 5; i <= n; i++) {
        names.add("c" + i);
      }
      return clusters(names.subList(0, n));
    }

    /** etcd members started for the fleet; default 1. */
    public Builder etcdMembers(int members) {
      this.etcdMembers = members;
      return this;
    }

    /** Use an existing etcd instead of starting one. */
    public Builder etcdEndpoints(List<String> endpoints) {
      this.etcdEndpoints = List.copyOf(endpoints);
      return this;
    }

    /** Candidates per cluster; default 1. */
    public Builder candidatesPerCluster(int k) {
      this.candidatesPerCluster = k;
      return this;
    }

    /** Default {@link Timings#fast()}. */
    public Builder timings(Timings timings) {
      this.timings = timings;
      return this;
    }

    /**
     * The global lock store: "etcd" (default), "postgres" (a throw-away PostgreSQL server), "zookeeper" (an
     * in-process ZooKeeper server), "dynamodb" (the dynalite emulator), "gcs" (the fake-gcs-server emulator) or
     * "kubernetes" (Leases in an extra cluster named "hub" of the same kind as the others).
     *
     * @throws IllegalArgumentException for any other value, listing the valid ones
     */
    public Builder backend(String kind) {
      this.backend = LockStore.validKind(kind);
      return this;
    }

    /**
     * "apiserver" (real kube-apiserver processes), "embedded" (fabric8's mock, patched), "k3s", or null/"auto"
     * (default: apiserver where the binaries exist, else k3s where Docker answers, else embedded, loudly).
     */
    public Builder clusterKind(String kind) {
      this.clusterKind = kind;
      return this;
    }

    /**
     * Fresh API servers of the fleet's own, closed with it, instead of the JVM's shared ones: for scenarios that
     * stop, restart or reconfigure a cluster (its CRD, say). Default false.
     */
    public Builder ownClusters(boolean own) {
      this.ownClusters = own;
      return this;
    }

    /**
     * Own API servers ({@link #ownClusters}) that each store into an etcd process of their own instead of one shared
     * by the fleet's clusters: for faults on a cluster's storage (SIGKILL of its etcd) that must leave the other
     * clusters alone. Costs an etcd process per cluster. Default false.
     */
    public Builder ownStorage(boolean own) {
      this.ownStorage = own;
      return this;
    }

    /**
     * Controllers as OS processes ({@code ControllerMain} in JVMs of their own, through the same proxies) instead
     * of in this JVM: for faults with real signals (SIGKILL, SIGSTOP). Lock stores etcd, postgres and zookeeper.
     * Their metrics registries and clocks are then the processes' own, not {@link ControllerNode#registry()} and
     * {@link ControllerNode#clock()}. Default false.
     */
    public Builder controllerProcesses(boolean processes) {
      this.controllerProcesses = processes;
      return this;
    }

    /**
     * The MultiClusterLease the candidates contend for; default a fresh namespace per fleet on shared API servers
     * (else {@code default}) and the name {@code demo}.
     */
    public Builder lease(String namespace, String name) {
      this.namespace = namespace;
      this.leaseName = name;
      return this;
    }

    public Builder history(History history) {
      this.history = history;
      return this;
    }

    /** Brings up clusters, etcd and controllers' proxies; call {@link Fleet#start()} to start the election. */
    public Fleet build() {
      if (clusters.isEmpty() || candidatesPerCluster < 0 || etcdMembers < 1) {
        throw new IllegalArgumentException("a fleet needs at least one cluster and one etcd member");
      }
      if (clusters.contains(LockStore.HUB) && "kubernetes".equals(backend)) {
        throw new IllegalArgumentException("cluster name '" + LockStore.HUB + "' is taken by the hub cluster");
      }
      return new Fleet(this);
    }
  }

  /** Time a caller should allow for a first leader after {@link #start()}. */
  public Duration firstLeaderBound() {
    return spec.timings.leaseDuration().plus(spec.timings.retryPeriod().multipliedBy(10)).plusSeconds(5);
  }
}
