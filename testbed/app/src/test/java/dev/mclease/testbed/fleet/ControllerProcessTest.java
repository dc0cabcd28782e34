package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mclease.controller.ControllerConfig;
import dev.mclease.controller.ControllerMain;
import dev.mclease.controller.backend.BackendConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The flags a controller process gets, parsed by the controller's own command line, and its kubeconfig. */
class ControllerProcessTest {

  private static final ControllerConfig CONFIG = ControllerConfig.builder("east").namespaces(Set.of("fleet-1"))
      .candidateRenewDeadline(Duration.ofMillis(1500)).candidateRetryPeriod(Duration.ofMillis(200))
      .backendTtl(Duration.ofSeconds(3)).backendRenewInterval(Duration.ofMillis(300))
      .safetyMargin(Duration.ofMillis(500)).build();

  private static BackendConfig etcd() {
    return BackendConfig.builder(BackendConfig.Kind.ETCD).ttl(Duration.ofSeconds(3))
        .renewInterval(Duration.ofMillis(300))
        .etcd(List.of("http://127.0.0.1:2379", "http://127.0.0.1:2380"), null, null, null).build();
  }

  @Test
  void theFlagsCarryTheConfigurationAndTheControllersCommandLineAcceptsThem() {
    List<String> flags = ControllerProcess.flags(CONFIG, etcd());

    assertThat(String.join(" ", flags)).contains("--cluster-name east", "--namespaces fleet-1", "--backend etcd",
        "--backend-ttl 3000ms", "--backend-renew-interval 300ms", "--candidate-renew-deadline 1500ms",
        "--candidate-retry-period 200ms", "--safety-margin 500ms", "--http-port 0",
        "--etcd-endpoints http://127.0.0.1:2379,http://127.0.0.1:2380");
    // the controller's own parser: every flag name exists and every value converts
    CommandLine.ParseResult parsed = new CommandLine(new ControllerMain()).parseArgs(flags.toArray(String[]::new));
    assertThat(parsed.errors()).isEmpty();
    assertThat(parsed.matchedOptionValue("--backend-ttl", Duration.ZERO)).isEqualTo(Duration.ofSeconds(3));
    assertThat(parsed.matchedOptionValue("--candidate-retry-period", Duration.ZERO))
        .isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aBackendThatNeedsMoreThanFlagsIsRefusedWithTheReason() {
    BackendConfig gcs = BackendConfig.builder(BackendConfig.Kind.GCS).ttl(Duration.ofSeconds(3))
        .renewInterval(Duration.ofMillis(300)).gcs("bucket", "mclease", "http://127.0.0.1:4443").build();
    assertThatThrownBy(() -> ControllerProcess.flags(CONFIG, gcs)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("etcd, postgres or zookeeper").hasMessageContaining("gcs");
  }

  @Test
  void theKubeconfigPointsAtTheProxyAndKeepsItsCredentials() {
    String kubeconfig = """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: Q0E=
            server: https://127.0.0.1:6443
          name: east
        users:
        - name: admin
          user:
            client-certificate-data: Q0VSVA==
        """;
    String pointed = ControllerProcess.pointedAt(kubeconfig, URI.create("https://127.0.0.1:40123"));
    assertThat(pointed).contains("    server: https://127.0.0.1:40123\n").doesNotContain("6443")
        .contains("certificate-authority-data: Q0E=", "client-certificate-data: Q0VSVA==");
  }
}
