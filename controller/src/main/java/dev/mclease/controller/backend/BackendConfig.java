package dev.mclease.controller.backend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which global lock backend to run and how to reach it; {@link BackendFactory} builds it. Immutable; build with
 * {@link #builder(Kind)}. Only the fields of the chosen kind are used (and validated).
 */
public final class BackendConfig {

  /**
   * G by default: 15 s, one second above both timing rules at the other defaults ({@code K + D + M} = {@code D + R + M}
   * = 14 s), so that losing the leader's controller or cluster costs about what a candidate crash costs (L = 15 s)
   * rather than more (docs/tuning.md, "Choosing G").
   */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);

  /** The backends selectable by configuration. */
  public enum Kind {
    ETCD, POSTGRES, ZOOKEEPER, KUBERNETES, DYNAMODB, GCS;

    /** {@code etcd}, {@code postgres}, {@code zookeeper}, {@code kubernetes}, {@code dynamodb} or {@code gcs}. */
    public static Kind parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown backend '" + name + "': use etcd, postgres, zookeeper,"
            + " kubernetes, dynamodb or gcs (docs/backends.md)");
      }
    }

    public String flagValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Builder b;

  private BackendConfig(Builder b) {
    this.b = b;
    validate();
  }

  public static Builder builder(Kind kind) {
    return new Builder(kind);
  }

  private void validate() {
    if (b.ttl.isNegative() || b.ttl.isZero() || b.renewInterval.isNegative() || b.renewInterval.isZero()
        || b.renewInterval.compareTo(b.ttl) >= 0) {
      throw new IllegalArgumentException("backend TTL " + b.ttl + " and renew interval " + b.renewInterval
          + ": need 0 < renew interval < TTL");
    }
    switch (b.kind) {
      case ETCD -> require(!b.etcdEndpoints.isEmpty(), "--etcd-endpoints (MCL_ETCD_ENDPOINTS) is required for"
          + " --backend etcd, e.g. http://etcd:2379");
      case POSTGRES -> require(b.postgresUrl != null && !b.postgresUrl.isBlank(), "--postgres-url"
          + " (MCL_POSTGRES_URL) is required for --backend postgres, e.g. jdbc:postgresql://db:5432/mclease");
      case ZOOKEEPER -> require(b.zookeeperConnect != null && !b.zookeeperConnect.isBlank(), "--zookeeper-connect"
          + " (MCL_ZOOKEEPER_CONNECT) is required for --backend zookeeper, e.g. zk-0:2181,zk-1:2181,zk-2:2181");
      case KUBERNETES -> require(b.hubNamespace != null && !b.hubNamespace.isBlank(), "--hub-namespace"
          + " (MCL_HUB_NAMESPACE) must name the hub cluster's namespace that holds the Leases");
      case DYNAMODB -> require(b.dynamoRegion != null && !b.dynamoRegion.isBlank(), "--dynamodb-region"
          + " (MCL_DYNAMODB_REGION or AWS_REGION) is required for --backend dynamodb, e.g. eu-west-1");
      case GCS -> validateGcs();
      default -> throw new IllegalStateException();
    }
  }

  private void validateGcs() {
    require(b.gcsBucket != null && !b.gcsBucket.isBlank(), "--gcs-bucket (MCL_GCS_BUCKET) is required for --backend"
        + " gcs: an existing bucket in one region (or dual-region), e.g. my-project-mclease");
    require(b.gcsBucket.equals(b.gcsBucket.trim()) && !b.gcsBucket.contains("/") && !b.gcsBucket.startsWith("gs:"),
        "--gcs-bucket takes the bucket's name only, e.g. my-bucket, not gs://my-bucket/path: put the path in"
            + " --gcs-prefix");
    require(!b.gcsPrefix.isBlank() && !b.gcsPrefix.startsWith("/") && !b.gcsPrefix.endsWith("/"), "--gcs-prefix '"
        + b.gcsPrefix + "' must be an object name prefix without a leading or trailing '/', e.g. mclease");
    require(b.gcsEndpoint == null || b.gcsEndpoint.startsWith("http://") || b.gcsEndpoint.startsWith("https://"),
        "--gcs-endpoint '" + b.gcsEndpoint + "' must be a URL such as http://127.0.0.1:4443 (an emulator)");
    require(b.gcsEndpoint != null || b.renewInterval.compareTo(Duration.ofSeconds(1)) >= 0, "--backend-renew-interval "
        + b.renewInterval.toMillis() + "ms is too short for --backend gcs: Cloud Storage allows about one write per"
        + " second to one object and the session object is rewritten every interval; use 1s or more (default 2s)");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public Kind kind() {
    return b.kind;
  }

  /** G. Default 20 s. */
  public Duration ttl() {
    return b.ttl;
  }

  /** K. Default 2 s. */
  public Duration renewInterval() {
    return b.renewInterval;
  }

  /** Upper bound of one request: default 2·K clamped to [1 s, G/2] (PostgreSQL: whole seconds). */
  public Duration requestTimeout() {
    if (b.requestTimeout != null) {
      return b.requestTimeout;
    }
    Duration d = b.renewInterval.multipliedBy(2);
    Duration min = Duration.ofSeconds(1);
    Duration max = b.ttl.dividedBy(2);
    return d.compareTo(min) < 0 ? min : (d.compareTo(max) > 0 ? max : d);
  }

  public List<String> etcdEndpoints() {
    return b.etcdEndpoints;
  }

  public Path etcdCa() {
    return b.etcdCa;
  }

  public Path etcdCert() {
    return b.etcdCert;
  }

  public Path etcdKey() {
    return b.etcdKey;
  }

  /** Key prefix (etcd) or base path (ZooKeeper). Default {@code /mclease/leases}. */
  public String keyPrefix() {
    return b.keyPrefix;
  }

  public String postgresUrl() {
    return b.postgresUrl;
  }

  public String postgresUser() {
    return b.postgresUser;
  }

  public String postgresPassword() {
    return b.postgresPassword;
  }

  /** Prefix of the tables, sequence and channel. Default {@code mclease}. */
  public String postgresTable() {
    return b.postgresTable;
  }

  public String zookeeperConnect() {
    return b.zookeeperConnect;
  }

  /** Kubeconfig of the hub cluster; null = in-cluster / default kubeconfig. */
  public Path hubKubeconfig() {
    return b.hubKubeconfig;
  }

  /** Context in {@link #hubKubeconfig()}; null = its current context. */
  public String hubContext() {
    return b.hubContext;
  }

  /** Hub namespace holding the Leases. Default {@code mclease-system}. */
  public String hubNamespace() {
    return b.hubNamespace;
  }

  /** Lease name prefix in the hub. Default {@code mclease}. */
  public String hubLeasePrefix() {
    return b.hubLeasePrefix;
  }

  /** DynamoDB endpoint override (e.g. a VPC endpoint or an emulator); null = the region's public endpoint. */
  public String dynamoEndpoint() {
    return b.dynamoEndpoint;
  }

  public String dynamoRegion() {
    return b.dynamoRegion;
  }

  /** DynamoDB table (partition key {@code pk}, string). Default {@code mclease-locks}. */
  public String dynamoTable() {
    return b.dynamoTable;
  }

  /** Create the table when it is missing. Default false. */
  public boolean dynamoCreateTable() {
    return b.dynamoCreateTable;
  }

  /** Static dummy credentials (for an emulator) instead of the AWS default credentials chain. Default false. */
  public boolean dynamoDummyCredentials() {
    return b.dynamoDummyCredentials;
  }

  /** GCS bucket holding the lock and session objects (must exist). */
  public String gcsBucket() {
    return b.gcsBucket;
  }

  /** Object name prefix in the bucket. Default {@code mclease}. */
  public String gcsPrefix() {
    return b.gcsPrefix;
  }

  /**
   * GCS endpoint of an emulator (e.g. {@code http://127.0.0.1:4443}): requests then carry no credentials; null = Google's
   * endpoint with the application-default credentials.
   */
  public String gcsEndpoint() {
    return b.gcsEndpoint;
  }

  @Override
  public String toString() {
    String where = switch (b.kind) {
      case ETCD -> "endpoints=" + b.etcdEndpoints + ", prefix=" + b.keyPrefix + ", tls=" + (b.etcdCa != null);
      case POSTGRES -> "url=" + b.postgresUrl + ", user=" + b.postgresUser + ", table=" + b.postgresTable;
      case ZOOKEEPER -> "connect=" + b.zookeeperConnect + ", basePath=" + b.keyPrefix;
      case DYNAMODB -> "region=" + b.dynamoRegion + ", endpoint=" + b.dynamoEndpoint + ", table=" + b.dynamoTable;
      case GCS -> "bucket=" + b.gcsBucket + ", prefix=" + b.gcsPrefix + ", endpoint="
          + (b.gcsEndpoint == null ? "(Google, application-default credentials)" : b.gcsEndpoint + " (no credentials)");
      case KUBERNETES -> "hub kubeconfig=" + (b.hubKubeconfig == null ? "(in-cluster/default)" : b.hubKubeconfig)
          + ", context=" + b.hubContext + ", namespace=" + b.hubNamespace + ", prefix=" + b.hubLeasePrefix;
    };
    return "BackendConfig{" + b.kind.flagValue() + ", G=" + b.ttl + ", K=" + b.renewInterval + ", " + where + "}";
  }

  public static final class Builder {
    private final Kind kind;
    private Duration ttl = DEFAULT_TTL;
    private Duration renewInterval = Duration.ofSeconds(2);
    private Duration requestTimeout;
    private List<String> etcdEndpoints = List.of();
    private Path etcdCa;
    private Path etcdCert;
    private Path etcdKey;
    private String keyPrefix = "/mclease/leases";
    private String postgresUrl;
    private String postgresUser;
    private String postgresPassword;
    private String postgresTable = "mclease";
    private String zookeeperConnect;
    private Path hubKubeconfig;
    private String hubContext;
    private String hubNamespace = "mclease-system";
    private String hubLeasePrefix = "mclease";
    private String dynamoEndpoint;
    private String dynamoRegion;
    private String dynamoTable = "mclease-locks";
    private boolean dynamoCreateTable;
    private boolean dynamoDummyCredentials;
    private String gcsBucket;
    private String gcsPrefix = "mclease";
    private String gcsEndpoint;

    private Builder(Kind kind) {
      this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Builder ttl(Duration v) {
      ttl = Objects.requireNonNull(v);
      return this;
    }

    public Builder renewInterval(Duration v) {
      renewInterval = Objects.requireNonNull(v);
      return this;
    }

    public Builder requestTimeout(Duration v) {
      requestTimeout = v;
      return this;
    }

    public Builder etcd(List<String> endpoints, Path ca, Path cert, Path key) {
      etcdEndpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
      etcdCa = ca;
      etcdCert = cert;
      etcdKey = key;
      return this;
    }

    public Builder keyPrefix(String v) {
      if (v != null && !v.isBlank()) {
        keyPrefix = v;
      }
      return this;
    }

    public Builder postgres(String url, String user, String password, String table) {
      postgresUrl = url;
      postgresUser = user;
      postgresPassword = password;
      if (table != null && !table.isBlank()) {
        postgresTable = table;
      }
      return this;
    }

    public Builder zookeeper(String connect) {
      zookeeperConnect = connect;
      return this;
    }

    public Builder hub(Path kubeconfig, String context, String namespace, String leasePrefix) {
      hubKubeconfig = kubeconfig;
      hubContext = context == null || context.isBlank() ? null : context;
      if (namespace != null && !namespace.isBlank()) {
        hubNamespace = namespace;
      }
      if (leasePrefix != null && !leasePrefix.isBlank()) {
        hubLeasePrefix = leasePrefix;
      }
      return this;
    }

    public Builder dynamoDb(String endpoint, String region, String table, boolean createTable,
        boolean dummyCredentials) {
      dynamoEndpoint = endpoint == null || endpoint.isBlank() ? null : endpoint;
      dynamoRegion = region;
      if (table != null && !table.isBlank()) {
        dynamoTable = table;
      }
      dynamoCreateTable = createTable;
      dynamoDummyCredentials = dummyCredentials;
      return this;
    }

    /**
     * @param bucket an existing bucket
     * @param prefix object name prefix; null or blank = {@code mclease}
     * @param endpoint an emulator's URL (no credentials are sent); null or blank = Google with application-default
     *     credentials
     */
    public Builder gcs(String bucket, String prefix, String endpoint) {
      gcsBucket = bucket;
      if (prefix != null && !prefix.isBlank()) {
        gcsPrefix = prefix;
      }
      gcsEndpoint = endpoint == null || endpoint.isBlank() ? null : endpoint;
      return this;
    }

    public BackendConfig build() {
      return new BackendConfig(this);
    }
  }
}
