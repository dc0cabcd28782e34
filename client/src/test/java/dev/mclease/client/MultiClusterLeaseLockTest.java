package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.mclease.client.TestClocks.MutableClock;
import dev.mclease.client.TestClocks.Ticker;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every rule of the candidate side of docs/protocol.md, driven tick by tick with an injected wall clock and
 * monotonic clock against a real kube-apiserver (the shared cluster {@code east}, a fresh namespace per test; skipped
 * where the binaries are missing). RBAC failures are real 403s for a ServiceAccount without the grant. The informer
 * is off here so that state changes only when a test calls {@code get()}; {@link LeaderElectorIntegrationTest} runs
 * it with the informer and real time.
 */
class MultiClusterLeaseLockTest {

  private static final Duration L = Duration.ofSeconds(15);
  private static final Duration D = Duration.ofSeconds(10);
  private static final Duration R = Duration.ofSeconds(2);
  private static final String NAME = "lease";
  private static final Instant WALL = Instant.parse("2026-03-01T12:00:00Z");

  private static ApiServerCluster cluster;

  private final List<MultiClusterLeaseLock> locks = new ArrayList<>();
  private String ns;
  private KubernetesClient client;
  private Ticker ticker;
  private MutableClock clock;

  @BeforeAll
  static void startCluster() {
    cluster = RealApiServer.shared("east");
  }

  @BeforeEach
  void setUp() {
    ns = RealApiServer.freshNamespace(cluster);
    client = cluster.client();
    // near the overflow of long, to prove every comparison is a difference, as System.nanoTime requires
    ticker = new Ticker(Long.MAX_VALUE - Duration.ofSeconds(20).toNanos());
    clock = new MutableClock(WALL);
  }

  @AfterEach
  void closeLocks() {
    locks.forEach(MultiClusterLeaseLock::close);
  }

  private MultiClusterLeaseLock lock(String identity) {
    return lock(identity, clock);
  }

