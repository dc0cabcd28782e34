package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.memory.InMemoryLockStore;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A controller whose lock backend is still connecting when it starts ({@link PendingBackend}, what
 * {@link ControllerMain} and the testbed do so that the API server's and the store's first connections overlap):
 * the CRD is checked without waiting for the backend, no lease is served before it is there, and a backend that
 * cannot connect fails the start with its own message. On the real kube-apiservers (skipped where they are missing).
 */
class PendingBackendTest {

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final InMemoryLockStore store = new InMemoryLockStore(System::nanoTime);
  private final String ns = "t-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    store.close();
  }

  private ElectionController controller(KubernetesClient client, ControllerConfig cfg,
      CompletableFuture<GlobalLockBackend> backend) {
    ElectionController c = new ElectionController(client, backend, cfg, Clock.systemUTC(), System::nanoTime,
        new SimpleMeterRegistry());
    closeables.add(c);
    return c;
  }

  /** The shared cluster east with this test's namespace, and a client of its own (closed after the test). */
  private KubernetesClient eastClient(ApiServerCluster east) {
    east.ensureNamespace(ns);
    KubernetesClient client = east.newClient();
    closeables.add(client);
    return client;
  }

  @Test
  void aLateBackendIsAwaitedAndThenEveryLeaseIsServed() {
    ApiServerCluster east = RealApiServers.shared("east");
    KubernetesClient client = eastClient(east);
    ControllerConfig cfg = RealApiServers.shortTimings("east", ns);
    CompletableFuture<GlobalLockBackend> connecting = new CompletableFuture<>();
    ElectionController c = controller(client, cfg, connecting);
    MultiClusterLease lease = new MultiClusterLease();
    lease.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName("lease").build());
    lease.setSpec(new MultiClusterLeaseSpec("pod-a", 2, MicroTimes.of(Instant.now())));
    east.client().resources(MultiClusterLease.class).inNamespace(ns).resource(lease).create();

    CompletableFuture<Void> started = CompletableFuture.runAsync(c::start);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !started.isDone());
    assertThat(c.isReady()).isFalse();
    InMemoryLockStore.Session session = store.session(cfg.backendTtl(), cfg.backendRenewInterval());
    closeables.add(session);
    connecting.complete(session);

    await().atMost(Duration.ofSeconds(10)).until(started::isDone);
    assertThat(c.isReady()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      MultiClusterLease l = east.client().resources(MultiClusterLease.class).inNamespace(ns).withName("lease").get();
      return l.getStatus() != null && "pod-a".equals(l.getStatus().getLeader());
    });
  }

  @Test
  void aMissingCrdIsToldWithoutWaitingForTheBackend() {
    ApiServerCluster bare = RealApiServers.shared("no-crd", false);
    KubernetesClient client = bare.newClient();
    closeables.add(client);
    ElectionController c = controller(client, ControllerConfig.shortTimings("bare"), new CompletableFuture<>());
    assertThatThrownBy(c::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("kubectl apply -f crd/multiclusterleases.mclease.dev-v1.yml");
  }

  @Test
  void aBackendThatCannotConnectFailsTheStartWithItsOwnMessage() {
    KubernetesClient client = eastClient(RealApiServers.shared("east"));
    PendingBackend pending = PendingBackend.connect(() -> {
      throw new IllegalArgumentException("etcd endpoint http://nowhere:2379 did not answer");
    });
    ElectionController c = controller(client, RealApiServers.shortTimings("east", ns), pending.future());
    assertThatThrownBy(c::start).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("etcd endpoint http://nowhere:2379 did not answer");
    assertThat(c.isReady()).isFalse();
    pending.close(); // nothing to close, and no error
  }

  @Test
  void closeClosesTheBackendOnceItHasConnectedAndAConnectedOneAtOnce() throws Exception {
    CountDownLatch letConnect = new CountDownLatch(1);
    FakeBackend late = new FakeBackend();
    PendingBackend connecting = PendingBackend.connect(() -> {
      try {
        letConnect.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return late;
    });
    connecting.close();
    assertThat(late.closed).isFalse();
    letConnect.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> late.closed);

    FakeBackend ready = new FakeBackend();
    PendingBackend connected = PendingBackend.connect(() -> ready);
    assertThat(connected.future().get()).isSameAs(ready);
    connected.close();
    assertThat(ready.closed).isTrue();
  }
}
