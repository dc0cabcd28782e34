package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.ProcessFaults;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.CandidateProcess;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.history.HistoryEvent;
import dev.mclease.testbed.time.FakeTime;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One election, two languages: Go candidates (client/go's example binary, a child process each) beside the fleet's
 * Java candidates, all electing through the Java controllers. "Leader" here counts both kinds.
 */
public final class MixedLanguageSteps {

  private static final Duration POLL = Duration.ofMillis(20);
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");

  private final World world;
  private final Map<String, CandidateProcess> go = new LinkedHashMap<>();
  /** The leader found by the last step that found one: a Go identity or a Java CandidateNode's, and its token. */
  private String leader;
  private long leaderToken = -1;

  public MixedLanguageSteps(World world) {
    this.world = world;
  }

  @Given("the election controllers run, but no candidate yet")
  public void controllersOnly() {
    world.fleet().clusters().forEach(n -> n.controller().start());
  }

  @When("a Go candidate {string} starts in cluster {string}")
  public void goCandidateStarts(String identity, String cluster) {
    Optional<String> why = CandidateProcess.unavailable(CandidateProcess.Language.GO);
    assumeTrue(why.isEmpty(), () -> "Go candidates skipped: " + why.orElse(""));
    CandidateProcess p = go.computeIfAbsent(identity,
        id -> world.closeLater(CandidateProcess.go(world.fleet(), cluster, id)));
    p.start();
  }

  @When("a Java candidate process {string} starts in cluster {string}")
  public void javaProcessStarts(String identity, String cluster) {
    javaProcess(identity, cluster, CandidateProcess.Options.DEFAULT);
  }

  @When("a Java candidate process {string} on a libfaketime wall clock starts in cluster {string}")
  public void javaProcessOnFakeWallClockStarts(String identity, String cluster) {
    assumeTrue(FakeTime.unavailable().isEmpty(), () -> FakeTime.unavailable().orElse(""));
    javaProcess(identity, cluster, CandidateProcess.Options.fakeWallClock());
  }

  @When("a Java candidate process {string} whose clocks all run at {double} times real speed starts in cluster {string}")
  public void javaProcessDriftingStarts(String identity, double rate, String cluster) {
    assumeTrue(FakeTime.unavailable().isEmpty(), () -> FakeTime.unavailable().orElse(""));
    javaProcess(identity, cluster, CandidateProcess.Options.drift(rate));
  }

  private void javaProcess(String identity, String cluster, CandidateProcess.Options options) {
    CandidateProcess p = go.computeIfAbsent(identity,
        id -> world.closeLater(CandidateProcess.java(world.fleet(), cluster, id, options)));
    p.start();
  }

  /** SIGSTOP: the process keeps its connections and cannot notice its leadership running out until the thaw. */
  @When("the leading candidate process is frozen")
  public void leadingProcessFrozen() {
    world.inject("frozen candidate process", ProcessFaults.freezeCandidate(goCandidate(leader)));
  }

  @When("the frozen candidate process thaws")
  public void frozenProcessThaws() {
    world.heal("frozen candidate process");
  }

  @When("the leading candidate process crashes")
  public void leadingProcessCrashes() {
    CandidateProcess p = goCandidate(leader);
    world.event("crash", Fault.simple("kill -9 " + p, p::kill, () -> { }));
  }

  /** libfaketime moves the process's wall clock; its monotonic clock, which the lock judges by, is left alone. */
  @When("the wall clock of the leading candidate process jumps by {int} hour(s)")
  public void leadingProcessWallClockJumps(int hours) {
    world.inject("wall clock jump", ProcessFaults.jumpWallClock(goCandidate(leader), Duration.ofHours(hours)));
  }

  @When("the wall clock of that candidate process jumps back")
  public void wallClockJumpsBack() {
    world.heal("wall clock jump");
  }

  /** The cluster's kube-apiserver SIGKILLed (the scenario needs @own-clusters); it is started again at the end. */
  @When("the kube-apiserver of the leading candidate process's cluster is killed")
  public void leadingProcessApiServerKilled() {
    ClusterNode cluster = world.fleet().cluster(goCandidate(leader).clusterName());
    assumeTrue(cluster.cluster() instanceof ApiServerCluster, "process faults need real kube-apiserver processes; "
        + "this fleet runs on " + cluster.cluster().getClass().getSimpleName());
    world.inject("killed kube-apiserver", ProcessFaults.crashApiServer(cluster));
  }

  @Then("within {int} seconds exactly one leader runs among Go and Java candidates: another one, with a larger fencing token")
  public void anotherLeader(int seconds) {
    String old = leader;
    long oldToken = leaderToken;
    awaitSoleLeader(seconds, id -> !id.equals(old), "a leader other than " + old);
    assertThat(leaderToken).as("token of %s after %s", leader, old).isGreaterThan(oldToken);
  }

  @When("the Go candidate {string} starts again")
  public void goCandidateStartsAgain(String identity) {
    goCandidate(identity).start();
  }

  @When("^the Java candidates? of clusters? ((?:\"[^\"]+\"(?:, | and )?)+) starts?$")
  public void javaCandidatesStart(String quotedClusters) {
    Matcher m = QUOTED.matcher(quotedClusters);
    while (m.find()) {
      world.fleet().cluster(m.group(1)).candidates().forEach(CandidateNode::start);
    }
  }

  @When("the Go leader crashes")
  public void goLeaderCrashes() {
    CandidateProcess p = goCandidate(leader);
    world.event("crash", Fault.simple("kill -9 " + p, p::kill, () -> { }));
  }

  @When("the Go candidate that does not lead leaves")
  public void goFollowerLeaves() {
    CandidateProcess follower = go.values().stream()
        .filter(p -> p.isRunning() && !p.identity().equals(leader)).findFirst().orElseThrow();
    world.event("leave", Fault.simple("SIGTERM " + follower, follower::release, () -> { }));
  }

  /** SIGTERM: client-go's ReleaseOnCancel (Update with an empty holder), then the lock's Close; the process exits. */
  @When("the Go leader releases its lease")
  public void goLeaderReleases() {
    CandidateProcess p = goCandidate(leader);
    world.event("release", Fault.simple("SIGTERM " + p, p::release, () -> { }));
  }

  @When("the Java candidate that does not lead leaves")
  public void javaFollowerLeaves() {
    CandidateNode follower = world.fleet().candidates().stream()
        .filter(c -> c.isRunning() && !c.identity().equals(leader)).findFirst().orElseThrow();
    world.event("leave", Fault.simple("release " + follower, follower::release, () -> { }));
  }

  @When("the Java leader releases its lease")
  public void javaLeaderReleases() {
    CandidateNode l = world.fleet().candidate(leader);
    world.event("release", Fault.simple("release " + l, l::release, () -> { }));
  }

  @Then("within {int} seconds exactly one leader runs among Go and Java candidates: {string}")
  public void exactlyOneLeaderNamed(int seconds, String identity) {
    awaitSoleLeader(seconds, identity::equals, identity);
  }

  @Then("within {int} seconds exactly one leader runs among Go and Java candidates: a Java candidate in another cluster, with a larger fencing token")
  public void javaLeaderElsewhere(int seconds) {
    String oldCluster = goCandidate(leader).clusterName();
    long oldToken = leaderToken;
    awaitSoleLeader(seconds, id -> !go.containsKey(id) && !world.fleet().candidate(id).clusterName().equals(oldCluster),
        "a Java candidate outside " + oldCluster);
    assertThat(leaderToken).as("token of %s after the Go leader went", leader).isGreaterThan(oldToken);
  }

  @Then("within {int} seconds exactly one leader runs among Go and Java candidates: a Go candidate, with a larger fencing token")
  public void goLeader(int seconds) {
    long oldToken = leaderToken;
    awaitSoleLeader(seconds, go::containsKey, "a Go candidate");
    assertThat(leaderToken).as("token of %s after the Java leader released", leader).isGreaterThan(oldToken);
  }

  @Then("for {int} seconds exactly that leader keeps leading among Go and Java candidates")
  public void keepsLeading(int seconds) {
    String expected = leader;
    long token = leaderToken;
    Duration d = Duration.ofSeconds(seconds);
    await(expected + " leading alone for " + d).during(d).atMost(d.plusSeconds(1)).pollInterval(POLL)
        .untilAsserted(() -> {
          assertThat(leaders()).as("leaders among Go and Java candidates").containsExactly(expected);
          assertThat(token(expected)).as("fencing token of %s", expected).isEqualTo(token);
        });
  }

  @Then("the history holds the Go candidates' leaderships: {int} starts, the first of {string} in its first process")
  public void historyShowsGo(int starts, String first) {
    List<HistoryEvent> goStarts = world.fleet().history().events().stream()
        .filter(e -> e.type() == HistoryEvent.Type.START && go.containsKey(e.identity())).toList();
    assertThat(goStarts).as("START events of Go candidates in the history").hasSize(starts);
    assertThat(goStarts.get(0).identity()).isEqualTo(first);
    assertThat(goStarts.get(0).incarnation()).isEqualTo(1);
    assertThat(goStarts).allSatisfy(e -> assertThat(e.token()).as("token of %s", e.identity()).isPositive());
  }

  private void awaitSoleLeader(int seconds, java.util.function.Predicate<String> which, String what) {
    AtomicReference<List<String>> last = new AtomicReference<>(List.of());
    await().alias(what).pollInterval(POLL).atMost(Duration.ofSeconds(seconds)).until(() -> {
      List<String> now = leaders();
      last.set(now);
      return now.size() == 1 && which.test(now.get(0)) && token(now.get(0)) > 0;
    });
    leader = last.get().get(0);
    leaderToken = token(leader);
  }

  /** Identities of every Go and Java candidate that leads right now (more than one would be split brain). */
  private List<String> leaders() {
    List<String> out = new ArrayList<>();
    go.values().stream().filter(CandidateProcess::isLeader).forEach(p -> out.add(p.identity()));
    world.fleet().leaders().forEach(c -> out.add(c.identity()));
    return out;
  }

  private long token(String identity) {
    CandidateProcess p = go.get(identity);
    return p != null ? p.fencingToken() : world.fleet().candidate(identity).fencingToken();
  }

  private CandidateProcess goCandidate(String identity) {
    CandidateProcess p = go.get(identity);
    if (p == null) {
      throw new IllegalStateException("no candidate process '" + identity + "'; candidate processes: " + go.keySet());
    }
    return p;
  }
}
