package dev.mclease.testbed.fleet;

import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendConfig.Kind;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.store.DynaliteProvider;
import dev.mclease.testbed.store.DynaliteServer;
import dev.mclease.testbed.store.FakeGcsProvider;
import dev.mclease.testbed.store.FakeGcsServer;
import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import dev.mclease.testbed.store.ZooKeeperProvider;
import dev.mclease.testbed.store.ZooKeeperServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

/**
 * The global lock store a fleet's controllers contend in: etcd (default), PostgreSQL, ZooKeeper, DynamoDB (the
 * dynalite emulator), Google Cloud Storage (the fake-gcs-server emulator) or a hub Kubernetes cluster. Every
 * controller reaches it through its own {@link TcpProxy}s (one per {@link #targets() target}), so a fault can cut
 * one controller from the store.
 */
public abstract class LockStore implements AutoCloseable {

  /** The {@code --backend} values a fleet accepts. */
  public static final List<String> KINDS = List.of("etcd", "postgres", "zookeeper", "dynamodb", "gcs",
      "kubernetes");

  /** The name of the extra embedded cluster that holds the Leases of the {@code kubernetes} backend. */
  public static final String HUB = "hub";

  /** Checks {@code kind} against {@link #KINDS}. */
  public static String validKind(String kind) {
    if (kind == null || !KINDS.contains(kind)) {
      throw new IllegalArgumentException("unknown backend '" + kind + "': valid backends are "
          + String.join(", ", KINDS));
    }
    return kind;
  }

  /** etcd, postgres, zookeeper, dynamodb, gcs or kubernetes. */
  public abstract String kind();

  /** Where the store listens; each controller gets one proxy per target. */
  public abstract List<InetSocketAddress> targets();

  /** The backend configuration of one controller that reaches the store through {@code links}. */
  abstract BackendConfig config(String clusterName, List<TcpProxy> links, Timings timings);

  /** Human description for the CLI, e.g. {@code postgres jdbc:postgresql://127.0.0.1:5433/postgres}. */
  public abstract String describe();

  /** Whether {@link #kill()} / {@link #restart()} work (a store process that keeps its data). */
  public boolean restartable() {
    return true;
  }

  /** The store process crashes (SIGKILL or its equivalent); its data stays. */
  public abstract void kill();

  /** The killed store starts again with its data, on the same address. */
  public abstract void restart();

  @Override
  public abstract void close();

  static LockStore etcd(EtcdCluster etcd) {
    return new EtcdStore(etcd);
  }

  /** Starts the store of a non-etcd {@code kind}. */
  static LockStore start(String kind, Timings timings, ClusterProvider provider) {
    return switch (validKind(kind)) {
      case "postgres" -> ServerStore.postgres(PostgresProvider.start());
      case "zookeeper" -> ServerStore.zookeeper(ZooKeeperProvider.startFor(timings.backendTtl()));
      case "dynamodb" -> ServerStore.dynamodb(DynaliteProvider.start());
      case "gcs" -> ServerStore.gcs(FakeGcsProvider.start());
      case "kubernetes" -> new HubStore(provider.start(HUB));
      default -> throw new IllegalArgumentException("etcd is started by the fleet itself");
    };
  }

  static BackendConfig.Builder base(Kind kind, Timings t) {
    return BackendConfig.builder(kind).ttl(t.backendTtl()).renewInterval(t.backendRenewInterval());
  }

  static InetSocketAddress loopback(int port) {
    return InetSocketAddress.createUnresolved("127.0.0.1", port);
  }

  private static final class EtcdStore extends LockStore {
    private final EtcdCluster etcd;

    EtcdStore(EtcdCluster etcd) {
      this.etcd = etcd;
    }

    EtcdCluster cluster() {
      return etcd;
    }

    @Override
    public String kind() {
      return "etcd";
    }

    @Override
    public List<InetSocketAddress> targets() {
      return etcd.endpoints().stream().map(URI::create)
          .map(u -> InetSocketAddress.createUnresolved(u.getHost(), u.getPort())).toList();
    }

    @Override
    BackendConfig config(String clusterName, List<TcpProxy> links, Timings t) {
      return base(Kind.ETCD, t).etcd(links.stream().map(p -> p.uri("http").toString()).toList(), null, null, null)
          .build();
    }

    @Override
    public String describe() {
      return "etcd " + String.join(",", etcd.endpoints());
    }

    @Override
    public void kill() {
      for (int i = 0; i < etcd.size(); i++) {
        etcd.killMember(i);
      }
    }

    @Override
    public void restart() {
      for (int i = 0; i < etcd.size(); i++) {
        etcd.startMember(i);
      }
    }

    @Override
    public void close() {
      etcd.close();
    }
  }

  /**
   * A single store process on loopback (PostgreSQL, ZooKeeper, dynalite, fake-gcs-server) that can be killed and
   * restarted.
   */
  private static final class ServerStore extends LockStore {
    private final String kind;
    private final int port;
    private final String description;
    private final BiFunction<List<TcpProxy>, Timings, BackendConfig> config;
    private final Runnable kill;
    private final Runnable restart;
    private final Runnable close;

