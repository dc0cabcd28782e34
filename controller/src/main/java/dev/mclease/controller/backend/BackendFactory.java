package dev.mclease.controller.backend;

import dev.mclease.controller.backend.dynamodb.DynamoDbLockStore;
import dev.mclease.controller.backend.etcd.EtcdBackendConfig;
import dev.mclease.controller.backend.etcd.EtcdLockStore;
import dev.mclease.controller.backend.gcs.GcsLockStore;
import dev.mclease.controller.backend.kubernetes.HubLeaseStore;
import dev.mclease.controller.backend.postgres.PostgresLockStore;
import dev.mclease.controller.backend.zookeeper.ZooKeeperLockBackend;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.function.LongSupplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/** Builds the {@link GlobalLockBackend} a {@link BackendConfig} names. */
public final class BackendFactory {

  private BackendFactory() {
  }

  /**
   * Connects (lazily where the store allows: a store that is down yields errors and an unhealthy backend, not an
   * exception here) and starts the backend's session renewal.
   *
   * @param nanoTime the monotonic clock of {@link GlobalLockBackend#heldUntilNanos()}, normally
   *     {@code System::nanoTime}
   * @throws IllegalArgumentException when the configuration cannot work (the message says what to change)
   */
  public static GlobalLockBackend create(BackendConfig cfg, LongSupplier nanoTime) {
    return switch (cfg.kind()) {
      case ETCD -> EtcdLockStore.connect(EtcdBackendConfig.builder(cfg.etcdEndpoints()).ttl(cfg.ttl())
          .renewInterval(cfg.renewInterval()).keyPrefix(cfg.keyPrefix())
          .tls(cfg.etcdCa(), cfg.etcdCert(), cfg.etcdKey()).build(), nanoTime);
      case POSTGRES -> PostgresLockStore.start(cfg.postgresUrl(), cfg.postgresUser(), cfg.postgresPassword(),
          cfg.postgresTable(), cfg.ttl(), cfg.renewInterval(), cfg.requestTimeout(), nanoTime);
      case ZOOKEEPER -> ZooKeeperLockBackend.connect(cfg.zookeeperConnect(), cfg.keyPrefix(), cfg.ttl(),
          cfg.renewInterval(), cfg.requestTimeout(), nanoTime);
      case KUBERNETES -> HubLeaseStore.start(hubClient(cfg), true, cfg.hubNamespace(),
          cfg.hubLeasePrefix(), cfg.ttl(), cfg.renewInterval(), nanoTime);
      case DYNAMODB -> DynamoDbLockStore.start(dynamoClient(cfg), cfg.dynamoTable(), cfg.dynamoCreateTable(),
          cfg.ttl(), cfg.renewInterval(), nanoTime);
      case GCS -> GcsLockStore.start(gcsClient(cfg), cfg.gcsBucket(), cfg.gcsPrefix(), cfg.ttl(),
          cfg.renewInterval(), nanoTime);
    };
  }

  /** A DynamoDB client with the backend's request timeout, no SDK retries, the JDK's HTTP client. */
  public static DynamoDbClient dynamoClient(BackendConfig cfg) {
    java.time.Duration t = cfg.requestTimeout();
    DynamoDbClientBuilder b = DynamoDbClient.builder()
        .region(Region.of(cfg.dynamoRegion()))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(t).socketTimeout(t).build())
        .overrideConfiguration(c -> c.apiCallTimeout(t).apiCallAttemptTimeout(t).retryPolicy(RetryPolicy.none()))
        .credentialsProvider(cfg.dynamoDummyCredentials()
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"))
            : DefaultCredentialsProvider.create());
    if (cfg.dynamoEndpoint() != null) {
      b.endpointOverride(URI.create(cfg.dynamoEndpoint()));
    }
    return b.build();
  }

  /**
   * A GCS client (JSON API over HTTP) with the backend's request timeout and no retries of its own: the
   * application-default credentials (workload identity, GOOGLE_APPLICATION_CREDENTIALS, gcloud's), or none for an
   * emulator endpoint.
   */
  public static Storage gcsClient(BackendConfig cfg) {
    int ms = (int) cfg.requestTimeout().toMillis();
    StorageOptions.Builder b = StorageOptions.http()
        .setRetrySettings(ServiceOptions.getNoRetrySettings())
        .setTransportOptions(HttpTransportOptions.newBuilder().setConnectTimeout(ms).setReadTimeout(ms).build());
    if (cfg.gcsEndpoint() != null) {
      b.setHost(cfg.gcsEndpoint()).setProjectId("mclease-emulator").setCredentials(NoCredentials.getInstance());
    }
    return b.build().getService();
  }

  /** A client of the hub cluster with the backend's request timeout and no retries of its own. */
  static KubernetesClient hubClient(BackendConfig cfg) {
    Config base;
    if (cfg.hubKubeconfig() != null) {
      try {
        base = Config.fromKubeconfig(cfg.hubContext(), Files.readString(cfg.hubKubeconfig()),
            cfg.hubKubeconfig().toString());
      } catch (IOException e) {
        throw new IllegalArgumentException("hub kubeconfig " + cfg.hubKubeconfig() + " cannot be read: "
            + e.getMessage(), e);
      }
    } else {
      base = Config.autoConfigure(cfg.hubContext());
    }
    int ms = (int) cfg.requestTimeout().toMillis();
    base.setRequestTimeout(ms);
    base.setConnectionTimeout(ms);
    base.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(base).build();
  }
}
