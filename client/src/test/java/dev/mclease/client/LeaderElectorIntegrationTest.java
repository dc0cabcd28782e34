package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import ch.qos.logback.classic.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Unmodified fabric8 {@link LeaderElector}s (and {@link CandidateRunner}s) with {@link MultiClusterLeaseLock} on a
 * real kube-apiserver (the shared cluster {@code east}, a fresh namespace per test; skipped where the binaries are
 * missing), real time, the protocol's short timings, and {@link EchoingStatusWriter} as the controller.
 */
class LeaderElectorIntegrationTest {

  private static final Duration L = Duration.ofSeconds(2);
  private static final Duration D = Duration.ofMillis(1500);
  private static final Duration R = Duration.ofMillis(200);
  private static final String NAME = "lease";

  private static ApiServerCluster cluster;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<CompletableFuture<?>> elections = new ArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private String ns;
  private KubernetesClient client;

  @BeforeAll
  static void startCluster() {
    cluster = RealApiServer.shared("east");
  }

  @BeforeEach
  void namespace() {
    ns = RealApiServer.freshNamespace(cluster);
    client = cluster.client();
  }

  @AfterEach
  void stopAll() throws Exception {
    elections.forEach(f -> f.cancel(true));
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    executor.shutdownNow();
  }

  private MultiClusterLeaseLock lock(String identity) {
    return lock(identity, Clock.systemUTC());
  }

