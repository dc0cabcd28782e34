package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.controller.ControllerConfig;
import dev.mclease.controller.ElectionController;
import dev.mclease.controller.backend.etcd.EtcdBackendConfig;
import dev.mclease.controller.backend.etcd.EtcdLockStore;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fleet.Timings;
import io.cucumber.datatable.DataTable;
import io.cucumber.java.en.Then;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Timing rules: unsafe settings are refused up front, with the numbers in the message; safe ones are accepted. */
public final class TimingSteps {

  private final World world;

  public TimingSteps(World world) {
    this.world = world;
  }

  @Then("these controller timings are refused, the message naming the numbers:")
  public void controllerTimingsRefused(DataTable table) {
    for (Map<String, String> row : table.asMaps()) {
      ControllerConfig cfg = controllerConfig(row);
      Throwable refused = catchThrowable(cfg::validate);
      assertThat(refused).as("ControllerConfig.validate() of %s", row).isInstanceOf(IllegalArgumentException.class);
      for (String number : names(row.get("message names"))) {
        assertThat(refused.getMessage()).as("message for %s", row).contains(number);
      }
    }
  }

  @Then("a controller for {string} started with renewDeadline {word} and backendTtl {word} refuses to start with the"
      + " same kind of message")
  public void controllerRefusesToStart(String cluster, String renewDeadline, String backendTtl) {
    ControllerConfig cfg = ControllerConfig.builder(cluster)
        .candidateRenewDeadline(Durations.parse(renewDeadline))
        .backendTtl(Durations.parse(backendTtl))
        .build();
    Cluster k8s = world.fleet().cluster(cluster).cluster();
    try (KubernetesClient client = k8s.newClient();
        SessionLockBackend<Long> backend = EtcdLockStore.connect(EtcdBackendConfig.builder(world.fleet().etcd().endpoints())
            .ttl(Durations.parse(backendTtl)).renewInterval(Duration.ofSeconds(2)).build(), System::nanoTime);
        ElectionController controller = new ElectionController(client, backend, cfg, Clock.systemUTC(),
            System::nanoTime, new SimpleMeterRegistry())) {
      Throwable refused = catchThrowable(controller::start);
      assertThat(refused).as("starting a controller with %s", cfg).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("K + D + M < G").hasMessageContaining(renewDeadline)
          .hasMessageContaining(backendTtl);
      assertThat(controller.isReady()).as("a refused controller is not ready").isFalse();
    }
  }

  @Then("these candidate timings are refused by the lock builder, the message naming the numbers:")
  public void candidateTimingsRefused(DataTable table) {
    for (Map<String, String> row : table.asMaps()) {
      Throwable refused = catchThrowable(() -> MultiClusterLeaseLock.builder("default", "probe", "probe-1")
          .leaseDuration(Durations.parse(row.get("leaseDuration")))
          .renewDeadline(Durations.parse(row.get("renewDeadline")))
          .retryPeriod(Durations.parse(row.get("retryPeriod")))
          .build().close());
      assertThat(refused).as("lock builder with %s", row).isInstanceOf(IllegalArgumentException.class);
      for (String number : names(row.get("message names"))) {
        assertThat(refused.getMessage()).as("message for %s", row).contains(number);
      }
    }
  }

  @Then("the controller accepts the timings leaseDuration {word}, renewDeadline {word}, retryPeriod {word},"
      + " backendTtl {word}, backendRenewInterval {word}, safetyMargin {word}")
  public void accepted(String l, String d, String r, String g, String k, String m) {
    Timings expected = new Timings(Durations.parse(l), Durations.parse(d), Durations.parse(r), Durations.parse(g),
        Durations.parse(k), Durations.parse(m));
    assertThat(world.timings()).as("the fleet's timings").isEqualTo(expected);
    for (var node : world.fleet().clusters()) {
      assertThatCode(() -> node.controller().config().validate()).as("controller of %s", node.name())
          .doesNotThrowAnyException();
      assertThat(node.controller().isRunning()).as("controller of %s running", node.name()).isTrue();
    }
    assertThatCode(() -> MultiClusterLeaseLock.builder("default", "probe", "probe-1")
        .leaseDuration(expected.leaseDuration()).renewDeadline(expected.renewDeadline())
        .retryPeriod(expected.retryPeriod()).build().close()).as("lock builder").doesNotThrowAnyException();
  }

  private static ControllerConfig controllerConfig(Map<String, String> row) {
    return ControllerConfig.builder("east")
        .candidateRenewDeadline(Durations.parse(row.get("renewDeadline")))
        .candidateRetryPeriod(Durations.parse(row.get("retryPeriod")))
        .backendTtl(Durations.parse(row.get("backendTtl")))
        .backendRenewInterval(Durations.parse(row.get("backendRenewInterval")))
        .safetyMargin(Durations.parse(row.get("safetyMargin")))
        .build();
  }

  private static List<String> names(String cell) {
    return Arrays.stream(cell.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
