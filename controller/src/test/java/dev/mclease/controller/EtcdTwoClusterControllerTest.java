package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.controller.backend.etcd.EtcdBackendConfig;
import dev.mclease.controller.backend.etcd.EtcdLockStore;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two clusters' controllers with the real etcd backend (short timings): graceful handover and takeover after a
 * controller dies without releasing. The clusters are real kube-apiservers (the shared {@code east} and {@code west},
 * a fresh namespace the controllers are scoped to; skipped where the binaries are missing).
 */
class EtcdTwoClusterControllerTest {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdTwoClusterControllerTest.class);
  private EtcdCluster etcd;
  private ApiServerCluster eastCluster;
  private ApiServerCluster westCluster;
  private String ns;
  private final ScheduledExecutorService beats = Executors.newScheduledThreadPool(2);
  private final AtomicLong counter = new AtomicLong();

  @BeforeEach
  void setUp() {
    eastCluster = RealApiServers.shared("east");
    westCluster = RealApiServers.shared("west");
    ns = RealApiServers.freshNamespace(eastCluster, westCluster);
    etcd = EtcdProvider.start(1);
  }

  @AfterEach
  void tearDown() {
    beats.shutdownNow();
    etcd.close();
  }

  private record Side(Cluster cluster, SessionLockBackend<Long> backend, ElectionController controller) {
    void closeAll() {
      controller.close();
      backend.close();
    }
  }

  private Side side(String name) {
    Cluster cluster = "east".equals(name) ? eastCluster : westCluster;
    ControllerConfig cfg = RealApiServers.shortTimings(name, ns);
    SessionLockBackend<Long> backend = EtcdLockStore.connect(EtcdBackendConfig.builder(etcd.endpoints())
        .ttl(cfg.backendTtl()).renewInterval(cfg.backendRenewInterval()).build(), System::nanoTime);
    ElectionController c = new ElectionController(cluster.client(), backend, cfg, Clock.systemUTC(),
        System::nanoTime, new SimpleMeterRegistry());
    c.start();
    return new Side(cluster, backend, c);
  }

  private void candidate(KubernetesClient k, String holder) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName("op").build());
    l.setSpec(new MultiClusterLeaseSpec(holder, 2, renew()));
    k.resources(MultiClusterLease.class).inNamespace(ns).resource(l).create();
    beats.scheduleWithFixedDelay(() -> {
      try {
        k.resources(MultiClusterLease.class).inNamespace(ns).withName("op").edit(x -> {
          x.getSpec().setRenewTime(renew());
          return x;
        });
      } catch (RuntimeException e) {
        // 409 against a concurrent status write: the next beat wins
      }
    }, 200, 200, TimeUnit.MILLISECONDS);
  }

  private io.fabric8.kubernetes.api.model.MicroTime renew() {
    return MicroTimes.of(Instant.parse("2026-03-01T10:00:00Z").plus(counter.incrementAndGet(), ChronoUnit.MILLIS));
  }

  private MultiClusterLeaseStatus status(Side s) {
    MultiClusterLease l = s.cluster().client().resources(MultiClusterLease.class).inNamespace(ns).withName("op").get();
    return l == null || l.getStatus() == null ? new MultiClusterLeaseStatus() : l.getStatus();
  }

  private boolean leads(Side s, String holder) {
    MultiClusterLeaseStatus st = status(s);
    return holder.equals(st.getLeader()) && st.condition(Conditions.LEADER)
        .map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false);
  }

  @Test
  void gracefulHandoverAndTakeoverAfterAControllerDies() {
    Side east = side("east");
    Side west = side("west");
    candidate(east.cluster().client(), "pod-e");
    await().atMost(Duration.ofSeconds(5)).until(() -> leads(east, "pod-e"));
    candidate(west.cluster().client(), "pod-w");
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-e".equals(status(west).getLeader()));
    long first = status(east).getFencingToken();
    assertThat(status(west).getFencingToken()).isEqualTo(first);
    assertThat(status(west).getLeaderCluster()).isEqualTo("east");

    // Graceful: east's controller shuts down with releaseAll().
    long t0 = System.nanoTime();
    assertThat(east.controller().releaseAll()).isTrue();
    await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(5)).until(() -> leads(west, "pod-w"));
    LOG.info("etcd: west confirmed {} ms after east's releaseAll() started (waits for D + M after the last echo)",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    long second = status(west).getFencingToken();
    assertThat(second).isGreaterThan(first);
    east.closeAll();

    // Crash: west's controller stops renewing without releasing; a new east controller takes over after ~G.
    Side east2 = new Side(east.cluster(), EtcdLockStore.connect(EtcdBackendConfig.builder(etcd.endpoints())
        .ttl(Duration.ofSeconds(3)).renewInterval(Duration.ofMillis(300)).build(), System::nanoTime), null);
    ElectionController c2 = new ElectionController(east.cluster().client(), east2.backend(),
        RealApiServers.shortTimings("east", ns), Clock.systemUTC(), System::nanoTime, new SimpleMeterRegistry());
    c2.start();
    await().atMost(Duration.ofSeconds(3)).until(() -> "pod-w".equals(status(east).getLeader())
        && cond(status(east)).equals("False/GlobalLockHeldElsewhere"));
    long t1 = System.nanoTime();
    west.closeAll();
    await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(10)).until(() -> leads(east, "pod-e"));
    LOG.info("etcd: east confirmed {} ms after west's controller died without releasing (G = 3000 ms)",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
    assertThat(System.nanoTime() - t1).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(2000));
    assertThat(status(east).getFencingToken()).isGreaterThan(second);
    c2.close();
    east2.backend().close();
  }

  private static String cond(MultiClusterLeaseStatus s) {
    return s.condition(Conditions.LEADER).map(c -> c.getStatus() + "/" + c.getReason()).orElse("none");
  }
}