  private MultiClusterLeaseLock lock(String identity, Clock clock) {
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, NAME, identity)
        .leaseDuration(L).renewDeadline(D).retryPeriod(R).clock(clock).build();
    closeables.add(lock);
    return lock;
  }

  private EchoingStatusWriter controller() {
    EchoingStatusWriter writer = new EchoingStatusWriter(client, ns, NAME).start();
    closeables.add(writer);
    return writer;
  }

  private CompletableFuture<?> elect(MultiClusterLeaseLock lock) {
    return elect(lock, lock);
  }

  /** Runs an elector on {@code electorLock}, which is {@code lock} or wraps it. */
  private CompletableFuture<?> elect(Lock electorLock, MultiClusterLeaseLock lock) {
    String id = lock.identity();
    LeaderElector elector = new LeaderElectorBuilder(client, executor).withConfig(new LeaderElectionConfigBuilder()
        .withName("it").withLock(electorLock).withLeaseDuration(L).withRenewDeadline(D).withRetryPeriod(R)
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(() -> events.add(id + ":start"), () -> events.add(id + ":stop"),
            leader -> { }))
        .build()).build();
    CompletableFuture<?> f = elector.start();
    elections.add(f);
    return f;
  }

  private Resource<MultiClusterLease> object() {
    return client.resources(MultiClusterLease.class).inNamespace(ns).withName(NAME);
  }

  private String holder() {
    MultiClusterLease o = object().get();
    return o == null ? null : o.getSpec().getHolderIdentity();
  }

  private List<String> starts() {
    return events.stream().filter(e -> e.endsWith(":start")).collect(Collectors.toList());
  }

  @Test
  void twoElectorsOneLocalCandidateOnlyTheConfirmedOneLeads() {
    controller();
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    elect(a);
    elect(b);

    await().atMost(Duration.ofSeconds(5)).until(() -> starts().size() == 1);
    String winner = starts().get(0).split(":")[0];
    MultiClusterLeaseLock leader = winner.equals("a") ? a : b;
    MultiClusterLeaseLock standby = winner.equals("a") ? b : a;
    assertThat(holder()).isEqualTo(winner);
    assertThat(leader.isLeader()).isTrue();
    assertThat(leader.fencingToken()).isPresent();
    // for three lease durations nothing changes: one spec holder, one leader, the standby keeps quiet
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() ->
        starts().size() == 1 && winner.equals(holder()) && leader.isLeader() && !standby.isLeader());
    assertThat(standby.problem()).isEmpty();
    assertThat(leader.problem()).isEmpty();
  }

  @Test
  void aStandbyLocalCandidateHeartbeatsEveryDMinus42RWithoutLoggingAProblem() {
    try (LogCapture elector = new LogCapture(LeaderElector.class);
        LogCapture lockLog = new LogCapture(MultiClusterLeaseLock.class)) {
      MultiClusterLeaseLock a = lock("a"); // no controller: never confirmed
      elect(a);
      java.util.Set<String> beats = new java.util.HashSet<>();
      long from = System.nanoTime();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        MultiClusterLease o = object().get();
        if (o != null) {
          beats.add(o.getSpec().getRenewTime().getTime());
        }
        return beats.size() >= 6;
      });
      // not leader: a heartbeat once D − 4.2R = 660 ms have passed (HeartbeatCadence), at the next tick, which
      // comes within 2.2 R: 6 heartbeats take at least 5 × 660 ms and at most 5 × (660 ms + 2.2 R) and a margin
      Duration took = Duration.ofNanos(System.nanoTime() - from);
      Duration standby = D.minus(R.multipliedBy(42).dividedBy(10));
      assertThat(took).isGreaterThanOrEqualTo(standby.multipliedBy(5).minus(R))
          .isLessThan(standby.plus(R.multipliedBy(3)).multipliedBy(5));
      assertThat(a.isLeader()).isFalse();
      assertThat(starts()).isEmpty();
      assertThat(elector.lines(Level.WARN)).isEmpty();
      assertThat(lockLog.lines(Level.WARN)).isEmpty();
    }
  }

  @Test
  void anHourOfSkewInEitherDirectionNeitherBlocksNorDuplicatesLeadership() {
    controller();
    try (LogCapture elector = new LogCapture(LeaderElector.class)) {
      MultiClusterLeaseLock ahead = lock("ahead", Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
      MultiClusterLeaseLock behind = lock("behind", Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)));
      CompletableFuture<?> first = elect(ahead);
      await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("ahead:start"));
      elect(behind);
      // "behind" hands fabric8 records an hour old: fabric8 asks update() to take over, which refuses
      await().during(L.plus(R)).atMost(L.plusSeconds(1)).until(() -> ahead.isLeader() && !behind.isLeader()
          && starts().size() == 1);

      first.cancel(true);
      await().atMost(Duration.ofSeconds(3)).until(() -> events.contains("behind:start"));
      assertThat(behind.isLeader()).isTrue();
      assertThat(ahead.isLeader()).isFalse();
      assertThat(elector.lines(Level.WARN)).isEmpty();
    }
  }

  @Test
  void onStopLeadingWithinRenewDeadlineWhenConfirmationsStop() {
    EchoingStatusWriter writer = controller();
    MultiClusterLeaseLock a = lock("a");
    CompletableFuture<?> election = elect(a);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("a:start")); // the elector saw it too

    writer.stopEchoing();
    long stoppedAt = System.nanoTime();
    long validUntil = a.validUntilNanos();
    await().atMost(D.plus(R).plusMillis(700)).until(() -> events.contains("a:stop"));
    long tookMillis = Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();

    // leadership itself ended by validUntil ≤ stop + D; fabric8 hears of it on its next tick (≤ R later)
    assertThat(a.isLeader()).isFalse();
    assertThat(validUntil - stoppedAt).isLessThanOrEqualTo(D.toNanos());
    assertThat(tookMillis).isLessThan(D.plus(R).plusMillis(700).toMillis());
    await().atMost(Duration.ofSeconds(1)).until(election::isDone); // a LeaderElector does not campaign again
    assertThat(holder()).isEqualTo("a"); // still the local candidate, still heartbeating for the next round
  }

  /**
   * ElectorTerm, fencing.feature's case: the elector froze inside a tick while leading with one token; meanwhile its
   * leadership lapsed, another cluster led, and on resuming its own tick wrote the heartbeat that the controller
   * echoed with a new token. fabric8 must hear onStopLeading for the old term, not renew it silently.
   */
  @Test
  void anElectorFrozenAcrossANewAcquisitionEndsItsOldTerm() throws Exception {
    EchoingStatusWriter writer = controller();
    MultiClusterLeaseLock a = lock("a");
    FreezableLock frozen = new FreezableLock(a);
    CompletableFuture<?> election = elect(frozen, a);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("a:start"));
    long oldToken = a.fencingToken().orElseThrow();

    frozen.freezeAtNextGet();
    frozen.awaitFrozen();
    writer.stopEchoing();
    await().atMost(D.plusSeconds(1)).until(() -> !a.isLeader());
    writer.nameOtherLeader("west-pod-0"); // another cluster leads, with a higher token
    await().atMost(Duration.ofSeconds(2)).until(() -> a.globalLeader().filter("west-pod-0"::equals).isPresent());
    writer.resumeEchoing(); // and its leadership ends; the next heartbeat of "a" is echoed with a newer token
    // that first echo (of the old heartbeat) is written before the thawed tick writes its heartbeat, so that the
    // tick's echo is the one with the new token (spec writes no longer race status writes: SpecWriter)
    await().atMost(Duration.ofSeconds(2)).until(() -> {
      MultiClusterLease o = object().get();
      return o != null && o.getStatus() != null && "a".equals(o.getStatus().getLeader())
          && o.getStatus().getFencingToken() != null && o.getStatus().getFencingToken() > oldToken;
    });
    frozen.thaw();

    await().atMost(Duration.ofSeconds(3)).until(() -> a.fencingToken().orElse(oldToken) > oldToken);
    await().atMost(Duration.ofSeconds(2)).until(election::isDone); // the old term ended, not renewed silently
    assertThat(events).containsExactly("a:start", "a:stop");
  }

  @Test
  void statusNamingAnotherLeaderStopsLeadingAtOnce() {
    EchoingStatusWriter writer = controller();
    MultiClusterLeaseLock a = lock("a");
    elect(a);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("a:start")); // the elector saw it too

    long before = System.nanoTime();
    writer.nameOtherLeader("west-pod-0");
    await().atMost(Duration.ofSeconds(1)).until(() -> !a.isLeader()); // the informer brings it in at once
    await().atMost(D).until(() -> events.contains("a:stop")); // typically within one tick (R)
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(D);
    assertThat(a.globalLeader()).contains("west-pod-0");
    assertThat(a.leaderCluster()).contains("west");
  }

  @Test
  void releaseOnCancelClearsHolderIdentity() {
    controller();
    MultiClusterLeaseLock a = lock("a");
    CompletableFuture<?> election = elect(a);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("a:start")); // the elector saw it too

    election.cancel(true);

    assertThat(a.isLeader()).isFalse();
    await().atMost(Duration.ofSeconds(1)).until(() -> "".equals(holder()));
    await().atMost(Duration.ofSeconds(1)).until(() -> events.equals(List.of("a:start", "a:stop")));
  }

  @Test
  void staleStatusNamingARestartedCandidateDoesNotMakeItLeader() {
    // what a crashed process "x" left behind: its heartbeat, and the controller's echo of it
    Instant old = Instant.now().minusSeconds(30);
    MultiClusterLease left = new MultiClusterLease();
    left.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(NAME).build());
    left.setSpec(new MultiClusterLeaseSpec("x", 2, MicroTimes.of(old)));
    client.resource(left).create();
    EchoingStatusWriter.writeStatus(client, object(), s -> {
      s.setLeader("x");
      s.setObservedRenewTime(MicroTimes.of(old));
      s.setFencingToken(41L);
    });

    MultiClusterLeaseLock x = lock("x"); // the restarted process, same identity
    elect(x);
    await().during(D.plus(R)).atMost(D.plusSeconds(1)).until(() -> !x.isLeader() && starts().isEmpty());
    assertThat(MicroTimes.toInstant(object().get().getSpec().getRenewTime())).isAfter(old); // it heartbeats

    controller(); // the controller confirms its new heartbeat
    await().atMost(Duration.ofSeconds(3)).until(() -> events.contains("x:start"));
    assertThat(x.fencingToken()).hasValue(101);
  }

  @Test
  void theInformerBringsConfirmationAndLossWithoutATick() {
    MultiClusterLeaseLock a = lock("a");
    AtomicInteger changes = new AtomicInteger();
    a.addListener(changes::incrementAndGet);
    a.get(client); // one tick: creates the object with a heartbeat; nothing drives the lock after this
    assertThat(a.isLeader()).isFalse();

    EchoingStatusWriter writer = controller();
    await().atMost(Duration.ofSeconds(2)).until(a::isLeader);
    writer.nameOtherLeader("b");
    await().atMost(Duration.ofSeconds(2)).until(() -> !a.isLeader());
    assertThat(changes.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void candidateRunnerCampaignsAgainAfterALossAndReleasesOnClose() throws Exception {
    EchoingStatusWriter writer = controller();
    MultiClusterLeaseLock a = lock("a");
    List<Long> tokens = new CopyOnWriteArrayList<>();
    List<String> newLeaders = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    CandidateRunner runner = CandidateRunner.builder(client, a)
        .onStartLeading(token -> {
          tokens.add(token);
          events.add("a:start");
        })
        .onStopLeading(() -> events.add("a:stop"))
        .onNewLeader(newLeaders::add)
        .build();
    CompletableFuture<Void> running = runner.start();

    await().atMost(Duration.ofSeconds(5)).until(() -> events.equals(List.of("a:start")));
    writer.stopEchoing();
    await().atMost(D.plus(R).plusSeconds(1)).until(() -> events.equals(List.of("a:start", "a:stop")));
    writer.resumeEchoing();
    await().atMost(Duration.ofSeconds(5)).until(() -> events.equals(List.of("a:start", "a:stop", "a:start")));
    assertThat(runner.terms()).isGreaterThanOrEqualTo(2);
    assertThat(tokens).allSatisfy(t -> assertThat(t).isPositive());

    runner.close();
    assertThat(running).isDone();
    assertThat(events).containsExactly("a:start", "a:stop", "a:start", "a:stop");
    assertThat(holder()).isEmpty();
    // fabric8 reports the graceful release as a new leader null: the runner promises "" for "none known"
    assertThat(newLeaders).contains("a").doesNotContainNull();
    // the runner closed the lock, and a closed lock never counts itself leader again
    assertThat(a.leadership()).isEqualTo(Leadership.NONE);
    a.get(client);
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void handoverBetweenTwoRunnersOnClose() {
    controller();
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    List<String> leaders = new CopyOnWriteArrayList<>();
    List<Long> tokens = new CopyOnWriteArrayList<>();
    CandidateRunner ra = CandidateRunner.builder(client, a).onStartLeading(t -> {
      leaders.add("a");
      tokens.add(t);
    }).build();
    CandidateRunner rb = CandidateRunner.builder(client, b).onStartLeading(t -> {
      leaders.add("b");
      tokens.add(t);
    }).build();
    closeables.add(ra);
    closeables.add(rb);
    ra.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> leaders.equals(List.of("a")));
    rb.start();

    long closing = System.nanoTime();
    ra.close();
    assertThat(a.isLeader()).isFalse();
    await().atMost(Duration.ofSeconds(3)).until(() -> leaders.equals(List.of("a", "b")));
    long handoverMillis = Duration.ofNanos(System.nanoTime() - closing).toMillis();
    assertThat(tokens.get(1)).isGreaterThan(tokens.get(0));
    assertThat(handoverMillis).isLessThan(L.toMillis()); // released, not expired
  }
}
