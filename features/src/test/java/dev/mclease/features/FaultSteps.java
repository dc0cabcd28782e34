package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.testbed.chaos.Crashes;
import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import io.cucumber.java.en.When;
import java.time.Duration;
import java.util.List;

/** The events of the scenarios: each one is injected through the fleet's FaultInjector and so recorded. */
public final class FaultSteps {

  private final World world;

  public FaultSteps(World world) {
    this.world = world;
  }

  private CandidateNode leader() {
    return world.oldLeader;
  }

  private ClusterNode leaderCluster() {
    return world.fleet().cluster(leader().clusterName());
  }

  // ------------------------------------------------------------------------------------- processes

  @When("the leader releases its lease")
  public void release() {
    CandidateNode l = world.currentLeader;
    world.oldLeader = l;
    world.oldToken = l.fencingToken();
    // leaving for good within this scenario: nothing to heal
    world.event("release", Fault.simple("release " + l, l::release, () -> { }));
  }

  @When("the leader's candidate crashes")
  public void candidateCrashes() {
    world.event("crash", Crashes.crashCandidate(leader()));
  }

  @When("the leader's candidate crashes and restarts under the same identity")
  public void candidateCrashesAndRestarts() {
    world.event("crash and restart", Crashes.crashAndRestartCandidate(leader()));
  }

  @When("the leader's controller crashes")
  public void controllerCrashes() {
    ClusterNode n = leaderCluster();
    world.event("controller crash", Fault.simple("kill " + n.name() + " controller", n.controller()::kill, () -> { }));
  }

  @When("the leader's cluster is lost")
  public void clusterLost() {
    world.inject("lost cluster", Crashes.loseCluster(leaderCluster()));
  }

  @When("the lost cluster comes back")
  public void clusterBack() {
    world.heal("lost cluster");
  }

  @When("the leader is paused")
  public void pause() {
    world.inject("pause", Fault.pauseCandidate(leader()));
  }

  @When("the leader's heartbeats stop")
  public void heartbeatsStop() {
    pause();
  }

  @When("the paused leader resumes")
  public void resume() {
    world.heal("pause");
  }

  /** A gap shorter than leaseDuration: frozen, then resumed; meanwhile at most one candidate may lead. */
  @When("the leader's heartbeats stop for {int} second(s)")
  public void heartbeatsStopFor(int seconds) {
    pause();
    Duration gap = Duration.ofSeconds(seconds);
    assertThat(gap).as("a gap shorter than the lease").isLessThan(world.timings().leaseDuration());
    holdWithAtMostOneLeader(gap);
    world.heal("pause");
  }

  // -------------------------------------------------------------------------------------- network

  @When("the leader's cluster is partitioned from etcd")
  public void clusterFromEtcd() {
    world.inject("partition", Fault.partitionControllerFromEtcd(leaderCluster()));
  }

  @When("the leader's controller is partitioned from its API server")
  public void controllerFromApi() {
    world.inject("partition", Fault.partitionControllerFromApi(leaderCluster()));
  }

  @When("the leader's candidate is partitioned from its API server")
  public void candidateFromApi() {
    world.inject("partition", Fault.partitionCandidateFromApi(leader()));
  }

  @When("the partition heals")
  public void partitionHeals() {
    world.heal("partition");
  }

  @When("the leader's cluster is isolated from everything")
  public void isolate() {
    world.inject("isolation", Fault.isolateCluster(leaderCluster()));
  }

  @When("the isolation heals")
  public void isolationHeals() {
    world.heal("isolation");
  }

  @When("the lock store's answers to the leader's controller are held")
  public void holdStoreAnswers() {
    world.inject("held answers", Fault.holdStoreAnswers(leaderCluster()));
  }

  /** Held for {@code seconds} (longer than the backend TTL G), at most one leader meanwhile, then all delivered late. */
  @When("the held answers are delivered after {int} seconds")
  public void deliverHeldAnswers(int seconds) {
    Duration hold = Duration.ofSeconds(seconds);
    assertThat(hold).as("held for longer than the backend TTL").isGreaterThan(world.timings().backendTtl());
    holdWithAtMostOneLeader(hold);
    world.heal("held answers");
  }

  // ---------------------------------------------------------------------------------------- clocks

  @When("the wall clocks of the leader's candidate and controller jump by {word}")
  public void leaderClocksJump(String offset) {
    Duration d = Durations.parse(offset);
    world.inject("skew candidate " + leader(), Fault.skewCandidateClock(leader(), d));
    world.inject("skew controller " + leaderCluster().name(), Fault.skewControllerClock(leaderCluster(), d));
  }

  @When("the wall clocks of every other candidate and controller jump by {word}")
  public void otherClocksJump(String offset) {
    Duration d = Durations.parse(offset);
    for (ClusterNode n : world.fleet().clusters()) {
      if (!n.name().equals(leader().clusterName())) {
        world.inject("skew controller " + n.name(), Fault.skewControllerClock(n, d));
      }
      for (CandidateNode c : n.candidates()) {
        if (c != leader()) {
          world.inject("skew candidate " + c, Fault.skewCandidateClock(c, d));
        }
      }
    }
  }

  @When("every candidate's clocks run at {double} times real speed")
  public void drift(double rate) {
    for (CandidateNode c : world.fleet().candidates()) {
      world.inject("drift " + c, Fault.driftCandidateClock(c, rate));
    }
  }

  // ------------------------------------------------------------------------------------------ etcd

  @When("{int} of the {int} etcd members stop")
  public void etcdMembersStop(int stopped, int members) {
    assertThat(world.fleet().etcd().size()).as("etcd members").isEqualTo(members);
    List<Integer> which = java.util.stream.IntStream.range(0, stopped).boxed().toList();
    world.inject("etcd", Fault.stopEtcdMembers(world.fleet(), which));
  }

  @When("etcd member {int} is killed")
  public void etcdMemberKilled(int member) {
    world.inject("etcd", Fault.killEtcdMember(world.fleet(), member));
  }

  @When("the stopped etcd members start again")
  public void etcdMembersStart() {
    world.healAll("etcd");
  }

  // --------------------------------------------------------------------------------------- helpers

  /**
   * Lets {@code d} pass with a fault in place, checking all along that no two candidates lead at once: a hold
   * with an invariant, not a sleep.
   */
  static void holdWithAtMostOneLeader(World world, Duration d) {
    await("at most one leader for " + d).during(d).atMost(d.plusSeconds(1)).pollInterval(Duration.ofMillis(25))
        .untilAsserted(() -> assertThat(world.fleet().leaders()).as("leaders").hasSizeLessThanOrEqualTo(1));
  }

  private void holdWithAtMostOneLeader(Duration d) {
    holdWithAtMostOneLeader(world, d);
  }
}