    ServerStore(String kind, int port, String description,
        BiFunction<List<TcpProxy>, Timings, BackendConfig> config, Runnable kill, Runnable restart,
        Runnable close) {
      this.kind = kind;
      this.port = port;
      this.description = description;
      this.config = config;
      this.kill = kill;
      this.restart = restart;
      this.close = close;
    }

    static ServerStore postgres(PostgresServer server) {
      return new ServerStore("postgres", server.port(), "postgres " + server.jdbcUrl(), (links, t) -> {
        URI via = links.get(0).uri("http");
        return base(Kind.POSTGRES, t).postgres("jdbc:postgresql://" + via.getHost() + ":" + via.getPort()
            + "/postgres", "postgres", "", "mclease").build();
      }, server::kill, server::start, server::close);
    }

    static ServerStore zookeeper(ZooKeeperServer server) {
      return new ServerStore("zookeeper", server.port(),
          "zookeeper " + server.connectString() + " (tickTime " + server.tickMs() + " ms)",
          (links, t) -> base(Kind.ZOOKEEPER, t).zookeeper(links.stream().map(p -> p.uri("http"))
              .map(u -> u.getHost() + ":" + u.getPort()).collect(Collectors.joining(","))).build(),
          server::stop, server::restart, server::close);
    }

    static ServerStore dynamodb(DynaliteServer server) {
      return new ServerStore("dynamodb", server.port(),
          "dynamodb (dynalite " + DynaliteProvider.VERSION + ") " + server.endpoint(), (links, t) -> {
            URI via = links.get(0).uri("http");
            return base(Kind.DYNAMODB, t).dynamoDb("http://" + via.getHost() + ":" + via.getPort(), "us-east-1",
                "mclease-locks", true, true).build();
          }, server::kill, server::start, server::close);
    }

    /** The bucket every controller of a gcs fleet uses (created when the emulator starts). */
    static final String GCS_BUCKET = "mclease-locks";

    static ServerStore gcs(FakeGcsServer server) {
      try {
        server.createBucket(GCS_BUCKET);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return new ServerStore("gcs", server.port(), "gcs (fake-gcs-server " + FakeGcsProvider.VERSION + ") "
          + server.endpoint() + ", bucket " + GCS_BUCKET, (links, t) -> {
            URI via = links.get(0).uri("http");
            return base(Kind.GCS, t).gcs(GCS_BUCKET, "mclease", "http://" + via.getHost() + ":" + via.getPort())
                .build();
          }, server::kill, server::start, server::close);
    }

    @Override
    public String kind() {
      return kind;
    }

    @Override
    public List<InetSocketAddress> targets() {
      return List.of(loopback(port));
    }

    @Override
    BackendConfig config(String clusterName, List<TcpProxy> links, Timings t) {
      return config.apply(links, t);
    }

    @Override
    public String describe() {
      return description;
    }

    @Override
    public void kill() {
      kill.run();
    }

    @Override
    public void restart() {
      restart.run();
    }

    @Override
    public void close() {
      close.run();
    }
  }

  /** Leases in an extra embedded cluster "hub"; each controller gets a kubeconfig that points at its proxy. */
  private static final class HubStore extends LockStore {
    private final Cluster hub;

    HubStore(Cluster hub) {
      this.hub = hub;
    }

    @Override
    public String kind() {
      return "kubernetes";
    }

    @Override
    public List<InetSocketAddress> targets() {
      return List.of(InetSocketAddress.createUnresolved(hub.apiServer().getHost(), hub.apiServer().getPort()));
    }

    @Override
    BackendConfig config(String clusterName, List<TcpProxy> links, Timings t) {
      URI via = links.get(0).uri(hub.apiServer().getScheme());
      Path kubeconfig = hub.kubeconfig().resolveSibling(HUB + "-via-" + clusterName + ".kubeconfig");
      try {
        String yaml = Files.readString(hub.kubeconfig(), StandardCharsets.UTF_8);
        String rewritten = yaml.replaceAll("(?m)^(\\s*server:\\s*).*$",
            "$1" + Matcher.quoteReplacement("\"" + via + "\""));
        Files.writeString(kubeconfig, rewritten, StandardCharsets.UTF_8);
        kubeconfig.toFile().deleteOnExit();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the hub kubeconfig for " + clusterName, e);
      }
      return base(Kind.KUBERNETES, t).hub(kubeconfig, null, "default", "mclease").build();
    }

    @Override
    public String describe() {
      return "kubernetes hub cluster " + hub.apiServer() + " (Leases in default), kubeconfig " + hub.kubeconfig();
    }

    /** The embedded hub keeps its objects in memory: a restart would lose them, so it cannot crash and come back. */
    @Override
    public boolean restartable() {
      return false;
    }

    @Override
    public void kill() {
      throw new UnsupportedOperationException("the embedded hub cannot be restarted with its data");
    }

    @Override
    public void restart() {
      throw new UnsupportedOperationException("the embedded hub cannot be restarted with its data");
    }

    @Override
    public void close() {
      hub.close();
    }
  }
}
