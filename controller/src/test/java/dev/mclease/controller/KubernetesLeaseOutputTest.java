package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's status write on a real kube-apiserver: an echo is on the path of every handover and of every
 * confirmation, so it must be one request — the patch — and not a read before it.
 */
class KubernetesLeaseOutputTest {

  private final List<String> requests = new CopyOnWriteArrayList<>();
  private ApiServerCluster cluster;
  private KubernetesClient counted;
  private KubernetesLeaseOutput output;
  private String ns;

  @BeforeEach
  void setUp() {
    cluster = RealApiServers.shared("east");
    ns = RealApiServers.freshNamespace(cluster);
    Interceptor counter = new Interceptor() {
      @Override
      public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (request.uri().getPath().contains("/multiclusterleases")) {
          requests.add(request.method().toUpperCase(Locale.ROOT) + " " + request.uri().getPath()
              .replaceFirst(".*/multiclusterleases", ""));
        }
      }
    };
    counted = new KubernetesClientBuilder().withConfig(cluster.client().getConfiguration())
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", counter)).build();
    output = new KubernetesLeaseOutput(counted, Clock.systemUTC(), "east");
  }

  @AfterEach
  void tearDown() {
    output.close();
    counted.close();
  }

  private void create(String name) {
    MultiClusterLease m = new MultiClusterLease();
    m.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    m.setSpec(new MultiClusterLeaseSpec("pod-a", 15, MicroTimes.of(Instant.parse("2026-03-01T12:00:00Z"))));
    cluster.client().resource(m).create();
  }

  @Test
  void anEchoIsOnePatchOfStatusWithNoReadBeforeIt() {
    create("lease");
    MultiClusterLeaseStatus status = new MultiClusterLeaseStatus();
    status.setLeader("pod-a");
    status.setFencingToken(7L);

    output.writeStatus(ns, "lease", status);
    status.setFencingToken(8L);
    output.writeStatus(ns, "lease", status);

    assertThat(requests).containsExactly("PATCH /lease/status", "PATCH /lease/status");
    MultiClusterLease stored = cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName("lease")
        .get();
    assertThat(stored.getStatus().getFencingToken()).isEqualTo(8L);
    assertThat(stored.getSpec().getHolderIdentity()).as("spec untouched").isEqualTo("pod-a");
  }

  @Test
  void anEchoOfAnObjectThatIsGoneIsA404AndCreatesNothing() {
    MultiClusterLeaseStatus status = new MultiClusterLeaseStatus();
    status.setLeader("pod-a");

    assertThatThrownBy(() -> output.writeStatus(ns, "gone", status)).isInstanceOfSatisfying(
        KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    assertThat(requests).containsExactly("PATCH /gone/status");
    assertThat(cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName("gone").get()).isNull();
  }

  @Test
  void anEventWaitsForItsDelayKeepsTheTimeOfTheChangeAndCloseSendsWhatIsPendingAtOnce() {
    Instant changed = Instant.parse("2026-03-01T12:00:00Z");
    // an hour: nothing can go out before close, which sends what is pending at once
    KubernetesLeaseOutput delayed = new KubernetesLeaseOutput(counted, Clock.fixed(changed, ZoneOffset.UTC), "east",
        Duration.ofHours(1));
    delayed.event(ns, "lease", "Normal", "Released", "released the global lock of candidate pod-a");
    delayed.event(ns, "lease", "Normal", "GlobalLockAcquired", "candidate pod-b acquired the global lock");

    assertThat(cluster.client().v1().events().inNamespace(ns).list().getItems())
        .as("not sent while an echo could be on its way").isEmpty();
    delayed.close();

    List<Event> sent = cluster.client().v1().events().inNamespace(ns).list().getItems();
    assertThat(sent).extracting(Event::getReason).containsExactlyInAnyOrder("Released", "GlobalLockAcquired");
    assertThat(sent).allSatisfy(e -> {
      assertThat(e.getFirstTimestamp()).isEqualTo("2026-03-01T12:00:00Z");
      assertThat(e.getInvolvedObject().getName()).isEqualTo("lease");
      assertThat(e.getSource().getComponent()).isEqualTo("mclease-controller/east");
    });
  }
}
