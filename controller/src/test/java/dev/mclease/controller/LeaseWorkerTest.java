package dev.mclease.controller;

import static dev.mclease.controller.RecordingOutput.reason;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.controller.backend.LockEvent;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The per-lease state machine with a scripted backend and a hand-driven monotonic clock (short timings). */
class LeaseWorkerTest {

  private static final long MS = 1_000_000L;
  private static final String KEY = "team-a/my-operator";
  /** min(R/2, 100 ms) at the short timings, in ms. */
  private static final long HOLD_BACK = 100;

  private final AtomicLong now = new AtomicLong(5_000_000 * MS);
  private final ControllerConfig cfg = ControllerConfig.shortTimings("east"); // D=1.5 R=0.2 G=3 K=0.3 M=0.5
  private FakeBackend backend;
  private RecordingOutput out;
  private LeaseWorker worker;
  private ControllerMetrics metrics;
  private long generation;

  @BeforeEach
  void setUp() {
    backend = new FakeBackend();
    out = new RecordingOutput();
    metrics = new ControllerMetrics(new SimpleMeterRegistry(), "east");
    worker = new LeaseWorker("team-a", "my-operator", cfg, backend, out,
        Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC), now::get, metrics);
    renewed();
  }

  /** The backend session was just renewed: held for G from now. */
  private void renewed() {
    backend.heldUntil = now.get() + cfg.backendTtl().toNanos();
  }

  private void advance(long millis) {
    now.addAndGet(millis * MS);
  }

  private void spec(String holder, Integer leaseSeconds, String renewTime) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("my-operator")
        .withGeneration(++generation).build());
    l.setSpec(new MultiClusterLeaseSpec(holder, leaseSeconds, renewTime == null ? null : new MicroTime(renewTime)));
    worker.onSpec(l, now.get());
  }

  private void beat(String holder, int n) {
    spec(holder, 2, "2026-03-01T10:00:%02d.000000Z".formatted(n));
  }

  /** A heartbeat of a client that publishes its renewDeadline and its lock instance (clients ≥ 0.2). */
  private void beat(String holder, String instance, long renewDeadlineMillis, int n) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("my-operator")
        .withGeneration(++generation).build());
    l.setSpec(new MultiClusterLeaseSpec(holder, 2, new MicroTime("2026-03-01T10:00:%02d.000000Z".formatted(n)),
        renewDeadlineMillis, instance));
    worker.onSpec(l, now.get());
  }

  private MultiClusterLeaseStatus st() {
    return out.last();
  }

  /** A heartbeat of pod-a on an object that carries operator annotations ({@link HandOver}). */
  private void beatAnnotated(int n, java.util.Map<String, String> annotations) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("my-operator")
        .withGeneration(++generation).withAnnotations(annotations).build());
    l.setSpec(new MultiClusterLeaseSpec("pod-a", 2, new MicroTime("2026-03-01T10:00:%02d.000000Z".formatted(n))));
    worker.onSpec(l, now.get());
  }

  /** Heartbeats every 500 ms (L = 2 s) and backend renewals for {@code millis}, reconciling after each. */
  private void keepBeating(int from, int millis, java.util.Map<String, String> annotations) {
    for (int t = 0; t < millis; t += 500) {
      advance(500);
      renewed();
      beatAnnotated(from++, annotations);
      worker.reconcile();
    }
  }

  /**
   * Reconciles, and once more when a status that confirms no one was held back ({@link StatusWriter}: written
   * min(R/2, 100 ms) after it first differed): what the controller's timer does.
   */
  private long reconcileThroughHoldBack() {
    long next = worker.reconcile();
    long heldBackUntil = now.get() + HOLD_BACK * MS;
    if (next == heldBackUntil) {
      now.set(heldBackUntil);
      next = worker.reconcile();
    }
    return next;
  }

  private long acquisitions() {
    return backend.calls.stream().filter(c -> c.startsWith("acquire")).count();
  }

  @Test
  void anOperatorReleaseStepsDownOnlyOnceNoEchoCanBeInForceThenHoldsBackForL() {
    beat("pod-a", 1);
    worker.reconcile();
    long token = backend.keys.get(KEY).token();
    java.util.Map<String, String> release = java.util.Map.of(HandOver.RELEASE_TOKEN, Long.toString(token));

    beatAnnotated(2, release);
    worker.reconcile();
    assertThat(worker.state()).isEqualTo(LeaseState.RELEASING);
    assertThat(backend.keys).as("an echo of T1 may still be in force: W + M not over").containsKey(KEY);
    assertThat(st().getObservedRenewTime().getTime()).as("no echo once asked to step down")
        .isEqualTo("2026-03-01T10:00:01.000000Z");

    keepBeating(3, 2000, release); // seen(T1) + W + M = 1.5 s + 0.5 s
    assertThat(backend.keys).doesNotContainKey(KEY);
    assertThat(out.events).anyMatch(e -> e.contains("operator-release"));
    assertThat(acquisitions()).as("held back: another cluster's turn").isEqualTo(1);

    keepBeating(7, 2000, release); // L = 2 s after the release, nobody else took it
    assertThat(acquisitions()).isEqualTo(2);
    assertThat(backend.keys.get(KEY).token()).isGreaterThan(token);
    assertThat(worker.state()).as("the new acquisition is not the one the operator named").isEqualTo(
        LeaseState.HOLDING);
  }

  @Test
  void aMoveToAnotherClusterStepsDownAndHoldsBackFor2LWhileTheOwnClusterKeepsTheKey() {
    beat("pod-a", 1);
    worker.reconcile();
    long token = backend.keys.get(KEY).token();

    keepBeating(2, 1000, java.util.Map.of(HandOver.PREFERRED_CLUSTER, "east"));
    assertThat(backend.keys.get(KEY).token()).as("east is preferred: nothing moves").isEqualTo(token);
    assertThat(worker.state()).isEqualTo(LeaseState.HOLDING);

    java.util.Map<String, String> west = java.util.Map.of(HandOver.PREFERRED_CLUSTER, "west");
    keepBeating(4, 2500, west);
    assertThat(backend.keys).doesNotContainKey(KEY);
    assertThat(out.events).anyMatch(e -> e.contains("moved"));
    assertThat(acquisitions()).isEqualTo(1);

    keepBeating(9, 2000, west); // 2L after east first saw the preference, west has not taken it: east may again
    assertThat(acquisitions()).isEqualTo(2);
    assertThat(worker.state()).isEqualTo(LeaseState.HOLDING);
  }

  @Test
  void acquiresForAnAliveCandidateAndEchoesEachNewRenewTime() {
    beat("pod-a", 1);
    worker.reconcile();

    assertThat(backend.keys).containsKey(KEY);
    long token = backend.keys.get(KEY).token();
    assertThat(st().getLeader()).isEqualTo("pod-a");
    assertThat(st().getLeaderCluster()).isEqualTo("east");
    assertThat(st().getFencingToken()).isEqualTo(token);
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:01.000000Z");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("True/GlobalLockAcquired");
    assertThat(reason(st(), Conditions.BACKEND_REACHABLE)).isEqualTo("True/BackendOK");
    assertThat(reason(st(), Conditions.CANDIDATE_ALIVE)).isEqualTo("True/Heartbeating");
    assertThat(out.events).anyMatch(e -> e.startsWith("Normal GlobalLockAcquired"));

    advance(200);
    renewed();
    beat("pod-a", 2);
    worker.reconcile();
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:02.000000Z");
    assertThat(st().getFencingToken()).isEqualTo(token);
    assertThat(metrics.echoCount()).isEqualTo(2.0);
    assertThat(backend.calls).filteredOn(c -> c.startsWith("acquire")).hasSize(1);
  }

  @Test
  void echoRuleRefusesWhenTheLockIsNotCertainlyHeldForDPlusM() {
    beat("pod-a", 1);
    worker.reconcile();
    int writes = out.statuses.size();

    // No renewal for 1.1 s: heldUntil - now = 1.9 s < D + M = 2.0 s.
    advance(1100);
    beat("pod-a", 2);
    worker.reconcile();

    assertThat(out.statuses).hasSizeGreaterThan(writes);
    assertThat(st().getObservedRenewTime().getTime()).as("no echo of T2").isEqualTo("2026-03-01T10:00:01.000000Z");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/BackendUnreachable");
    assertThat(st().condition(Conditions.LEADER).get().getMessage()).contains("D + M = 2000 ms");

    // Exactly at the boundary the rule holds again after a renewal.
    renewed();
    worker.reconcile();
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:02.000000Z");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("True/GlobalLockAcquired");
  }

  @Test
  void nextWakeUpIsWhenTheEchoRuleStopsHoldingSoBackendLossIsReportedBeforeG() {
    beat("pod-a", 1);
    long next = worker.reconcile();
    long ruleEnds = backend.heldUntil - cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos();
    assertThat(next).isLessThanOrEqualTo(ruleEnds);

    now.set(ruleEnds + 1); // renewals stopped: the timer fires here
    worker.reconcile();
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/BackendUnreachable");
    assertThat(now.get()).isLessThan(backend.heldUntil);
  }

  @Test
  void unreachableBackendStopsConfirmingAtOnceEvenWithTimeLeft() {
    beat("pod-a", 1);
    worker.reconcile();
    backend.reachable = false;
    advance(100);
    beat("pod-a", 2);
    worker.reconcile();
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/BackendUnreachable");
    assertThat(reason(st(), Conditions.BACKEND_REACHABLE)).isEqualTo("False/BackendUnreachable");
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:01.000000Z");
  }

  @Test
  void sessionLossDropsTheLockWithoutReleasing() {
    beat("pod-a", 1);
    worker.reconcile();
    backend.heldUntil = Long.MIN_VALUE;
    backend.keys.clear(); // expired in the store
    backend.reachable = false;
    reconcileThroughHoldBack();
    assertThat(worker.holding()).isFalse();
    assertThat(worker.state()).as("lost, contending again").isEqualTo(LeaseState.CONTENDING);
    assertThat(st().getLeader()).isEmpty();
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/BackendUnreachable");
    assertThat(out.events).anyMatch(e -> e.startsWith("Warning GlobalLockLost"));
    assertThat(metrics.heldNow()).isZero();
  }

  @Test
  void releasesAtOnceWhenTheHolderWritesEmpty() {
    beat("pod-a", 1);
    worker.reconcile();
    long token = backend.keys.get(KEY).token();
    advance(10);
    spec("", 2, "2026-03-01T10:00:01.000000Z");
    reconcileThroughHoldBack();
    assertThat(backend.calls).contains("release " + KEY + " " + token);
    assertThat(backend.keys).doesNotContainKey(KEY);
    assertThat(st().getLeader()).isEmpty();
    assertThat(reason(st(), Conditions.CANDIDATE_ALIVE)).isEqualTo("False/NoCandidate");
  }

  @Test
  void aReleaseGoesToTheLockStoreWhileTheEchoIsStillOnItsWayAndTheStatusesLandInOrder() {
    java.util.ArrayDeque<Runnable> statusPool = new java.util.ArrayDeque<>();
    worker = new LeaseWorker("team-a", "my-operator", cfg, backend, out,
        Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC), now::get, metrics, statusPool::add,
        () -> { });
    beat("pod-a", 1);
    worker.reconcile();
    long token = backend.keys.get(KEY).token();
    assertThat(out.statuses).as("the echo is handed to the status lane, not written on the loop").isEmpty();

    advance(10);
    spec("", 2, "2026-03-01T10:00:01.000000Z");
    reconcileThroughHoldBack();
    assertThat(backend.calls).as("the release does not wait for the echo's write")
        .contains("release " + KEY + " " + token);
    assertThat(statusPool).as("one write at a time: the lane's drain is still queued").hasSize(1);

    statusPool.poll().run();
    assertThat(out.statuses).as("latest wins: the echo was replaced before it was sent").hasSize(1);
    assertThat(st().getLeader()).isEmpty();
    assertThat(statusPool).isEmpty();
  }

  @Test
  void releasesWhenTheHeartbeatIsOlderThanLeaseDurationJudgedByObservationNotValue() {
    // A renewTime far in the future must not keep the candidate alive; only observed changes count.
    spec("pod-a", 2, "2099-01-01T00:00:00.000000Z");
    long next = worker.reconcile();
    assertThat(next).isLessThanOrEqualTo(now.get() + 2000 * MS);
    for (int i = 0; i < 9; i++) {
      advance(200);
      renewed();
      worker.reconcile();
    }
    assertThat(worker.holding()).as("1.8 s of silence < L").isTrue();
    advance(200);
    renewed();
    reconcileThroughHoldBack();
    assertThat(worker.holding()).as("2.0 s of silence = L").isFalse();
    assertThat(reason(st(), Conditions.CANDIDATE_ALIVE)).isEqualTo("False/HeartbeatExpired");
    assertThat(backend.calls).filteredOn(c -> c.startsWith("acquire")).hasSize(1);
  }

  @Test
  void holderChangeReleasesAndReacquiresWithALargerTokenOnceTheLastEchoHasLapsed() {
    beat("pod-a", 1);
    worker.reconcile();
    long first = st().getFencingToken();
    long echoSeen = now.get();

    advance(100);
    renewed();
    spec("pod-b", 2, "2026-03-01T10:00:05.000000Z");
    long next = worker.reconcile();
    assertThat(worker.state()).isEqualTo(LeaseState.RELEASING);
    assertThat(worker.heldToken()).contains(first);
    assertThat(st().getObservedRenewTime().getTime()).as("pod-b is not echoed under pod-a's acquisition")
        .isEqualTo("2026-03-01T10:00:01.000000Z");
    long safeAt = echoSeen + cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos();
    assertThat(next).isLessThanOrEqualTo(safeAt);

    now.set(safeAt);
    renewed();
    spec("pod-b", 2, "2026-03-01T10:00:07.000000Z");
    worker.reconcile();
    assertThat(worker.state()).isEqualTo(LeaseState.HOLDING);
    assertThat(st().getLeader()).isEqualTo("pod-b");
    assertThat(st().getFencingToken()).isGreaterThan(first);
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:07.000000Z");
  }

  @Test
  void heldElsewhereShowsTheGlobalHolderAndContendsAgainWhenTheWatchSaysReleased() {
    long token = backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    long next = reconcileThroughHoldBack();
    assertThat(st().getLeader()).isEqualTo("pod-x");
    assertThat(st().getLeaderCluster()).isEqualTo("west");
    assertThat(st().getFencingToken()).isEqualTo(token);
    assertThat(st().getObservedRenewTime()).isNull();
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/GlobalLockHeldElsewhere");
    assertThat(worker.state()).isEqualTo(LeaseState.FOLLOWING);
    assertThat(next).as("no retry every R: the watch says when it is free; only the candidate's L is a deadline")
        .isGreaterThan(now.get() + cfg.retryPeriod().toNanos());

    backend.keys.remove(KEY);
    worker.onLockEvent(LockEvent.released(KEY, token));
    worker.reconcile();
    assertThat(st().getLeader()).isEqualTo("pod-a");
    assertThat(st().getFencingToken()).isGreaterThan(token);
  }

  @Test
  void aStandbyWaitsOnTheWatchAndAsksTheBackendOnlyAfterAResyncOrOncePerRecheck() {
    backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    worker.reconcile();
    assertThat(acquisitions()).isEqualTo(1);

    int n = 2;
    long recheckMillis = cfg.standbyRecheck().toMillis();
    for (long t = 500; t < recheckMillis; t += 500) {
      advance(500);
      renewed();
      beat("pod-a", n++ % 60);
      assertThat(worker.reconcile()).as("never woken before the recheck by the standby's own timer")
          .isGreaterThan(now.get());
    }
    assertThat(acquisitions()).as("heartbeats for a whole recheck period: no acquire while held elsewhere")
        .isEqualTo(1);
    advance(500);
    beat("pod-a", n++ % 60);
    worker.reconcile();
    assertThat(acquisitions()).as("once per recheck period").isEqualTo(2);

    worker.onLockEvent(LockEvent.resync(KEY));
    worker.reconcile();
    assertThat(acquisitions()).as("events may have been missed: ask at once").isEqualTo(3);
    assertThat(worker.state()).isEqualTo(LeaseState.FOLLOWING);
  }

  @Test
  void aStandbyOfAStoreWhoseWatchReadsWaitsOnlyForAHolderTheWatchItselfReported() {
    backend.watchReportsEveryChange = false; // a poll could miss a hold that began and ended between two reads
    long token = backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    long next = worker.reconcile();
    assertThat(next).as("the holder came from an acquire answer only: try again after R")
        .isLessThanOrEqualTo(now.get() + cfg.retryPeriod().toNanos());

    worker.onLockEvent(LockEvent.acquired(KEY, token, new dev.mclease.controller.backend.LockValue("pod-x", "west",
        Instant.parse("2026-01-01T00:00:00Z"))));
    long acquires = acquisitions();
    for (int n = 2; n < 12; n++) {
      advance(500);
      renewed();
      beat("pod-a", n);
      worker.reconcile();
    }
    assertThat(acquisitions()).as("the watch reported the holder: it will report its end").isEqualTo(acquires);
  }

  /**
   * split-brain.feature, "A release and a contender's acquire, both queued during an etcd quorum loss": etcd applied
   * this controller's acquire after it had timed out, so the key named this cluster's candidate under this session,
   * and the controller, seeing it as held elsewhere, waited on a watch that would never report its end.
   */
  @Test
  void aKeyHeldInThisClustersOwnNameIsNotWaitedOn() {
    backend.putOther(KEY, "pod-a", "east");
    beat("pod-a", 1);
    long next = worker.reconcile();
    assertThat(next).as("asks again after R").isLessThanOrEqualTo(now.get() + cfg.retryPeriod().toNanos());
    long before = acquisitions();
    advance(cfg.retryPeriod().toMillis());
    renewed();
    beat("pod-a", 2);
    worker.reconcile();
    assertThat(acquisitions()).as("no wait on the watch for a hold in our own name").isEqualTo(before + 1);
  }

  @Test
  void aStandbyWhoseBackendFailsTriesAgainEveryR() {
    backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    worker.reconcile();
    backend.reachable = false;
    worker.onLockEvent(LockEvent.resync(KEY));
    long next = worker.reconcile();
    assertThat(next).as("no answer: no reason to wait for the watch").isLessThanOrEqualTo(
        now.get() + cfg.retryPeriod().toNanos());
  }

  @Test
  void malformedBackendValueIsReportedAndCountsAsHeld() {
    backend.malformed.put(KEY, "garbage");
    beat("pod-a", 1);
    reconcileThroughHoldBack();
    assertThat(worker.holding()).isFalse();
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/MalformedBackendValue");
    assertThat(reason(st(), Conditions.BACKEND_REACHABLE)).isEqualTo("True/BackendOK");
    assertThat(st().condition(Conditions.LEADER).get().getMessage()).contains("garbage").contains("etcdctl del");
    assertThat(out.events).filteredOn(e -> e.contains("MalformedBackendValue")).hasSize(1);
  }

  @Test
  void invalidSpecIsReportedAndNotContended() {
    spec("pod-a", 0, "2026-03-01T10:00:01.000000Z");
    reconcileThroughHoldBack();
    assertThat(backend.calls).noneMatch(c -> c.startsWith("acquire"));
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/InvalidSpec");
    assertThat(reason(st(), Conditions.CANDIDATE_ALIVE)).isEqualTo("False/InvalidSpec");
    assertThat(st().condition(Conditions.LEADER).get().getMessage()).contains("leaseDurationSeconds is 0");

    spec("x".repeat(254), 2, "2026-03-01T10:00:01.000000Z");
    reconcileThroughHoldBack();
    assertThat(st().condition(Conditions.CANDIDATE_ALIVE).get().getMessage()).contains("254 characters");

    spec("pod-a", null, "2026-03-01T10:00:01.000000Z");
    reconcileThroughHoldBack();
    assertThat(st().condition(Conditions.CANDIDATE_ALIVE).get().getMessage()).contains("leaseDurationSeconds is null");
  }

  @Test
  void backendErrorOnAcquireIsReportedAndRetriedAfterR() {
    backend.reachable = false;
    beat("pod-a", 1);
    long next = reconcileThroughHoldBack();
    assertThat(reason(st(), Conditions.BACKEND_REACHABLE)).isEqualTo("False/BackendUnreachable");
    assertThat(st().condition(Conditions.BACKEND_REACHABLE).get().getMessage()).contains("check");
    assertThat(next).isEqualTo(now.get() + cfg.retryPeriod().toNanos());
    backend.reachable = true;
    now.set(next);
    renewed();
    worker.reconcile();
    assertThat(worker.holding()).isTrue();
  }

  @Test
  void aStandbysStatusIsNotRewrittenForEachHeartbeatThatOnlyBumpsTheGeneration() {
    backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    reconcileThroughHoldBack();
    int writes = out.statuses.size();
    for (int n = 2; n < 10; n++) {
      advance(500);
      renewed();
      beat("pod-a", n);
      worker.reconcile();
    }
    assertThat(out.statuses).as("8 heartbeats, 8 generations, nothing else changed").hasSize(writes);

    backend.keys.remove(KEY);
    worker.onLockEvent(LockEvent.released(KEY, 0));
    reconcileThroughHoldBack();
    assertThat(st().getObservedGeneration()).as("a write that happens carries the newest generation")
        .isEqualTo(generation);
    assertThat(st().getConditions()).allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(generation));
  }

  @Test
  void unchangedStatusIsNotWrittenAgainAndFailedWritesAreRetried() {
    beat("pod-a", 1);
    worker.reconcile();
    int writes = out.statuses.size();
    worker.reconcile();
    assertThat(out.statuses).hasSize(writes);

    out.failWrites = true;
    advance(100);
    beat("pod-a", 2);
    long next = worker.reconcile();
    assertThat(next).isLessThanOrEqualTo(now.get() + cfg.retryPeriod().toNanos());
    out.failWrites = false;
    worker.reconcile();
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:02.000000Z");
  }

  @Test
  void stopReleasesOnlyAfterTheLastEchoCanNoLongerBeInForce() {
    beat("pod-a", 1);
    worker.reconcile();
    long echoSeen = now.get();
    worker.stop();
    advance(100);
    worker.reconcile();
    assertThat(worker.state()).isEqualTo(LeaseState.RELEASING);
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/Released");
    now.set(echoSeen + cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos());
    renewed();
    worker.reconcile();
    assertThat(worker.holding()).isFalse();
    assertThat(worker.state()).isEqualTo(LeaseState.IDLE);
    assertThat(worker.finished()).isTrue();
  }

  @Test
  void aStatusThatConfirmsNoOneWaitsTheHoldBackWhileAHoldersEchoIsWrittenAtOnce() {
    backend.putOther(KEY, "pod-x", "west");
    beat("pod-a", 1);
    assertThat(worker.reconcile()).as("held elsewhere: written in 100 ms").isEqualTo(now.get() + HOLD_BACK * MS);
    advance(HOLD_BACK - 1);
    worker.reconcile();
    assertThat(out.statuses).as("a standby's status only informs").isEmpty();
    advance(1);
    worker.reconcile();
    assertThat(out.statuses).hasSize(1);
    assertThat(st().getLeader()).isEqualTo("pod-x");

    backend.keys.remove(KEY);
    worker.onLockEvent(LockEvent.released(KEY, 0));
    worker.reconcile();
    assertThat(worker.holding()).isTrue();
    assertThat(out.statuses).as("the new holder's echo is on the handover's path: no wait").hasSize(2);
    assertThat(st().getLeader()).isEqualTo("pod-a");
  }

  @Test
  void changesWithinTheHoldBackAreOneWriteOfTheLastState() {
    beat("pod-a", 1);
    worker.reconcile();
    int writes = out.statuses.size();
    advance(10);
    spec("", 2, "2026-03-01T10:00:01.000000Z");
    worker.reconcile(); // released: "no leader" is held back
    assertThat(backend.keys).doesNotContainKey(KEY);
    advance(HOLD_BACK / 2);
    long token = backend.putOther(KEY, "pod-x", "west"); // another cluster's candidate took it meanwhile
    worker.onLockEvent(LockEvent.acquired(KEY, token, backend.keys.get(KEY).value()));
    worker.reconcile();
    assertThat(out.statuses).hasSize(writes);
    advance(HOLD_BACK / 2);
    worker.reconcile();
    assertThat(out.statuses).as("released, then held by pod-x: one write").hasSize(writes + 1);
    assertThat(st().getLeader()).isEqualTo("pod-x");
  }

  @Test
  void aStoppingControllersStatusIsWrittenAtOnce() {
    beat("pod-a", 1);
    worker.reconcile();
    worker.stop();
    worker.reconcile();
    now.addAndGet(cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos());
    renewed();
    int writes = out.statuses.size();
    worker.reconcile();
    assertThat(backend.keys).as("released once no echo can be in force").doesNotContainKey(KEY);
    assertThat(out.statuses).as("no later reconcile may come: not held back").hasSize(writes + 1);
    assertThat(st().getLeader()).isEmpty();
  }

  @Test
  void followerWithoutCandidateLooksUpTheHolderOnce() {
    backend.putOther(KEY, "pod-x", "west");
    spec("", 2, null);
    reconcileThroughHoldBack();
    worker.reconcile();
    assertThat(backend.calls).containsExactly("current " + KEY);
    assertThat(st().getLeader()).isEqualTo("pod-x");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/GlobalLockHeldElsewhere");
  }

  @Test
  void deletionReleasesAndFinishes() {
    beat("pod-a", 1);
    worker.reconcile();
    worker.onDeleted();
    now.addAndGet(cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos());
    renewed();
    assertThat(worker.reconcile()).isEqualTo(Long.MAX_VALUE);
    assertThat(backend.keys).isEmpty();
    assertThat(worker.finished()).isTrue();
  }

  @Test
  void validateAcceptsAWellFormedSpec() {
    assertThat(SpecCheck.problem(new MultiClusterLeaseSpec("a", 15, new MicroTime("2026-01-01T00:00:00.000000Z"))))
        .isNull();
    assertThat(SpecCheck.problem(new MultiClusterLeaseSpec("", 15, null))).isNull();
    assertThat(SpecCheck.problem(new MultiClusterLeaseSpec("a", 15, null))).contains("renewTime is missing");
    assertThat(SpecCheck.problem(new MultiClusterLeaseSpec("a", 15, new MicroTime("yesterday"))))
        .contains("not an RFC 3339");
    assertThat(Duration.ofSeconds(1)).isPositive();
  }

  @Test
  void oldClientsGetTheControllersDeadlineAsWindowAndAnUnknownCoverCondition() {
    beat("pod-a", 1);
    worker.reconcile();
    assertThat(st().getConfirmationWindowMilliseconds()).isEqualTo(cfg.candidateRenewDeadline().toMillis());
    assertThat(reason(st(), Conditions.RENEW_DEADLINE_COVERED)).isEqualTo("Unknown/RenewDeadlineNotPublished");
  }

  @Test
  void aCandidateDeadlineLongerThanTheLockCoversIsCappedByTheLockAndReported() {
    // D = 8 s against G = 3 s, K = 0.3 s, M = 0.5 s: the lock vouches for 2.2 s between renewals.
    beat("pod-a", "i-1", 8000, 1);
    worker.reconcile();
    long window = st().getConfirmationWindowMilliseconds();
    assertThat(window).as("heldUntil - now - M").isEqualTo(cfg.backendTtl().minus(cfg.safetyMargin()).toMillis());
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("True/GlobalLockAcquired");
    assertThat(reason(st(), Conditions.RENEW_DEADLINE_COVERED)).isEqualTo("False/RenewDeadlineTooLong");
    assertThat(st().condition(Conditions.RENEW_DEADLINE_COVERED).get().getMessage())
        .contains("renewDeadline 8000 ms", "= 2200 ms", "at most 2200 ms", "--backend-ttl to more than 8800 ms");
    assertThat(out.events).anyMatch(e -> e.startsWith("Warning RenewDeadlineTooLong"));

    // 0.6 s without renewal: the next heartbeat gets what is left, still at least the controller's own D.
    advance(600);
    beat("pod-a", "i-1", 8000, 2);
    worker.reconcile();
    assertThat(st().getConfirmationWindowMilliseconds()).isEqualTo(3000 - 600 - 500);
    // 1.1 s without renewal: less than D = 1.5 s is left, no echo at all.
    advance(500);
    beat("pod-a", "i-1", 8000, 3);
    worker.reconcile();
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:02.000000Z");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/BackendUnreachable");
  }

  @Test
  void aShorterPublishedDeadlineIsGrantedAsIsAndShortensTheReleaseWait() {
    beat("pod-a", "i-1", 600, 1);
    worker.reconcile();
    long echoSeen = now.get();
    assertThat(st().getConfirmationWindowMilliseconds()).isEqualTo(600);
    assertThat(reason(st(), Conditions.RENEW_DEADLINE_COVERED)).isEqualTo("True/WithinLockCover");
    worker.stop();
    long next = worker.reconcile();
    assertThat(worker.holding()).isTrue();
    assertThat(next).isLessThanOrEqualTo(echoSeen + Duration.ofMillis(600).plus(cfg.safetyMargin()).toNanos());
    now.set(echoSeen + Duration.ofMillis(600).plus(cfg.safetyMargin()).toNanos());
    renewed();
    worker.reconcile();
    assertThat(worker.holding()).isFalse();
  }

  @Test
  void theReleaseWaitFollowsTheWindowActuallyGrantedNotTheControllersDeadline() {
    beat("pod-a", "i-1", 8000, 1);
    worker.reconcile();
    long echoSeen = now.get();
    long granted = Duration.ofMillis(st().getConfirmationWindowMilliseconds()).toNanos();
    worker.stop();
    now.set(echoSeen + cfg.candidateRenewDeadline().plus(cfg.safetyMargin()).toNanos());
    renewed();
    worker.reconcile();
    assertThat(worker.holding()).as("the candidate may lead for 2.5 s on that echo, not only D = 1.5 s").isTrue();
    now.set(echoSeen + granted + cfg.safetyMargin().toNanos());
    renewed();
    worker.reconcile();
    assertThat(worker.holding()).isFalse();
  }

  @Test
  void aRestartUnderTheSameIdentityIsANewAcquisitionWithALargerTokenOnceTheOldEchoLapsed() {
    beat("pod-a", "process-1", 1500, 1);
    worker.reconcile();
    long first = st().getFencingToken();
    long echoSeen = now.get();

    // the pod restarts under its name: a new lock instance heartbeats at once
    advance(100);
    renewed();
    beat("pod-a", "process-2", 1500, 2);
    long next = worker.reconcile();
    assertThat(worker.heldToken()).contains(first);
    assertThat(st().getObservedRenewTime().getTime()).as("the new process is not echoed under the old token")
        .isEqualTo("2026-03-01T10:00:01.000000Z");
    assertThat(reason(st(), Conditions.LEADER)).isEqualTo("False/Released");
    long safeAt = echoSeen + Duration.ofMillis(1500).plus(cfg.safetyMargin()).toNanos();
    assertThat(next).isLessThanOrEqualTo(safeAt);

    now.set(safeAt);
    renewed();
    beat("pod-a", "process-2", 1500, 3);
    worker.reconcile();
    assertThat(st().getLeader()).isEqualTo("pod-a");
    assertThat(st().getFencingToken()).isGreaterThan(first);
    assertThat(st().getObservedRenewTime().getTime()).isEqualTo("2026-03-01T10:00:03.000000Z");
    assertThat(out.events).anyMatch(e -> e.contains("restarted"));
  }
}
