package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mclease.controller.backend.BackendConfig;
import java.time.Duration;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/** {@code --backend} and each backend's flags become a {@link BackendConfig}; missing flags are named. */
class ControllerMainBackendTest {

  private static BackendConfig parse(String... args) {
    ControllerMain main = new ControllerMain();
    new CommandLine(main).parseArgs(args);
    return main.backendConfig();
  }

  @Test
  void etcdIsTheDefaultAndNeedsEndpoints() {
    BackendConfig c = parse("--cluster-name", "east", "--etcd-endpoints", "http://a:2379,http://b:2379");
    assertThat(c.kind()).isEqualTo(BackendConfig.Kind.ETCD);
    assertThat(c.etcdEndpoints()).containsExactly("http://a:2379", "http://b:2379");
    assertThat(c.ttl()).isEqualTo(Duration.ofSeconds(15));
    assertThatThrownBy(() -> parse("--cluster-name", "east")).hasMessageContaining("--etcd-endpoints");
  }

  @Test
  void eachBackendTakesItsOwnFlags() {
    BackendConfig pg = parse("--cluster-name", "east", "--backend", "postgres", "--postgres-url",
        "jdbc:postgresql://db/mcl", "--postgres-user", "u", "--backend-ttl", "30s");
    assertThat(pg.kind()).isEqualTo(BackendConfig.Kind.POSTGRES);
    assertThat(pg.postgresUrl()).isEqualTo("jdbc:postgresql://db/mcl");
    assertThat(pg.postgresTable()).isEqualTo("mclease");
    assertThat(pg.ttl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(pg.requestTimeout()).isEqualTo(Duration.ofSeconds(4));

    BackendConfig zk = parse("--cluster-name", "east", "--backend", "ZooKeeper", "--zookeeper-connect", "zk:2181");
    assertThat(zk.kind()).isEqualTo(BackendConfig.Kind.ZOOKEEPER);
    assertThat(zk.keyPrefix()).isEqualTo("/mclease/leases");

    BackendConfig hub = parse("--cluster-name", "east", "--backend", "kubernetes", "--hub-namespace", "mcl");
    assertThat(hub.kind()).isEqualTo(BackendConfig.Kind.KUBERNETES);
    assertThat(hub.hubNamespace()).isEqualTo("mcl");
    assertThat(hub.hubKubeconfig()).isNull();

    BackendConfig ddb = parse("--cluster-name", "east", "--backend", "dynamodb", "--dynamodb-region", "eu-west-1",
        "--dynamodb-endpoint", "http://127.0.0.1:4567");
    assertThat(ddb.kind()).isEqualTo(BackendConfig.Kind.DYNAMODB);
    assertThat(ddb.dynamoRegion()).isEqualTo("eu-west-1");
    assertThat(ddb.dynamoEndpoint()).isEqualTo("http://127.0.0.1:4567");
    assertThat(ddb.dynamoTable()).isEqualTo("mclease-locks");
    assertThat(ddb.dynamoCreateTable()).isFalse();
    assertThat(ddb.dynamoDummyCredentials()).as("the AWS default credentials chain").isFalse();

    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "postgres"))
        .hasMessageContaining("--postgres-url");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "zookeeper"))
        .hasMessageContaining("--zookeeper-connect");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "consul"))
        .hasMessageContaining("unknown backend 'consul'").hasMessageContaining("gcs");
  }

  @Test
  void gcsTakesABucketAPrefixAndAnEmulatorEndpoint() {
    BackendConfig gcs = parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "my-locks");
    assertThat(gcs.kind()).isEqualTo(BackendConfig.Kind.GCS);
    assertThat(gcs.gcsBucket()).isEqualTo("my-locks");
    assertThat(gcs.gcsPrefix()).isEqualTo("mclease");
    assertThat(gcs.gcsEndpoint()).as("Google's, with the application-default credentials").isNull();
    BackendConfig emulator = parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "b", "--gcs-prefix",
        "fleet/a", "--gcs-endpoint", "http://127.0.0.1:4443");
    assertThat(emulator.gcsPrefix()).isEqualTo("fleet/a");
    assertThat(emulator.gcsEndpoint()).isEqualTo("http://127.0.0.1:4443");

    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "gcs"))
        .hasMessageContaining("--gcs-bucket").hasMessageContaining("MCL_GCS_BUCKET");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "gs://b/x"))
        .hasMessageContaining("--gcs-prefix");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "b", "--gcs-prefix",
        "/x/")).hasMessageContaining("leading or trailing '/'");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "b",
        "--gcs-endpoint", "127.0.0.1:4443")).hasMessageContaining("http://127.0.0.1:4443");
    assertThatThrownBy(() -> parse("--cluster-name", "east", "--backend", "gcs", "--gcs-bucket", "b",
        "--backend-renew-interval", "500ms")).hasMessageContaining("one write per second");
  }
}
