package dev.mclease.client.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.client.Leadership;
import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Version;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write gate installed the documented way ({@code installOn(KubernetesClientBuilder)}) on a real fabric8 client
 * and HTTP stack, against fabric8's mock API server, which counts what actually arrives. Runs in the fabric8 matrix
 * (7.5.2, 7.7.0, 8.0.0) as well as on the project's version.
 */
class LeaderWriteGateTest {

  private static final String NS = "ns";
  private static final String CM_PATH = "/api/v1/namespaces/ns/configmaps/cm";
  private static final long D = Duration.ofSeconds(10).toNanos();

  private final AtomicLong now = new AtomicLong(-5_000_000_000L); // monotonic sources may be negative
  private final AtomicReference<Leadership> leadership = new AtomicReference<>(Leadership.NONE);
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(false);
    server.init();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    server.destroy();
  }

  private KubernetesClient gated(LeaderWriteGate gate) {
    client = server.createClient(gate::installOn);
    return client;
  }

  private LeaderWriteGate gate() {
    return LeaderWriteGate.of("ns/lease", leadership::get, now::get).stampingToken(LeaderWriteGate.DEFAULT_TOKEN_HEADER);
  }

  private void lead(long token) {
    leadership.set(new Leadership(true, OptionalLong.of(token), now.get() + D));
  }

  private static ConfigMap cm(String value) {
    return new ConfigMapBuilder().withNewMetadata().withName("cm").withNamespace(NS).withResourceVersion("1")
        .endMetadata().addToData("v", value).build();
  }

  @Test
  void aWriteInsideTheLeadershipGoesOutWithItsToken() throws InterruptedException {
    server.expect().put().withPath(CM_PATH).andReturn(200, cm("a")).once();
    lead(7);

    gated(gate()).configMaps().inNamespace(NS).resource(cm("a")).update();

    RecordedRequest sent = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(sent.getMethod()).isEqualTo("PUT");
    assertThat(sent.getHeader(LeaderWriteGate.DEFAULT_TOKEN_HEADER)).isEqualTo("7");
  }

  @Test
  void readsPassWhenNotLeader() throws InterruptedException {
    server.expect().get().withPath(CM_PATH).andReturn(200, cm("a")).once();

    ConfigMap read = gated(gate()).configMaps().inNamespace(NS).withName("cm").get();

    assertThat(read.getData()).containsEntry("v", "a");
    assertThat(server.takeRequest(5, TimeUnit.SECONDS).getHeader(LeaderWriteGate.DEFAULT_TOKEN_HEADER)).isNull();
  }

  /**
   * The application checked leadership, was then paused past the deadline, and calls update() on waking: the gate's
   * own check comes at the send, on a clock that kept running, so the late write never leaves the process.
   */
  @Test
  void aLeaderPausedAfterItsOwnCheckCannotWriteLateThroughTheGate() {
    server.expect().put().withPath(CM_PATH).andReturn(200, cm("late")).always();
    lead(7);
    KubernetesClient c = gated(gate());
    assertThat(leadership.get().isValidAt(now.get())).as("the application's own check").isTrue();

    now.addAndGet(D + Duration.ofMillis(1500).toNanos()); // the pause

    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).resource(cm("late")).update())
        .isInstanceOf(WriteRefusedException.class)
        .hasMessageContaining("lease ns/lease")
        .hasMessageContaining("PUT")
        .hasMessageContaining("fencing token 7")
        .hasMessageContaining("ended 1.500 s before this request")
        .satisfies(e -> assertThat(((WriteRefusedException) e).decision().overdue())
            .isEqualTo(Duration.ofMillis(1500)));
    assertThat(server.getRequestCount()).as("requests that reached the API server").isZero();
  }

  /** The real lock answers NONE once its deadline has passed: the gate still says which leadership, and how late. */
  @Test
  void onceTheLockSaysNotLeaderTheRefusalNamesTheLastTokenAndTheLateness() {
    server.expect().put().withPath(CM_PATH).andReturn(200, cm("a")).always();
    lead(8);
    KubernetesClient c = gated(gate());
    c.configMaps().inNamespace(NS).resource(cm("a")).update();

    now.addAndGet(D + Duration.ofMillis(250).toNanos());
    leadership.set(Leadership.NONE);

    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).resource(cm("b")).update())
        .isInstanceOf(WriteRefusedException.class)
        .hasMessageContaining("fencing token 8")
        .hasMessageContaining("ended 0.250 s before this request");
    assertThat(server.getRequestCount()).as("requests that reached the API server").isEqualTo(1);
  }

  @Test
  void everyMutatingMethodIsRefusedWhenNotLeader() {
    server.expect().get().withPath(CM_PATH).andReturn(200, cm("x")).always();
    KubernetesClient c = gated(gate());

    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).resource(cm("x")).create())
        .isInstanceOf(WriteRefusedException.class).hasMessageContaining("POST").hasMessageContaining("not the");
    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).resource(cm("x")).update())
        .isInstanceOf(WriteRefusedException.class).hasMessageContaining("PUT");
    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).withName("cm").edit(m -> m))
        .isInstanceOf(WriteRefusedException.class);
    assertThatThrownBy(() -> c.configMaps().inNamespace(NS).withName("cm").delete())
        .isInstanceOf(WriteRefusedException.class).hasMessageContaining("DELETE");
    assertThat(server.getRequestCount()).as("requests that reached the API server (edit's GET only)")
        .isLessThanOrEqualTo(1);
  }

  /** A candidate heartbeats on its MultiClusterLease before it leads: the gate must never stand in its way. */
  @Test
  void theElectionsOwnObjectsAreNotGated() throws InterruptedException {
    String path = "/apis/" + MultiClusterLease.GROUP + "/" + MultiClusterLease.VERSION
        + "/namespaces/ns/multiclusterleases/lease";
    server.expect().put().withPath(path).andReturn(200, "{}").once();
    KubernetesClient c = gated(gate());

    c.raw(c.getMasterUrl().toString().replaceAll("/$", "") + path, "PUT", "{}");

    assertThat(server.takeRequest(5, TimeUnit.SECONDS).getPath()).isEqualTo(path);
    assertThat(LeaderWriteGate.isElection(java.net.URI.create("https://h" + path + "/status"))).isTrue();
    assertThat(LeaderWriteGate.isElection(java.net.URI.create("https://h/api/v1/namespaces/ns/configmaps/cm")))
        .isFalse();
    assertThat(LeaderWriteGate.isElection(java.net.URI.create("https://h/apis/mclease.dev.evil/v1/x/multiclusterleases")))
        .isFalse();
  }

  /**
   * fabric8 retries a PUT that got a 500. The gate checks every attempt: the leadership lapsed during the backoff, so
   * the retry is not sent. fabric8 8 hands the refusal to the caller; 7.x loses an interceptor's exception thrown
   * during a retry (see the class Javadoc), so there the call ends only at the caller's timeout.
   */
  @Test
  void aRetryAfterTheDeadlineIsNotSent() {
    server.expect().put().withPath(CM_PATH).andReturn(500, "{}").once();
    server.expect().put().withPath(CM_PATH).andReturn(200, cm("retried")).always();
    lead(7);
    AtomicInteger checks = new AtomicInteger();
    LeaderWriteGate gate = LeaderWriteGate.of("ns/lease", () -> {
      if (checks.incrementAndGet() > 1) {
        now.addAndGet(2 * D); // the first attempt's failure and the backoff outlived the leadership
      }
      return leadership.get();
    }, now::get);
    KubernetesClient c = gated(gate);

    CompletableFuture<ConfigMap> call = CompletableFuture.supplyAsync(
        () -> c.configMaps().inNamespace(NS).resource(cm("retried")).update());

    await("the retry's check").atMost(Duration.ofSeconds(10)).until(() -> checks.get() >= 2);
    await("the retry not to reach the server").during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
        .until(() -> server.getRequestCount() == 1);
    if (!Version.clientVersion().startsWith("7.")) {
      await("the refusal").atMost(Duration.ofSeconds(5)).until(call::isDone);
      assertThatThrownBy(call::join).isInstanceOf(CompletionException.class)
          .hasRootCauseInstanceOf(WriteRefusedException.class);
    } else {
      call.cancel(true);
    }
  }

  @Test
  void aSideEffectOutsideKubernetesGetsTheTokenOrARefusal() {
    LeaderWriteGate gate = gate();
    lead(42);

    assertThat(gate.admit("UPDATE fenced row")).isEqualTo(42);

    now.addAndGet(D);
    assertThatThrownBy(() -> gate.admit("UPDATE fenced row")).isInstanceOf(WriteRefusedException.class)
        .hasMessageContaining("refused UPDATE fenced row").hasMessageContaining("fencing token 42")
        .hasMessageContaining("ended 0.000 s before");
  }
}
