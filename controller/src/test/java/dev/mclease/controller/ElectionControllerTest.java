package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.controller.backend.memory.InMemoryLockStore;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * The controller on real kube-apiservers (the shared clusters {@code east} and {@code west}, a fresh namespace per
 * test that each controller is scoped to; skipped where the binaries are missing) with the in-memory lock store
 * standing in for etcd, short timings (L=2s D=1.5s R=0.2s G=3s K=0.3s M=0.5s). The test plays the candidates by
 * writing spec directly with the admin client; RBAC refusals are the real server's 403s for a ServiceAccount.
 */
class ElectionControllerTest {

  private static final Logger LOG = LoggerFactory.getLogger(ElectionControllerTest.class);
  private static final ControllerConfig EAST = ControllerConfig.shortTimings("east");

  private InMemoryLockStore store;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ScheduledExecutorService beats = Executors.newScheduledThreadPool(1);
  private final Map<String, AtomicLong> renewCounters = new ConcurrentHashMap<>();
  private String ns;

  @BeforeEach
  void setUp() {
    ns = "t-" + UUID.randomUUID().toString().substring(0, 8); // created in each cluster a test uses
    store = new InMemoryLockStore(System::nanoTime);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    beats.shutdownNow();
    store.close();
  }

  private record Running(ApiServerCluster cluster, KubernetesClient client, InMemoryLockStore.Session session,
      ElectionController controller) {
  }

  /** The shared cluster {@code name} with this test's namespace in it. */
  private ApiServerCluster cluster(String name) {
    ApiServerCluster cluster = RealApiServers.shared(name);
    cluster.ensureNamespace(ns);
    return cluster;
  }

  private ControllerConfig config(String clusterName) {
    return RealApiServers.shortTimings(clusterName, ns);
  }

  private Running controller(String clusterName) {
    ApiServerCluster cluster = cluster(clusterName);
    return controller(cluster, config(clusterName), cluster.newClient());
  }

  /** A controller on {@code client} (closed after the test); the test's own writes use the admin client. */
  private Running controller(ApiServerCluster cluster, ControllerConfig cfg, KubernetesClient client) {
    InMemoryLockStore.Session session = store.session(cfg.backendTtl(), cfg.backendRenewInterval());
    ElectionController c = new ElectionController(client, session, cfg, Clock.systemUTC(), System::nanoTime,
        new SimpleMeterRegistry());
    closeables.add(client);
    closeables.add(session);
    closeables.add(c);
    c.start();
    return new Running(cluster, cluster.client(), session, c);
  }

  // ------------------------------------------------------------------------------------------ candidates

