package dev.mclease.controller;

import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar mclease-controller.jar --cluster-name east --etcd-endpoints https://etcd:2379 ...}: the
 * election controller of one cluster with the global lock backend chosen by {@code --backend} (etcd by default;
 * postgres, zookeeper, kubernetes, dynamodb, gcs), health endpoints and Prometheus metrics. Every flag
 * has an environment variable (shown in {@code --help}); Kubernetes access comes from the in-cluster
 * ServiceAccount or KUBECONFIG.
 */
@Command(name = "mclease-controller", mixinStandardHelpOptions = true, version = "mclease-controller 0.1.0",
    description = "MultiClusterLease election controller.", showDefaultValues = true)
public final class ControllerMain implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerMain.class);

  @Option(names = "--cluster-name", defaultValue = "${env:MCL_CLUSTER_NAME}", required = true,
      description = "Name of this cluster, unique in the fleet (env MCL_CLUSTER_NAME).")
  String clusterName;

  @Option(names = "--namespaces", defaultValue = "${env:MCL_NAMESPACES:-}", split = ",",
      description = "Comma-separated namespaces to serve; empty = all (env MCL_NAMESPACES).")
  List<String> namespaces;

  @Option(names = "--backend", defaultValue = "${env:MCL_BACKEND:-etcd}",
      description = "Global lock backend: etcd, postgres, zookeeper, kubernetes, dynamodb or gcs (env MCL_BACKEND).")
  String backend;

  @Option(names = "--etcd-endpoints", defaultValue = "${env:MCL_ETCD_ENDPOINTS:-}", split = ",",
      description = "etcd client URLs, comma-separated; required for --backend etcd (env MCL_ETCD_ENDPOINTS).")
  List<String> etcdEndpoints;

  @Option(names = "--etcd-ca", defaultValue = "${env:MCL_ETCD_CA}", description = "PEM CA file (env MCL_ETCD_CA).")
  Path etcdCa;

  @Option(names = "--etcd-cert", defaultValue = "${env:MCL_ETCD_CERT}",
      description = "PEM client certificate (env MCL_ETCD_CERT).")
  Path etcdCert;

  @Option(names = "--etcd-key", defaultValue = "${env:MCL_ETCD_KEY}",
      description = "PEM PKCS#8 client key (env MCL_ETCD_KEY).")
  Path etcdKey;

  @Option(names = "--etcd-key-prefix", defaultValue = "${env:MCL_ETCD_KEY_PREFIX:-/mclease/leases}",
      description = "Prefix of the backend keys (env MCL_ETCD_KEY_PREFIX).")
  String keyPrefix;

  @Option(names = "--postgres-url", defaultValue = "${env:MCL_POSTGRES_URL}",
      description = "JDBC URL, e.g. jdbc:postgresql://db:5432/mclease?sslmode=verify-full; required for --backend"
          + " postgres (env MCL_POSTGRES_URL).")
  String postgresUrl;

  @Option(names = "--postgres-user", defaultValue = "${env:MCL_POSTGRES_USER}",
      description = "Database user (env MCL_POSTGRES_USER).")
  String postgresUser;

  @Option(names = "--postgres-password", defaultValue = "${env:MCL_POSTGRES_PASSWORD}",
      description = "Database password; prefer the env MCL_POSTGRES_PASSWORD from a Secret.")
  String postgresPassword;

  @Option(names = "--postgres-table", defaultValue = "${env:MCL_POSTGRES_TABLE:-mclease}",
      description = "Prefix of the tables <p>_locks, <p>_sessions, the sequence <p>_tokens and the NOTIFY channel"
          + " (env MCL_POSTGRES_TABLE).")
  String postgresTable;

  @Option(names = "--zookeeper-connect", defaultValue = "${env:MCL_ZOOKEEPER_CONNECT}",
      description = "ZooKeeper connect string host:port,…; required for --backend zookeeper"
          + " (env MCL_ZOOKEEPER_CONNECT).")
  String zookeeperConnect;

  @Option(names = "--zookeeper-base-path", defaultValue = "${env:MCL_ZOOKEEPER_BASE_PATH:-/mclease/leases}",
      description = "Parent znode of the lock nodes (env MCL_ZOOKEEPER_BASE_PATH).")
  String zookeeperBasePath;

  @Option(names = "--hub-kubeconfig", defaultValue = "${env:MCL_HUB_KUBECONFIG}",
      description = "Kubeconfig of the hub cluster for --backend kubernetes; none = this pod's own cluster"
          + " (env MCL_HUB_KUBECONFIG).")
  Path hubKubeconfig;

  @Option(names = "--hub-context", defaultValue = "${env:MCL_HUB_CONTEXT}",
      description = "Context in the hub kubeconfig; none = its current context (env MCL_HUB_CONTEXT).")
  String hubContext;

  @Option(names = "--hub-namespace", defaultValue = "${env:MCL_HUB_NAMESPACE:-mclease-system}",
      description = "Hub namespace holding the Leases (env MCL_HUB_NAMESPACE).")
  String hubNamespace;

  @Option(names = "--hub-lease-prefix", defaultValue = "${env:MCL_HUB_LEASE_PREFIX:-mclease}",
      description = "Name prefix of the hub Leases (env MCL_HUB_LEASE_PREFIX).")
  String hubLeasePrefix;

  @Option(names = "--dynamodb-region", defaultValue = "${env:MCL_DYNAMODB_REGION:-${env:AWS_REGION:-}}",
      description = "AWS region; required for --backend dynamodb (env MCL_DYNAMODB_REGION or AWS_REGION).")
  String dynamoRegion;

  @Option(names = "--dynamodb-endpoint", defaultValue = "${env:MCL_DYNAMODB_ENDPOINT}",
      description = "Endpoint override, e.g. a VPC endpoint URL; none = the region's (env MCL_DYNAMODB_ENDPOINT).")
  String dynamoEndpoint;

  @Option(names = "--dynamodb-table", defaultValue = "${env:MCL_DYNAMODB_TABLE:-mclease-locks}",
      description = "Table with string partition key 'pk' (env MCL_DYNAMODB_TABLE).")
  String dynamoTable;

  @Option(names = "--dynamodb-create-table", defaultValue = "${env:MCL_DYNAMODB_CREATE_TABLE:-false}",
      description = "Create the table when missing (env MCL_DYNAMODB_CREATE_TABLE).")
  boolean dynamoCreateTable;

  @Option(names = "--gcs-bucket", defaultValue = "${env:MCL_GCS_BUCKET}",
      description = "Existing GCS bucket for the lock and session objects; required for --backend gcs (env"
          + " MCL_GCS_BUCKET). Credentials: the application-default chain (workload identity,"
          + " GOOGLE_APPLICATION_CREDENTIALS).")
  String gcsBucket;

  @Option(names = "--gcs-prefix", defaultValue = "${env:MCL_GCS_PREFIX:-mclease}",
      description = "Object name prefix in the bucket (env MCL_GCS_PREFIX).")
  String gcsPrefix;

  @Option(names = "--gcs-endpoint", defaultValue = "${env:MCL_GCS_ENDPOINT}",
      description = "An emulator's URL, e.g. http://127.0.0.1:4443: no credentials are sent; none = Google's"
          + " (env MCL_GCS_ENDPOINT).")
  String gcsEndpoint;

  @Option(names = "--backend-ttl", defaultValue = "${env:MCL_BACKEND_TTL:-15s}", converter = DurationConverter.class,
      description = "G: TTL of the backend session (etcd: whole seconds) (env MCL_BACKEND_TTL).")
  Duration backendTtl;

  @Option(names = "--backend-renew-interval", defaultValue = "${env:MCL_BACKEND_RENEW_INTERVAL:-2s}",
      converter = DurationConverter.class, description = "K: session renewal interval (env MCL_BACKEND_RENEW_INTERVAL).")
  Duration backendRenewInterval;

  @Option(names = "--candidate-renew-deadline", defaultValue = "${env:MCL_CANDIDATE_RENEW_DEADLINE:-10s}",
      converter = DurationConverter.class,
      description = "D: the renew deadline assumed for candidates that do not publish spec.renewDeadlineMilliseconds "
          + "(clients before 0.2), and the shortest confirmation window granted to those that do "
          + "(env MCL_CANDIDATE_RENEW_DEADLINE).")
  Duration renewDeadline;

  @Option(names = "--candidate-retry-period", defaultValue = "${env:MCL_CANDIDATE_RETRY_PERIOD:-2s}",
      converter = DurationConverter.class,
      description = "R: the candidates' retry period (env MCL_CANDIDATE_RETRY_PERIOD).")
  Duration retryPeriod;

  @Option(names = "--standby-recheck", defaultValue = "${env:MCL_STANDBY_RECHECK:-1m}",
      converter = DurationConverter.class,
      description = "How often a standby asks the backend again without a watch event: its only per-lease backend "
          + "request (env MCL_STANDBY_RECHECK).")
  Duration standbyRecheck;

  @Option(names = "--worker-threads", defaultValue = "${env:MCL_WORKER_THREADS:-32}",
      description = "Threads that run the leases' reconciles, each of which waits for its lock-store call, and as many "
          + "again that send the leases' status writes; this bounds each kind in flight (env MCL_WORKER_THREADS).")
  int workerThreads;

  @Option(names = "--safety-margin", defaultValue = "${env:MCL_SAFETY_MARGIN:-2s}", converter = DurationConverter.class,
      description = "M: margin in the echo rule (env MCL_SAFETY_MARGIN).")
  Duration safetyMargin;

  @Option(names = "--http-port", defaultValue = "${env:MCL_HTTP_PORT:-8080}",
      description = "Port of /healthz, /readyz and /metrics (env MCL_HTTP_PORT).")
  int httpPort;

  @Option(names = "--release-on-shutdown", defaultValue = "${env:MCL_RELEASE_ON_SHUTDOWN:-true}", negatable = true,
      description = "On SIGTERM, release held locks once safe instead of letting them expire after G"
          + " (env MCL_RELEASE_ON_SHUTDOWN).")
  boolean releaseOnShutdown;

  public static void main(String[] args) {
    routeJavaUtilLogging();
    System.exit(new CommandLine(new ControllerMain()).execute(args));
  }

  /**
   * gRPC, under jetcd, logs through {@code java.util.logging}: without this its lines would bypass logback's format
   * and levels. Only a main may do this; a library must not reconfigure its host's logging.
   */
  public static void routeJavaUtilLogging() {
    if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
      org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
      org.slf4j.bridge.SLF4JBridgeHandler.install();
    }
  }

  @Override
  public Integer call() throws Exception {
    ControllerConfig config = ControllerConfig.builder(clusterName)
        .namespaces(namespaces == null ? Set.of()
            : namespaces.stream().map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet()))
        .candidateRenewDeadline(renewDeadline)
        .candidateRetryPeriod(retryPeriod)
        .backendTtl(backendTtl)
        .backendRenewInterval(backendRenewInterval)
        .safetyMargin(safetyMargin)
        .standbyRecheck(standbyRecheck)
        .workerThreads(workerThreads)
        .build();
    config.validate();
    BackendConfig backendConfig = backendConfig();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    CountDownLatch done = new CountDownLatch(1);
    // the store connects while the API client starts and the CRD is checked: a cold start waits for the slower one
    try (PendingBackend backend = PendingBackend.connect(() -> BackendFactory.create(backendConfig, System::nanoTime));
        KubernetesClient client = new KubernetesClientBuilder().build();
        ElectionController controller = new ElectionController(client, backend.future(), config, Clock.systemUTC(),
            System::nanoTime, registry);
        HealthServer health = new HealthServer(httpPort, controller::isAlive, controller::isReady, registry)) {
      LOG.info("starting: {}, {}; health and metrics on :{}", config, backendConfig, health.port());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (releaseOnShutdown) {
          LOG.info("shutting down: releasing held locks once their last confirmations have lapsed");
          controller.releaseAll();
        }
        controller.close();
        done.countDown();
      }, "mclease-shutdown"));
      controller.start();
      done.await();
    }
    return 0;
  }

  /** The backend named by {@code --backend} with its flags; fails with a message naming the missing flag. */
  BackendConfig backendConfig() {
    BackendConfig.Kind kind = BackendConfig.Kind.parse(backend);
    return BackendConfig.builder(kind).ttl(backendTtl).renewInterval(backendRenewInterval)
        .etcd(etcdEndpoints == null ? List.of()
            : etcdEndpoints.stream().map(String::trim).filter(e -> !e.isEmpty()).toList(), etcdCa, etcdCert, etcdKey)
        .keyPrefix(kind == BackendConfig.Kind.ZOOKEEPER ? zookeeperBasePath : keyPrefix)
        .postgres(postgresUrl, postgresUser, postgresPassword, postgresTable)
        .zookeeper(zookeeperConnect)
        .hub(hubKubeconfig, hubContext, hubNamespace, hubLeasePrefix)
        .dynamoDb(dynamoEndpoint, dynamoRegion, dynamoTable, dynamoCreateTable, false)
        .gcs(gcsBucket, gcsPrefix, gcsEndpoint)
        .build();
  }

  /** Accepts {@code 20s}, {@code 1500ms}, {@code 2m} or ISO-8601 {@code PT20S}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase();
      if (v.startsWith("pt")) {
        return Duration.parse(value.trim());
      }
      for (String[] unit : Arrays.asList(new String[] {"ms", "MILLIS"}, new String[] {"s", "SECONDS"},
          new String[] {"m", "MINUTES"}, new String[] {"h", "HOURS"})) {
        if (v.endsWith(unit[0])) {
          String num = v.substring(0, v.length() - unit[0].length());
          try {
            java.math.BigDecimal n = new java.math.BigDecimal(num);
            long millis = n.multiply(java.math.BigDecimal.valueOf(switch (unit[1]) {
              case "MILLIS" -> 1L;
              case "SECONDS" -> 1000L;
              case "MINUTES" -> 60_000L;
              default -> 3_600_000L;
            })).longValueExact();
            return Duration.ofMillis(millis);
          } catch (NumberFormatException | ArithmeticException e) {
            break;
          }
        }
      }
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use e.g. 20s, 1500ms, 2m");
    }
  }
}