  private MultiClusterLeaseLock lock(String identity, Clock wall) {
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, NAME, identity)
        .leaseDuration(L).renewDeadline(D).retryPeriod(R)
        .clock(wall).nanoTime(ticker).watch(false).build();
    locks.add(lock);
    return lock;
  }

  private Resource<MultiClusterLease> object() {
    return client.resources(MultiClusterLease.class).inNamespace(ns).withName(NAME);
  }

  private MultiClusterLease read() {
    return object().get();
  }

  private String holder() {
    return read().getSpec().getHolderIdentity();
  }

  private MicroTime renewTime() {
    return read().getSpec().getRenewTime();
  }

  private String rv() {
    return read().getMetadata().getResourceVersion();
  }

  private void status(String leader, MicroTime observedRenewTime, long token) {
    EchoingStatusWriter.writeStatus(client, object(), s -> {
      s.setLeader(leader);
      s.setObservedRenewTime(observedRenewTime);
      s.setFencingToken(token);
      s.setLeaderCluster("east");
    });
  }

  /** The election controller has served the object: a status that names no leader (the key is not ours). */
  private void served() {
    EchoingStatusWriter.writeStatus(client, object(), s -> {
      s.setLeader("");
      s.setLeaderCluster("");
    });
  }

  /** The next retry tick: time moves by retryPeriod on both clocks. */
  private void tick() {
    ticker.advance(R);
    clock.advance(R);
  }

  private static LeaderElectionRecord released() {
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    return new LeaderElectionRecord(null, Duration.ofSeconds(1), now, now, 0);
  }

  // ------------------------------------------------------------------------------------------- builder

  @Test
  void builderValidatesTimingsWithTheNumbers() {
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "a").leaseDuration(Duration.ofSeconds(10))
        .renewDeadline(Duration.ofSeconds(10)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leaseDuration (PT10S) must be greater than renewDeadline (PT10S)");
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "a").renewDeadline(Duration.ofSeconds(2))
        .retryPeriod(Duration.ofSeconds(3)).build())
        .hasMessage("renewDeadline (PT2S) must be greater than retryPeriod (PT3S)");
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "a").retryPeriod(Duration.ZERO).build())
        .hasMessage("retryPeriod must be > 0, got PT0S");
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "a").leaseDuration(Duration.ofMillis(15500))
        .build())
        .hasMessageContaining("leaseDuration must be whole seconds between 1 and 3600");
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "")).hasMessage("identity is required");
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("ns", "n", "a").confirmationWait(Duration.ofMillis(-1))
        .build()).hasMessage("confirmationWait must be >= 0 (zero turns it off), got PT-0.001S");
    MultiClusterLeaseLock defaults = MultiClusterLeaseLock.builder("ns", "n", "a").build();
    assertThat(defaults.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(defaults.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    defaults.close();
  }

  // ------------------------------------------------------------------------------------------ get/create

  @Test
  void getCreatesTheMissingObjectWithOurHeartbeatAndNeverReturnsNull() {
    MultiClusterLeaseLock a = lock("a");

    LeaderElectionRecord record = a.get(client);

    assertThat(record).isNotNull();
    assertThat(record.getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(record.getRenewTime().toInstant()).isEqualTo(WALL);
    assertThat(holder()).isEqualTo("a");
    assertThat(renewTime()).isEqualTo(MicroTimes.of(WALL));
    assertThat(read().getSpec().getLeaseDurationSeconds()).isEqualTo(15);
    assertThat(a.isLeader()).isFalse();
    assertThat(a.validUntilNanos()).isEqualTo(Long.MIN_VALUE);
    assertThat(a.fencingToken()).isEmpty();
    assertThat(a.localCandidate()).contains("a");
  }

  @Test
  void createReturnsNormallyOnlyWhenConfirmed() {
    MultiClusterLeaseLock a = lock("a");
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    LeaderElectionRecord mine = new LeaderElectionRecord("a", L, now, now, 0);

    assertThatThrownBy(() -> a.create(client, mine))
        .isInstanceOfSatisfying(LockException.class, e -> assertThat(e.isRefusal()).isTrue())
        .hasMessageContaining("not leader")
        .hasMessageContaining("election controller");
    assertThat(holder()).isEqualTo("a"); // the object exists now, with our heartbeat

    status("a", renewTime(), 3);
    a.create(client, mine);
    assertThat(a.isLeader()).isTrue();
  }

  // -------------------------------------------------------------------------------------- confirmation

  @Test
  void confirmedOnlyByAFreshEchoOfOwnHeartbeatUntilRenewDeadline() {
    MultiClusterLeaseLock a = lock("a");
    long t0 = ticker.getAsLong();
    a.get(client);
    status("a", renewTime(), 7);

    LeaderElectionRecord record = a.get(client);

    assertThat(record.getHolderIdentity()).isEqualTo("a");
    assertThat(record.getRenewTime().toInstant()).isEqualTo(WALL);
    assertThat(a.isLeader()).isTrue();
    assertThat(a.fencingToken()).hasValue(7);
    assertThat(a.validUntilNanos()).isEqualTo(t0 + D.toNanos());
    assertThat(a.globalLeader()).contains("a");
    assertThat(a.leaderCluster()).contains("east");

    ticker.advance(D.minusNanos(1));
    assertThat(a.isLeader()).isTrue();
    ticker.advance(Duration.ofNanos(1));
    assertThat(a.isLeader()).isFalse();
    assertThat(a.validUntilNanos()).isEqualTo(Long.MIN_VALUE);
    assertThat(a.fencingToken()).isEmpty();
    // status still names "a" with that echo, but it is too old: the elector is told nobody leads
    assertThat(a.get(client).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
  }

  @Test
  void eachConfirmedHeartbeatExtendsLeadershipFromItsOwnWriteInstant() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    status("a", renewTime(), 1);
    a.get(client);
    for (int i = 0; i < 10; i++) {
      MicroTime confirmed = renewTime();
      tick();
      a.get(client);
      assertThat(renewTime()).as("8 s of D = 10 s left: no heartbeat needed yet (HeartbeatCadence)")
          .isEqualTo(confirmed);
      tick();
      long t0 = ticker.getAsLong();
      a.get(client); // 6 s left, max(D - 2R, 2R): writes; status still echoes the previous one
      assertThat(renewTime()).isNotEqualTo(confirmed);
      assertThat(a.isLeader()).isTrue();
      status("a", renewTime(), 1);
      a.get(client);
      assertThat(a.validUntilNanos()).isEqualTo(t0 + D.toNanos());
    }
  }

  @Test
  void anEchoOfAHeartbeatThisInstanceNeverWroteIsIgnored() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    MicroTime mine = renewTime();
    Instant foreign = MicroTimes.toInstant(mine).plusMillis(1);

    status("a", MicroTimes.of(foreign), 5);
    assertThat(a.get(client).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(a.isLeader()).isFalse();

    status("a", null, 5);
    assertThat(a.get(client).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void aRestartedCandidateIsNotLeaderOnTheStaleStatusOfItsPredecessor() {
    MultiClusterLeaseLock before = lock("a");
    before.get(client);
    MicroTime old = renewTime();
    status("a", old, 9);
    before.get(client);
    assertThat(before.isLeader()).isTrue();

    // same identity, new process, its wall clock an hour behind: status names "a" and echoes the old heartbeat
    MultiClusterLeaseLock after = lock("a", new MutableClock(WALL.minusSeconds(3600)));
    tick();
    LeaderElectionRecord record = after.get(client);

    assertThat(record.getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(after.isLeader()).isFalse();
    // its own heartbeat is newer than anything the stale status echoes, so it can never be mistaken for it
    assertThat(MicroTimes.toInstant(renewTime())).isAfter(MicroTimes.toInstant(old));
    status("a", renewTime(), 10);
    after.get(client);
    assertThat(after.isLeader()).isTrue();
    assertThat(after.fencingToken()).hasValue(10);
  }

  @Test
  void everyHeartbeatPublishesTheRenewDeadlineAndTheLockInstance() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    assertThat(read().getSpec().getRenewDeadlineMilliseconds()).isEqualTo(D.toMillis());
    assertThat(read().getSpec().getHolderInstance()).isEqualTo(a.instance());
    tick();
    MultiClusterLeaseLock b = lock("a"); // a restart under the same identity takes spec with its own instance
    b.get(client);
    assertThat(holder()).isEqualTo("a");
    assertThat(read().getSpec().getHolderInstance()).isEqualTo(b.instance()).isNotEqualTo(a.instance());
  }

  @Test
  void theControllersConfirmationWindowCapsALongerRenewDeadline() {
    MultiClusterLeaseLock a = lock("a");
    long t0 = ticker.getAsLong();
    a.get(client);
    EchoingStatusWriter.writeStatus(client, object(), s -> {
      s.setLeader("a");
      s.setObservedRenewTime(renewTime());
      s.setFencingToken(4L);
      s.setConfirmationWindowMilliseconds(2500L);
    });
    a.get(client);
    assertThat(a.isLeader()).isTrue();
    assertThat(a.validUntilNanos()).as("t0 + min(D = 10 s, window 2.5 s)").isEqualTo(t0 + 2_500_000_000L);
    ticker.advance(Duration.ofMillis(2500));
    assertThat(a.isLeader()).as("the window ended although D = 10 s has not").isFalse();
  }

  @Test
  void leadershipIsOneAtomicSnapshot() {
    MultiClusterLeaseLock a = lock("a");
    assertThat(a.leadership()).isEqualTo(Leadership.NONE);
    long t0 = ticker.getAsLong();
    a.get(client);
    status("a", renewTime(), 7);
    a.get(client);
    Leadership now = a.leadership();
    assertThat(now.leader()).isTrue();
    assertThat(now.fencingToken()).hasValue(7);
    assertThat(now.validUntilNanos()).isEqualTo(t0 + D.toNanos());
    assertThat(now.isValidAt(ticker.getAsLong())).isTrue();
    assertThat(now.isValidAt(t0 + D.toNanos())).isFalse();
    ticker.advance(D);
    assertThat(a.leadership()).isEqualTo(Leadership.NONE);
  }

  @Test
  void closeIsFinalEvenForAnEchoThatArrivesAfterIt() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    MicroTime mine = renewTime();
    status("a", mine, 3);
    a.get(client);
    assertThat(a.isLeader()).isTrue();
    a.close();
    assertThat(a.isLeader()).isFalse();
    assertThat(a.leadership()).isEqualTo(Leadership.NONE);
    // a late echo of a heartbeat it wrote, seen by a tick that was still running: nothing
    status("a", mine, 3);
    a.get(client);
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void statusNamingSomeoneElseEndsLeadershipAtOnce() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    status("a", renewTime(), 1);
    a.get(client);
    assertThat(a.isLeader()).isTrue();

    status("b", renewTime(), 2); // another cluster's candidate holds the global lock now

    LeaderElectionRecord record = a.get(client);
    assertThat(record.getHolderIdentity()).isEqualTo("b");
    assertThat(a.isLeader()).isFalse();
    assertThat(a.globalLeader()).contains("b");
    // not expired to the wall clock (the same one the elector reads in production), so it will not take over
    assertThat(clock.instant().isAfter(record.getRenewTime().plus(record.getLeaseDuration()).toInstant())).isFalse();
  }

  // -------------------------------------------------------------------------------------- local election

  @Test
  void aFreshHolderIsNeverTakenOverAnExpiredOneIsAfterLeaseDurationOnOurClock() {
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    a.get(client);
    String rv = rv();

    b.get(client);
    assertThat(rv()).isEqualTo(rv);
    ticker.advance(L.minusMillis(1));
    b.get(client);
    assertThat(holder()).isEqualTo("a");
    assertThat(rv()).isEqualTo(rv);

    ticker.advance(Duration.ofMillis(1));
    b.get(client);
    assertThat(holder()).isEqualTo("b");
  }

  @Test
  void aHeartbeatRestartsTheExpiryCountdown() {
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    a.get(client);
    served(); // a standby's cadence: a heartbeat on every tick (D - 4.2R = 1.6 s < R)
    b.get(client);
    for (int i = 0; i < 20; i++) { // 40 s of a heartbeating every 2 s: b never takes over
      tick();
      a.get(client);
      b.get(client);
      assertThat(holder()).isEqualTo("a");
    }
    ticker.advance(L.minusMillis(1)); // a stops; b first saw its last heartbeat at the last b.get()
    b.get(client);
    assertThat(holder()).isEqualTo("a");
    ticker.advance(Duration.ofMillis(1));
    b.get(client);
    assertThat(holder()).isEqualTo("b");
  }

  @Test
  void aNewProcessWaitsAFullLeaseDurationEvenForAnAncientHeartbeat() {
    MultiClusterLeaseLock a = lock("a", new MutableClock(WALL.minusSeconds(86_400))); // renewTime a day old
    a.get(client);
    MultiClusterLeaseLock b = lock("b");
    b.get(client);
    ticker.advance(L.minusMillis(1));
    b.get(client);
    assertThat(holder()).isEqualTo("a");
    ticker.advance(Duration.ofMillis(1));
    b.get(client);
    assertThat(holder()).isEqualTo("b");
  }

  @Test
  void aFreeObjectIsTakenAtOnce() {
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    a.get(client);
    a.release(client);
    assertThat(holder()).isEmpty();
    b.get(client);
    assertThat(holder()).isEqualTo("b");
  }

  @Test
  void racesAreDecidedByResourceVersionAndLosingOneIsNotAnError() throws Exception {
    int n = 6;
    List<MultiClusterLeaseLock> candidates = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      candidates.add(lock("c" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try (LogCapture log = new LogCapture(MultiClusterLeaseLock.class)) {
      for (int round = 0; round < 2; round++) {
        // round 0: all create the missing object at once; round 1: all write the freed object at once
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<LeaderElectionRecord>> results = candidates.stream()
            .map(c -> CompletableFuture.supplyAsync(() -> {
              try {
                go.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return c.get(client);
            }, pool))
            .collect(Collectors.toList());
        go.countDown();
        for (CompletableFuture<LeaderElectionRecord> r : results) {
          assertThat(r.get()).isNotNull();
        }
        String winner = holder();
        assertThat(winner).startsWith("c");
        assertThat(candidates.stream().filter(c -> c.localCandidate().filter(winner::equals).isPresent()))
            .isNotEmpty();
        for (MultiClusterLeaseLock c : candidates) {
          assertThat(c.problem()).isEmpty();
        }
        candidates.stream().filter(c -> c.identity().equals(winner)).findFirst().orElseThrow().release(client);
        candidates.removeIf(c -> c.identity().equals(winner));
        tick();
      }
      assertThat(log.lines(Level.WARN)).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  // -------------------------------------------------------------------------------------------- update

  @Test
  void updateNeverWritesASecondTimeAndSucceedsOnlyWhenConfirmed() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    LeaderElectionRecord mine = new LeaderElectionRecord("a", L, now, now, 0);
    String rv = rv();

    assertThatThrownBy(() -> a.update(client, mine))
        .isInstanceOfSatisfying(LockException.class, e -> {
          assertThat(e.isRefusal()).isTrue();
          assertThat(e.getCode()).isEqualTo(409);
        })
        .hasMessageContaining("not leader");
    assertThat(rv()).isEqualTo(rv);

    status("a", renewTime(), 1);
    a.get(client); // same tick: no second heartbeat
    rv = rv();
    a.update(client, mine);
    assertThat(rv()).isEqualTo(rv);

    assertThatThrownBy(() -> a.update(client, new LeaderElectionRecord("b", L, now, now, 1)))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("refusing to take");
  }

  @Test
  void getWritesAtMostOneHeartbeatPerTickAndAStandbyOnlyEveryDMinus42R() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    served();
    String rv = rv();
    a.get(client);
    a.get(client);
    assertThat(rv()).isEqualTo(rv);
    ticker.advance(Duration.ofMillis(1500));
    a.get(client);
    assertThat(rv()).as("not leader: 1.5 s < D - 4.2R = 1.6 s since its heartbeat").isEqualTo(rv);
    ticker.advance(Duration.ofMillis(100));
    a.get(client);
    assertThat(rv()).isNotEqualTo(rv);
  }

  @Test
  void onAnObjectNoControllerServedYetAHolderWritesOnlyEveryHalfOfWhatLLeavesAfterATick() {
    // thousands of new leases before their controller gets to them: a heartbeat per tick would only add to its work
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    String rv = rv();
    ticker.advance(Duration.ofMillis(5200));
    a.get(client);
    assertThat(rv()).as("no status yet: 5.2 s < (L - 2.2R)/2 = 5.3 s since its heartbeat").isEqualTo(rv);
    ticker.advance(Duration.ofMillis(100));
    a.get(client);
    assertThat(rv()).isNotEqualTo(rv);
    served();
    String servedRv = rv();
    ticker.advance(Duration.ofMillis(1600));
    a.get(client);
    assertThat(rv()).as("served: the standby's D - 4.2R = 1.6 s again").isNotEqualTo(servedRv);
  }

  @Test
  void aConfirmationThatArrivesBetweenTwoTicksIsAnsweredByTheTickThatWaitsForIt() throws Exception {
    // fabric8's elector asks only every retryPeriod..2.2·retryPeriod: an unconfirmed local holder's get() waits for
    // the informer so the echo is answered now, not a whole tick later (docs/client.md)
    MultiClusterLeaseLock a = MultiClusterLeaseLock.builder(ns, NAME, "a").leaseDuration(L).renewDeadline(D)
        .retryPeriod(R).clock(clock).nanoTime(ticker).watch(true).build();
    locks.add(a);
    CompletableFuture<LeaderElectionRecord> tick = CompletableFuture.supplyAsync(() -> a.get(client));
    org.awaitility.Awaitility.await().atMost(R).until(() -> object().get() != null);
    status("a", renewTime(), 7); // the election controller echoes the heartbeat the tick just wrote

    LeaderElectionRecord answered = tick.get(R.multipliedBy(3).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    assertThat(answered.getHolderIdentity()).as("the same tick answers the confirmation").isEqualTo("a");
    assertThat(a.fencingToken()).hasValue(7);
  }

  @Test
  void withoutTheConfirmationWaitATickAnswersFromWhatItHasSeen() throws Exception {
    MultiClusterLeaseLock a = MultiClusterLeaseLock.builder(ns, NAME, "a").leaseDuration(L).renewDeadline(D)
        .retryPeriod(R).clock(clock).nanoTime(ticker).watch(true).confirmationWait(Duration.ZERO).build();
    locks.add(a);
    assertThat(a.get(client).getHolderIdentity()).as("returns at once, nothing confirmed yet")
        .isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    status("a", renewTime(), 7);
    org.awaitility.Awaitility.await().atMost(R).until(a::isLeader); // the informer still confirms at once
    assertThat(a.get(client).getHolderIdentity()).isEqualTo("a");
  }

  // ------------------------------------------------------------------------------------------- release

  @Test
  void releaseStopsLeadingFirstThenWritesAnEmptyHolder() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    MicroTime t = renewTime();
    status("a", t, 4);
    a.get(client);
    assertThat(a.isLeader()).isTrue();

    a.update(client, released()); // what fabric8's LeaderElector.release() does with releaseOnCancel

    assertThat(a.isLeader()).isFalse();
    assertThat(holder()).isEmpty();
    // a late echo of a heartbeat from before the release does not make it leader again
    status("a", t, 4);
    ticker.advance(Duration.ofMillis(1));
    a.get(client);
    assertThat(a.isLeader()).isFalse();
  }

  @Test
  void releaseOfAnObjectHeldBySomeoneElseWritesNothing() {
    MultiClusterLeaseLock a = lock("a");
    MultiClusterLeaseLock b = lock("b");
    a.get(client);
    b.get(client);
    String rv = rv();
    assertThat(b.release(client)).isFalse();
    assertThat(rv()).isEqualTo(rv);
    assertThat(holder()).isEqualTo("a");
  }

  @Test
  void closeReleasesALocalCandidacy() {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    a.close();
    assertThat(holder()).isEmpty();
  }

  // ----------------------------------------------------------------------------------------- wall clocks

  @Test
  void anHourOfWallClockSkewChangesNothing() {
    List<String> straight = scenario(Duration.ZERO, Duration.ZERO);
    assertThat(scenario(Duration.ofHours(1), Duration.ofHours(-1))).isEqualTo(straight);
    assertThat(scenario(Duration.ofHours(-1), Duration.ofHours(1))).isEqualTo(straight);
    assertThat(straight).contains("a+:a", "b-:b", "b+:b");
  }

  /** a leads with echoes, stops; b takes over after L and leads; the observable decisions, tick by tick. */
  private List<String> scenario(Duration skewA, Duration skewB) {
    setUp();
    MultiClusterLeaseLock a = lock("a", Clock.offset(clock, skewA));
    MultiClusterLeaseLock b = lock("b", Clock.offset(clock, skewB));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      if (i < 10) {
        a.get(client);
      }
      if (Objects.equals(holder(), a.identity()) && i < 8 || Objects.equals(holder(), "b")) {
        status(holder(), renewTime(), 1); // the controller echoes (and stops echoing a at tick 8)
      }
      if (i < 10) {
        a.get(client);
      }
      b.get(client);
      seen.add((a.isLeader() ? "a+" : b.isLeader() ? "b+" : holder().equals("b") ? "b-" : "a-") + ":" + holder());
      tick();
    }
    closeLocks();
    locks.clear();
    return seen;
  }

  // -------------------------------------------------------------------------------- bad input, no flood

  @Test
  void unreachableApiServerAnswersFromLastObservedStateAndStillEndsByRenewDeadline() throws Exception {
    MultiClusterLeaseLock a = lock("a");
    a.get(client);
    status("a", renewTime(), 2);
    a.get(client);
    assertThat(a.isLeader()).isTrue();

    try (KubernetesClient dead = deadClient(); LogCapture log = new LogCapture(MultiClusterLeaseLock.class)) {
      ticker.advance(R);
      LeaderElectionRecord record = a.get(dead); // no exception: the last observed state says we still lead
      assertThat(record.getHolderIdentity()).isEqualTo("a");
      assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p).contains("cannot reach").contains("renewDeadline"));

      ticker.advance(D.minus(R).minusNanos(1));
      assertThat(a.get(dead).getHolderIdentity()).isEqualTo("a");
      ticker.advance(Duration.ofNanos(1));
      assertThat(a.isLeader()).isFalse();
      assertThat(a.get(dead).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
      for (int i = 0; i < 5; i++) {
        tick();
        a.get(dead);
      }
      assertThat(log.lines(Level.WARN)).hasSize(1);
    }
  }

  @Test
  void forbiddenNamesTheVerbAndTheRbacRuleOnceNotPerTick() {
    // a ServiceAccount that may create but not update: the first tick creates, every later heartbeat is a real 403
    RealApiServer.grant(cluster, ns, "candidate", "get", "list", "watch", "create");
    KubernetesClient candidate = cluster.clientAs(ns, "candidate");
    MultiClusterLeaseLock a = lock("a");
    a.get(candidate);
    assertThat(holder()).isEqualTo("a");
    try (LogCapture log = new LogCapture(MultiClusterLeaseLock.class)) {
      for (int i = 0; i < 5; i++) {
        tick();
        assertThat(a.get(candidate)).isNotNull();
      }
      assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p)
          .contains("Forbidden").contains("update").contains("multiclusterleases.mclease.dev")
          .contains("verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\", \"patch\"]").contains("RoleBinding")
          .contains("system:serviceaccount:" + ns + ":candidate")); // the server's own words name who was refused
      assertThat(log.lines(Level.WARN)).hasSize(1);

      RealApiServer.grant(cluster, ns, "candidate", "get", "list", "watch", "create", "update", "patch");
      tick();
      a.get(candidate);
      assertThat(a.problem()).isEmpty();
      assertThat(log.lines(Level.INFO)).anySatisfy(l -> assertThat(l).contains("recovered"));
    }
  }

  @Test
  void forbiddenCreateIsExplained() {
    RealApiServer.grant(cluster, ns, "candidate", "get", "list", "watch", "update");
    MultiClusterLeaseLock a = lock("a");
    assertThat(a.get(cluster.clientAs(ns, "candidate")).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p).contains("Forbidden: may not create")
        .contains("RoleBinding"));
    assertThat(read()).isNull();
  }

  @Test
  void withoutAnyGrantEvenTheReadIsExplained() {
    cluster.tokenFor(ns, "nobody"); // a ServiceAccount with no RoleBinding at all
    MultiClusterLeaseLock a = lock("a");
    assertThat(a.get(cluster.clientAs(ns, "nobody")).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p).contains("Forbidden: may not get")
        .contains("RoleBinding"));
  }

  @Test
  void aMissingNamespaceIsExplained() {
    // a real API server refuses objects in a namespace that does not exist (404), as it does for a missing CRD
    MultiClusterLeaseLock a = MultiClusterLeaseLock.builder(ns + "-missing", NAME, "a").leaseDuration(L)
        .renewDeadline(D).retryPeriod(R).clock(clock).nanoTime(ticker).watch(false).build();
    locks.add(a);
    assertThat(a.get(client).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
    assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p).contains("404")
        .contains("namespace " + ns + "-missing does not exist").contains("kubectl create namespace " + ns + "-missing")
        .doesNotContain("install the CRD"));
  }

  @Test
  void missingCrdIsExplainedWithoutThrowing() {
    ApiServerCluster bare = RealApiServer.shared("no-crd", false);
    bare.ensureNamespace(ns); // so that the 404 is the CRD's
    MultiClusterLeaseLock a = lock("a");
    try (LogCapture log = new LogCapture(MultiClusterLeaseLock.class)) {
      for (int i = 0; i < 3; i++) {
        tick();
        assertThat(a.get(bare.client()).getHolderIdentity()).isEqualTo(MultiClusterLeaseLock.NO_LEADER);
      }
      assertThat(a.problem()).hasValueSatisfying(p -> assertThat(p).contains("install the CRD")
          .contains("404"));
      assertThat(log.lines(Level.WARN)).hasSize(1);
    }
  }

  private static KubernetesClient deadClient() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl("http://127.0.0.1:" + port)
        .withRequestRetryBackoffLimit(0)
        .withConnectionTimeout(500)
        .withRequestTimeout(500)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