  private void create(KubernetesClient k, String name, String holder, Integer leaseSeconds) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    l.setSpec(new MultiClusterLeaseSpec(holder, leaseSeconds, holder.isEmpty() ? null : nextRenew(k, name)));
    k.resources(MultiClusterLease.class).inNamespace(ns).resource(l).create();
  }

  /** A strictly increasing MicroTime per lease and cluster. */
  private io.fabric8.kubernetes.api.model.MicroTime nextRenew(KubernetesClient k, String name) {
    long n = renewCounters.computeIfAbsent(k.getMasterUrl() + name, x -> new AtomicLong()).incrementAndGet();
    return MicroTimes.of(Instant.parse("2026-03-01T10:00:00Z").plus(n, java.time.temporal.ChronoUnit.MILLIS));
  }

  /** One heartbeat by {@code holder}; returns the renewTime written. */
  private String beat(KubernetesClient k, String name, String holder) {
    var t = nextRenew(k, name);
    for (int attempt = 0; ; attempt++) {
      try {
        k.resources(MultiClusterLease.class).inNamespace(ns).withName(name).edit(l -> {
          l.getSpec().setHolderIdentity(holder);
          l.getSpec().setRenewTime(t);
          return l;
        });
        return t.getTime();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt > 20) {
          throw e;
        }
      }
    }
  }

  /** Heartbeats every R until the returned handle is closed. */
  private AutoCloseable beating(KubernetesClient k, String name, String holder) {
    var f = beats.scheduleWithFixedDelay(() -> {
      try {
        beat(k, name, holder);
      } catch (RuntimeException e) {
        LOG.debug("beat failed: {}", e.toString());
      }
    }, 0, EAST.candidateRetryPeriod().toMillis(), TimeUnit.MILLISECONDS);
    AutoCloseable h = () -> {
      if (f.cancel(false) || !beats.isShutdown()) {
        beats.submit(() -> { }).get(); // the beat in flight, if any, has finished
      }
    };
    closeables.add(h);
    return h;
  }

  private MultiClusterLease get(KubernetesClient k, String name) {
    return k.resources(MultiClusterLease.class).inNamespace(ns).withName(name).get();
  }

  private MultiClusterLeaseStatus status(KubernetesClient k, String name) {
    MultiClusterLease l = get(k, name);
    return l == null || l.getStatus() == null ? new MultiClusterLeaseStatus() : l.getStatus();
  }

  private static String cond(MultiClusterLeaseStatus s, String type) {
    return s.condition(type).map(c -> c.getStatus() + "/" + c.getReason()).orElse("none");
  }

  private String echo(KubernetesClient k, String name) {
    var o = status(k, name).getObservedRenewTime();
    return o == null ? null : o.getTime();
  }

  // ------------------------------------------------------------------------------------------ tests

  @Test
  void echoIsWrittenThroughStatusOnlyAndSpecIsUntouched() {
    // The controller runs as its ServiceAccount with exactly the rules controller/deploy grants it (a Role here): it
    // may read multiclusterleases and write only their status and events, so every confirmation went through /status.
    ApiServerCluster cluster = cluster("east");
    KubernetesClient asController = RealApiServers.asController(cluster, ns, "mclease-controller",
        RealApiServers.deployedControllerRules());
    Running east = controller(cluster, config("east"), asController);
    KubernetesClient k = east.client();
    create(k, "lease", "pod-a", 2);
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-a".equals(status(k, "lease").getLeader()));
    MultiClusterLease before = get(k, "lease");
    assertThatThrownBy(() -> asController.resources(MultiClusterLease.class).inNamespace(ns).withName("lease")
        .edit(l -> l)).isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
        .as("the controller may not write the main resource").isEqualTo(403));

    long t0 = System.nanoTime();
    String t = beat(k, "lease", "pod-a");
    await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5)).until(() -> t.equals(echo(k, "lease")));
    LOG.info("heartbeat confirmed {} ms after it was written", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

    MultiClusterLease after = get(k, "lease");
    // on a real server status has an owner of its own: the controller's field manager, through the subresource only
    assertThat(after.getMetadata().getManagedFields())
        .filteredOn(f -> KubernetesLeaseOutput.FIELD_MANAGER.equals(f.getManager())).singleElement().satisfies(f -> {
          assertThat(f.getSubresource()).isEqualTo("status");
          assertThat(f.getFieldsV1().getAdditionalProperties()).containsOnlyKeys("f:status");
        });
    assertThat(after.getSpec().getHolderIdentity()).isEqualTo("pod-a");
    assertThat(after.getSpec().getRenewTime().getTime()).isEqualTo(t);
    assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration() + 1);
    MultiClusterLeaseStatus st = after.getStatus();
    assertThat(st.getLeaderCluster()).isEqualTo("east");
    assertThat(st.getFencingToken()).isPositive();
    assertThat(st.getAcquireTime()).isNotNull();
    assertThat(cond(st, Conditions.LEADER)).isEqualTo("True/GlobalLockAcquired");
    assertThat(cond(st, Conditions.BACKEND_REACHABLE)).isEqualTo("True/BackendOK");
    assertThat(cond(st, Conditions.CANDIDATE_ALIVE)).isEqualTo("True/Heartbeating");
    assertThat(store.rawValue(ns + "/lease")).get().asString().contains("\"holder\":\"pod-a\"")
        .contains("\"cluster\":\"east\"");
    await("the acquisition's event, sent after the echo").atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(k.v1().events().inNamespace(ns).list().getItems()).anyMatch(e ->
            Conditions.REASON_ACQUIRED.equals(e.getReason()) && "lease".equals(e.getInvolvedObject().getName())));
  }

  @Test
  void emptyHolderIdentityReleasesAtOnceAndAnotherClusterTakesOver() {
    Running east = controller("east");
    Running west = controller("west");
    create(east.client(), "lease", "pod-e", 2);
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-e".equals(status(east.client(), "lease").getLeader()));
    create(west.client(), "lease", "pod-w", 2);
    beating(west.client(), "lease", "pod-w");
    AutoCloseable eastBeat = beating(east.client(), "lease", "pod-e");
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-e".equals(status(west.client(), "lease").getLeader())
        && cond(status(west.client(), "lease"), Conditions.LEADER).equals("False/GlobalLockHeldElsewhere"));
    long first = status(east.client(), "lease").getFencingToken();
    assertThat(status(west.client(), "lease").getLeaderCluster()).isEqualTo("east");
    assertThat(status(west.client(), "lease").getFencingToken()).isEqualTo(first);

    closeQuietly(eastBeat);
    long t0 = System.nanoTime();
    beat(east.client(), "lease", "");
    await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(5))
        .until(() -> "pod-w".equals(status(west.client(), "lease").getLeader())
            && echo(west.client(), "lease") != null);
    LOG.info("graceful handover east→west confirmed {} ms after holderIdentity=\"\" was written",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    assertThat(status(west.client(), "lease").getFencingToken()).isGreaterThan(first);
    await().atMost(Duration.ofSeconds(3)).until(() -> "pod-w".equals(status(east.client(), "lease").getLeader()));
    assertThat(cond(status(east.client(), "lease"), Conditions.CANDIDATE_ALIVE)).isEqualTo("False/NoCandidate");
  }

  @Test
  void heartbeatSilenceOfLeaseDurationReleases() {
    Running east = controller("east");
    create(east.client(), "lease", "pod-a", 2);
    await().atMost(Duration.ofSeconds(5)).until(() -> store.rawValue(ns + "/lease").isPresent());
    beat(east.client(), "lease", "pod-a");
    long last = System.nanoTime();
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
        .until(() -> store.rawValue(ns + "/lease").isEmpty());
    long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - last);
    LOG.info("released {} ms after the last heartbeat (leaseDurationSeconds=2)", silentMs);
    assertThat(silentMs).isBetween(1900L, 3500L);
    await().atMost(Duration.ofSeconds(2)).until(() ->
        cond(status(east.client(), "lease"), Conditions.CANDIDATE_ALIVE).equals("False/HeartbeatExpired"));
    assertThat(status(east.client(), "lease").getLeader()).isEmpty();
  }

  @Test
  void holderChangeMeansANewAcquisitionWithALargerToken() throws Exception {
    Running east = controller("east");
    KubernetesClient k = east.client();
    create(k, "lease", "pod-a", 2);
    AutoCloseable a = beating(k, "lease", "pod-a");
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-a".equals(status(k, "lease").getLeader())
        && echo(k, "lease") != null);
    long first = status(k, "lease").getFencingToken();
    a.close();
    beating(k, "lease", "pod-b");
    await().atMost(Duration.ofSeconds(6)).until(() -> "pod-b".equals(status(k, "lease").getLeader())
        && cond(status(k, "lease"), Conditions.LEADER).equals("True/GlobalLockAcquired"));
    assertThat(status(k, "lease").getFencingToken()).isGreaterThan(first);
    assertThat(store.rawValue(ns + "/lease")).get().asString().contains("pod-b");
  }

  @Test
  void invalidSpecIsReportedWhileAnotherLeaseKeepsBeingServed() {
    Running east = controller("east");
    KubernetesClient k = east.client();
    create(k, "bad", "pod-a", null); // the CRD schema allows a missing leaseDurationSeconds; we cannot serve it
    create(k, "good", "pod-a", 2);
    beating(k, "good", "pod-a");
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cond(status(k, "bad"), Conditions.LEADER).equals("False/InvalidSpec"));
    assertThat(status(k, "bad").condition(Conditions.CANDIDATE_ALIVE).get().getMessage())
        .contains("leaseDurationSeconds is null");
    assertThat(store.rawValue(ns + "/bad")).isEmpty();

    // the other lease's heartbeats keep being confirmed
    String t = beat(k, "good", "pod-a");
    await().atMost(Duration.ofSeconds(2)).until(() -> {
      String e = echo(k, "good");
      return e != null && e.compareTo(t) >= 0;
    });
    assertThat(cond(status(k, "good"), Conditions.LEADER)).isEqualTo("True/GlobalLockAcquired");

    // fixing the spec makes it contended
    await().ignoreExceptions().until(() -> k.resources(MultiClusterLease.class).inNamespace(ns).withName("bad")
        .edit(l -> {
          l.getSpec().setLeaseDurationSeconds(2);
          return l;
        }) != null);
    beating(k, "bad", "pod-a");
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-a".equals(status(k, "bad").getLeader()));
  }

  @Test
  void unreachableBackendTurnsLeaderFalseBeforeGRunsOut() {
    Running east = controller("east");
    KubernetesClient k = east.client();
    create(k, "lease", "pod-a", 2);
    beating(k, "lease", "pod-a");
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cond(status(k, "lease"), Conditions.LEADER).equals("True/GlobalLockAcquired"));
    String lastEcho = echo(k, "lease");

    long cut = System.nanoTime();
    east.session().setReachable(false);
    await().atMost(EAST.backendTtl()).pollInterval(Duration.ofMillis(10)).until(() ->
        cond(status(k, "lease"), Conditions.LEADER).equals("False/BackendUnreachable"));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
    LOG.info("Leader=False/BackendUnreachable {} ms after the backend became unreachable (G = 3000 ms)", ms);
    assertThat(ms).isLessThan(EAST.backendTtl().minus(EAST.safetyMargin()).toMillis());
    String frozen = echo(k, "lease");
    assertThat(frozen.compareTo(lastEcho)).isGreaterThanOrEqualTo(0);
    assertThat(cond(status(k, "lease"), Conditions.BACKEND_REACHABLE)).isEqualTo("False/BackendUnreachable");

    // no further confirmations while unreachable; after G the key is gone from the store (session expired)
    await().atMost(Duration.ofSeconds(6)).until(() -> store.rawValue(ns + "/lease").isEmpty());
    assertThat(echo(k, "lease")).as("never a newer confirmation; cleared once the lock is lost")
        .isIn(frozen, null);
    await().atMost(Duration.ofSeconds(2)).until(() -> "".equals(status(k, "lease").getLeader()));

    east.session().setReachable(true);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        cond(status(k, "lease"), Conditions.LEADER).equals("True/GlobalLockAcquired"));
    assertThat(echo(k, "lease").compareTo(frozen)).isPositive();
  }

  @Test
  void anExceptionInOneLeaseNeverStopsTheOthers() {
    ApiServerCluster cluster = cluster("east");
    InMemoryLockStore.Session session = store.session(EAST.backendTtl(), EAST.backendRenewInterval());
    closeables.add(session);
    java.util.concurrent.atomic.AtomicInteger blowUps = new java.util.concurrent.atomic.AtomicInteger();
    dev.mclease.controller.backend.GlobalLockBackend faulty = new dev.mclease.controller.backend.GlobalLockBackend() {
      @Override
      public dev.mclease.controller.backend.AcquireResult acquire(String key,
          dev.mclease.controller.backend.LockValue value) throws dev.mclease.controller.backend.BackendException {
        if (key.endsWith("/boom")) {
          blowUps.incrementAndGet();
          throw new IllegalStateException("a bug in a backend, for this key only");
        }
        return session.acquire(key, value);
      }

      @Override
      public void release(String key, long token) throws dev.mclease.controller.backend.BackendException {
        session.release(key, token);
      }

      @Override
      public Optional<dev.mclease.controller.backend.Held> current(String key)
          throws dev.mclease.controller.backend.BackendException {
        return session.current(key);
      }

      @Override
      public AutoCloseable watch(String key, java.util.function.Consumer<dev.mclease.controller.backend.LockEvent> l) {
        return session.watch(key, l);
      }

      @Override
      public long heldUntilNanos() {
        return session.heldUntilNanos();
      }

      @Override
      public dev.mclease.controller.backend.BackendHealth health() {
        return session.health();
      }

      @Override
      public AutoCloseable onSessionChange(Runnable listener) {
        return session.onSessionChange(listener);
      }

      @Override
      public void releaseAll() throws dev.mclease.controller.backend.BackendException {
        session.releaseAll();
      }

      @Override
      public void close() {
      }
    };
    KubernetesClient client = cluster.newClient();
    closeables.add(client);
    ElectionController c = new ElectionController(client, faulty, config("east"), Clock.systemUTC(), System::nanoTime,
        new SimpleMeterRegistry());
    closeables.add(c);
    c.start();
    KubernetesClient k = cluster.client();
    create(k, "boom", "pod-a", 2);
    create(k, "fine", "pod-a", 2);
    beating(k, "boom", "pod-a");
    beating(k, "fine", "pod-a");
    await().atMost(Duration.ofSeconds(5)).until(() -> blowUps.get() >= 3
        && cond(status(k, "fine"), Conditions.LEADER).equals("True/GlobalLockAcquired"));
    String t = beat(k, "fine", "pod-a");
    await().atMost(Duration.ofSeconds(2)).until(() -> {
      String e = echo(k, "fine");
      return e != null && e.compareTo(t) >= 0;
    });
    assertThat(c.metrics()).isNotNull();
    assertThat(store.rawValue(ns + "/boom")).isEmpty();
  }

  @Test
  void missingCrdGivesAClearError() {
    ApiServerCluster bare = RealApiServers.shared("no-crd", false);
    KubernetesClient client = bare.newClient();
    closeables.add(client);
    ElectionController c = new ElectionController(client, store.session(Duration.ofSeconds(3),
        Duration.ofMillis(300)), ControllerConfig.shortTimings("bare"), Clock.systemUTC(), System::nanoTime,
        new SimpleMeterRegistry());
    closeables.add(c);
    assertThatThrownBy(c::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("kubectl apply -f crd/multiclusterleases.mclease.dev-v1.yml");
  }

  @Test
  void aControllerThatMayNotListIsToldWhatToApply() {
    ApiServerCluster cluster = cluster("east");
    KubernetesClient nobody = RealApiServers.asController(cluster, ns, "no-grant", List.of());
    closeables.add(nobody);
    ElectionController c = new ElectionController(nobody, store.session(Duration.ofSeconds(3),
        Duration.ofMillis(300)), config("east"), Clock.systemUTC(), System::nanoTime, new SimpleMeterRegistry());
    closeables.add(c);
    assertThatThrownBy(c::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("may not list " + MultiClusterLease.CRD_NAME)
        .hasMessageContaining("apply controller/deploy (ClusterRole mclease-controller and its binding)")
        .hasRootCauseInstanceOf(KubernetesClientException.class)
        .rootCause().hasMessageContaining("system:serviceaccount:" + ns + ":no-grant");
  }

  @Test
  void aStatusWriteRefusedByRbacNamesTheGrant() {
    ApiServerCluster cluster = cluster("east");
    create(cluster.client(), "lease", "pod-a", 2);
    List<PolicyRule> withoutStatus = RealApiServers.deployedControllerRules().stream()
        .filter(r -> !r.getResources().contains(MultiClusterLease.PLURAL + "/status")).toList();
    KubernetesClient client = RealApiServers.asController(cluster, ns, "no-status", withoutStatus);
    closeables.add(client);
    KubernetesLeaseOutput out = new KubernetesLeaseOutput(client, Clock.systemUTC(), "east");
    MultiClusterLeaseStatus st = new MultiClusterLeaseStatus();
    st.setLeader("pod-a");
    assertThatThrownBy(() -> out.writeStatus(ns, "lease", st)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Forbidden: may not patch " + MultiClusterLease.CRD_NAME + "/status in namespace " + ns)
        .hasMessageContaining("ClusterRole mclease-controller of controller/deploy")
        .hasMessageContaining("cannot patch resource \"multiclusterleases/status\"");
    out.close();
  }

  /** Independent of API semantics (the timings are refused before any request), so no server is needed. */
  @Test
  void brokenTimingsAreRefusedAtStart() {
    KubernetesClient nowhere = new KubernetesClientBuilder().withConfig(new ConfigBuilder(
        io.fabric8.kubernetes.client.Config.empty()).withMasterUrl("https://127.0.0.1:1").build()).build();
    closeables.add(nowhere);
    ElectionController c = new ElectionController(nowhere, store.session(Duration.ofSeconds(3),
        Duration.ofMillis(300)), ControllerConfig.builder("east").backendTtl(Duration.ofSeconds(12)).build(),
        Clock.systemUTC(), System::nanoTime, new SimpleMeterRegistry());
    closeables.add(c);
    assertThatThrownBy(c::start).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("G=12s");
  }

  @Test
  void releaseAllHandsOverOnlyAfterTheLastConfirmationLapsed() {
    Running east = controller("east");
    Running west = controller("west");
    create(east.client(), "lease", "pod-e", 2);
    beating(east.client(), "lease", "pod-e");
    await().atMost(Duration.ofSeconds(5)).until(() -> echo(east.client(), "lease") != null);
    create(west.client(), "lease", "pod-w", 2);
    beating(west.client(), "lease", "pod-w");
    await().atMost(Duration.ofSeconds(5)).until(() -> "pod-e".equals(status(west.client(), "lease").getLeader()));

    long t0 = System.nanoTime();
    assertThat(east.controller().releaseAll()).isTrue();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    LOG.info("releaseAll returned after {} ms (D + M = 2000 ms)", ms);
    assertThat(ms).isLessThan(3000);
    await().atMost(Duration.ofSeconds(3)).until(() -> "pod-w".equals(status(west.client(), "lease").getLeader())
        && echo(west.client(), "lease") != null);
    assertThat(east.controller().metrics().heldNow()).isZero();
    Optional<String> v = store.rawValue(ns + "/lease");
    assertThat(v).get().asString().contains("pod-w");
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
