package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.history.HistoryEvent;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fleets, leaders, and what the scenarios assert about them: who leads, since when, with which token. */
public final class FleetSteps {

  private static final Duration POLL = Duration.ofMillis(20);
  private static final Duration FIRST_LEADER_FLOOR = Duration.ofSeconds(30);
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");

  private final World world;

  public FleetSteps(World world) {
    this.world = world;
  }

  // ------------------------------------------------------------------------------------------------- Given

  @Given("^(\\d+) clusters? ((?:\"[^\"]+\"(?:, )?)+)( on k3s)? with (one|two|three) candidates? each"
      + "(?: and (\\d+) etcd members?)?( and the default timings)?(, not yet started)?$")
  public void clusters(int count, String quotedNames, String k3s, String candidates, String etcdMembers,
      String defaultTimings, String notStarted) {
    List<String> names = new ArrayList<>();
    Matcher m = QUOTED.matcher(quotedNames);
    while (m.find()) {
      names.add(m.group(1));
    }
    assertThat(names).as("cluster names in '%s'", quotedNames).hasSize(count).doesNotHaveDuplicates();
    int perCluster = switch (candidates) {
      case "one" -> 1;
      case "two" -> 2;
      default -> 3;
    };
    Fleet fleet = Fleet.builder()
        .clusters(names)
        .candidatesPerCluster(perCluster)
        .etcdMembers(etcdMembers == null ? 1 : Integer.parseInt(etcdMembers))
        .timings(defaultTimings == null ? Timings.fast() : Timings.defaults())
        .clusterKind(k3s == null ? null : "k3s")
        // a scenario that breaks or reconfigures its clusters gets fresh API servers; the others share them
        .ownClusters(world.scenario != null && world.scenario.getSourceTagNames().contains("@own-clusters"))
        // ...and one that breaks a cluster's storage gets an etcd per cluster
        .ownStorage(world.scenario != null && world.scenario.getSourceTagNames().contains("@own-storage"))
        // controllers as OS processes of their own, for faults with real signals
        .controllerProcesses(world.scenario != null
            && world.scenario.getSourceTagNames().contains("@controller-processes"))
        .build();
    world.fleet(fleet);
    if (notStarted == null) {
      fleet.start();
    }
  }

  @Given("a leader has been elected")
  public void aLeaderHasBeenElected() {
    Fleet fleet = world.fleet();
    // Setting up is not under test: a cold JVM starting three fleets at once on two cores may need longer.
    Duration bound = fleet.firstLeaderBound().compareTo(FIRST_LEADER_FLOOR) < 0 ? FIRST_LEADER_FLOOR
        : fleet.firstLeaderBound();
    CandidateNode leader = awaitLeader(bound, c -> true, "a first leader");
    world.oldLeader = leader;
    world.oldToken = leader.fencingToken();
    world.currentLeader = leader;
    assertThat(world.oldToken).as("fencing token of the first leader %s", leader).isPositive();
    awaitStartRecorded(leader, world.oldToken, Long.MIN_VALUE);
  }

  @Given("the candidates of {string} run with leaseDuration {word}, renewDeadline {word} and retryPeriod {word}")
  public void candidateTimings(String cluster, String leaseDuration, String renewDeadline, String retryPeriod) {
    Timings fleet = world.timings();
    Timings own = new Timings(Durations.parse(leaseDuration), Durations.parse(renewDeadline),
        Durations.parse(retryPeriod), fleet.backendTtl(), fleet.backendRenewInterval(), fleet.safetyMargin());
    world.fleet().cluster(cluster).candidates().forEach(c -> c.timings(own));
  }

  @When("the controllers and the candidates of {string} start")
  public void startControllersAndCandidatesOf(String cluster) {
    world.fleet().clusters().forEach(n -> n.controller().start());
    world.fleet().cluster(cluster).candidates().forEach(CandidateNode::start);
  }

  @When("the other candidates start")
  public void startTheOthers() {
    world.fleet().candidates().stream().filter(c -> !c.isRunning()).forEach(CandidateNode::start);
  }

  // -------------------------------------------------------------------------------------------- Then: who

  @Then("within {int} second(s) the restarted candidate leads again with a larger fencing token")
  public void restartedLeadsWithLargerToken(int seconds) {
    CandidateNode old = world.oldLeader;
    leaderWithin(seconds, c -> c == old, "the restarted " + old + " leading again", world.eventAt);
    Leaderships.Lead lead = lastLead(old.identity());
    assertThat(lead.incarnation()).as("incarnation of %s's last leadership", old).isEqualTo(old.incarnation())
        .isGreaterThan(1);
    assertThat(lead.token()).as("token of the restarted process's leadership").isGreaterThan(world.oldToken);
  }

  @Then("within {int} second(s) exactly one leader runs in another cluster")
  public void leaderInAnotherCluster(int seconds) {
    String old = world.oldLeader.clusterName();
    leaderWithin(seconds, c -> !c.clusterName().equals(old), "a single leader outside " + old, world.eventAt);
  }

  @Then("within {int} second(s) exactly one leader runs in the same cluster")
  public void leaderInSameCluster(int seconds) {
    CandidateNode old = world.oldLeader;
    leaderWithin(seconds, c -> c.clusterName().equals(old.clusterName()) && c != old,
        "another single leader inside " + old.clusterName(), world.eventAt);
  }

  @Then("within {int} second(s) exactly one leader runs in any cluster")
  public void leaderAnywhere(int seconds) {
    leaderWithin(seconds, c -> true, "a single leader", Long.MIN_VALUE);
  }

  @Then("within {int} second(s) exactly one leader runs in {string}")
  public void leaderIn(int seconds, String cluster) {
    leaderWithin(seconds, c -> c.clusterName().equals(cluster), "a single leader in " + cluster, Long.MIN_VALUE);
  }

  /** Waits for a single leader matching {@code where}, whose START the history recorded at or after {@code since}. */
  private void leaderWithin(int seconds, Predicate<CandidateNode> where, String what, long since) {
    CandidateNode leader = awaitLeader(Duration.ofSeconds(seconds), where, what);
    world.currentLeader = leader;
    long token = leader.fencingToken();
    assertThat(token).as("fencing token of %s", leader).isPositive();
    awaitStartRecorded(leader, token, since);
  }

  @Then("within {int} second(s) the old leader no longer leads")
  public void oldLeaderStops(int seconds) {
    CandidateNode old = world.oldLeader;
    await("the old leader " + old + " to stop leading").atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .until(() -> !old.isLeader());
  }

  @Then("within {int} second(s) no candidate leads")
  public void nobodyLeadsWithin(int seconds) {
    await("every candidate to stop leading").atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .until(() -> world.fleet().leaders().isEmpty());
  }

  @Then("for {int} second(s) no candidate leads")
  public void nobodyLeadsFor(int seconds) {
    long from = System.nanoTime();
    Duration d = Duration.ofSeconds(seconds);
    await("nobody leading for " + d).during(d).atMost(d.plusSeconds(1)).pollInterval(POLL)
        .untilAsserted(() -> assertThat(world.fleet().leaders()).as("leaders").isEmpty());
    assertThat(Leaderships.startedAfter(world.fleet().history(), from)).as("leaderships started meanwhile").isEmpty();
  }

  @Then("for {int} second(s) exactly that leader keeps leading")
  public void thatLeaderKeepsLeading(int seconds) {
    keepsLeading(world.currentLeader, seconds);
  }

  @Then("for {int} second(s) exactly the old leader keeps leading")
  public void oldLeaderKeepsLeading(int seconds) {
    keepsLeading(world.oldLeader, seconds);
  }

  private void keepsLeading(CandidateNode leader, int seconds) {
    long from = System.nanoTime();
    long token = leader.fencingToken();
    Duration d = Duration.ofSeconds(seconds);
    await(leader + " leading alone for " + d).during(d).atMost(d.plusSeconds(1)).pollInterval(POLL)
        .untilAsserted(() -> {
          assertThat(world.fleet().leaders()).as("leaders").containsExactly(leader);
          assertThat(leader.fencingToken()).as("fencing token of %s", leader).isEqualTo(token);
        });
    assertThat(Leaderships.startedAfter(world.fleet().history(), from)).as("leaderships started meanwhile").isEmpty();
  }

  // ------------------------------------------------------------------------------------------ Then: tokens

  @Then("the new leader's fencing token is larger than the old leader's")
  public void newTokenLarger() {
    CandidateNode now = world.currentLeader;
    assertThat(now).as("the new leader").isNotSameAs(world.oldLeader);
    assertThat(now.fencingToken()).as("fencing token of the new leader %s", now).isGreaterThan(world.oldToken);
    Leaderships.Lead started = lastLead(now.identity());
    assertThat(started.token()).as("token recorded at %s's start", now).isGreaterThan(world.oldToken);
  }

  @Then("the fencing tokens in the history strictly increase")
  public void tokensIncrease() {
    List<Leaderships.Lead> leads = Leaderships.of(world.fleet().history());
    assertThat(leads).as("leaderships").hasSizeGreaterThanOrEqualTo(2);
    List<Long> tokens = new ArrayList<>();
    Leaderships.Lead previous = null;
    for (Leaderships.Lead l : leads) {
      // the same acquisition heard twice by one process (it stopped, then was confirmed again) is one token; a
      // restart under the same identity is another process and must come with a larger token
      if (previous == null || !(previous.identity().equals(l.identity()) && previous.incarnation() == l.incarnation()
          && previous.token() == l.token())) {
        tokens.add(l.token());
      }
      previous = l;
    }
    assertThat(tokens).as("fencing tokens in order of leadership").isSorted().doesNotHaveDuplicates();
  }

  @Then("the history shows one leadership only, with one fencing token")
  public void oneLeadershipOnly() {
    List<Leaderships.Lead> leads = Leaderships.of(world.fleet().history());
    assertThat(leads).as("leaderships").hasSize(1);
    assertThat(leads.get(0).identity()).isEqualTo(world.oldLeader.identity());
    assertThat(leads.get(0).token()).isEqualTo(world.oldToken);
    List<HistoryEvent> events = world.fleet().history().events();
    long confirmations = events.stream().filter(e -> e.type() == HistoryEvent.Type.CONFIRMED).count();
    // A confirmation lasts at most renewDeadline, so a leadership kept for a span needs at least span / D of them;
    // the leader heartbeats only when less than max(D - 2R, 2R) of its confirmation is left (HeartbeatCadence), not
    // every retry period.
    long start = events.stream().filter(e -> e.type() == HistoryEvent.Type.START).mapToLong(HistoryEvent::tNanos)
        .min().orElseThrow();
    long span = events.get(events.size() - 1).tNanos() - start;
    long needed = Math.max(2, span / world.timings().renewDeadline().toNanos());
    assertThat(confirmations).as("confirmations recorded over a leadership of %d ms (renewDeadline %s)",
        span / 1_000_000, world.timings().renewDeadline()).isGreaterThanOrEqualTo(needed);
  }

  // -------------------------------------------------------------------------------------------- Then: when

  /**
   * The controller may hand the lock on only after it has seen no new heartbeat for leaseDuration. The last
   * heartbeat is read back from spec.renewTime (the candidate's wall clock, not skewed here) and placed on the
   * history's monotonic axis; the new leadership must start at least leaseDuration after it.
   */
  @Then("the new leader started no sooner than the lease duration after the last heartbeat it could have seen")
  public void notBeforeLeaseRanOut() {
    CandidateNode old = world.oldLeader;
    MultiClusterLease lease = world.fleet().cluster(old.clusterName()).cluster().client()
        .resources(MultiClusterLease.class).inNamespace(world.fleet().namespace())
        .withName(world.fleet().leaseName()).get();
    assertThat(lease).as("the lease in %s", old.clusterName()).isNotNull();
    assertThat(lease.getSpec().getHolderIdentity()).as("holder in %s (nobody released it)", old.clusterName())
        .isEqualTo(old.identity());
    Instant lastHeartbeat = MicroTimes.toInstant(lease.getSpec().getRenewTime());
    long wallNow = System.currentTimeMillis();
    long nanoNow = System.nanoTime();
    long heartbeatAt = nanoNow - Duration.ofMillis(wallNow - lastHeartbeat.toEpochMilli()).toNanos();
    Leaderships.Lead next = lastLead(world.currentLeader.identity());
    Duration after = Duration.ofNanos(next.start() - heartbeatAt);
    Duration tolerance = Duration.ofMillis(20); // wall-clock vs. monotonic sampling
    assertThat(after).as("time from the last heartbeat of %s to the start of %s", old, world.currentLeader)
        .isGreaterThanOrEqualTo(world.timings().leaseDuration().minus(tolerance));
  }

  @Then("the {word} leader's last leadership ended before the new leader's began")
  public void pausedEndedBeforeNewBegan(String which) {
    Leaderships.Lead paused = lastLead(world.oldLeader.identity());
    Leaderships.Lead next = lastLead(world.currentLeader.identity());
    assertThat(paused.end()).as("end of %s's leadership (its lock's own deadline)", world.oldLeader)
        .isLessThan(next.start());
    assertThat(Leaderships.startedAfter(world.fleet().history(), next.start() + 1).stream()
        .filter(l -> l.identity().equals(world.oldLeader.identity())).toList())
        .as("leaderships of the paused candidate after it resumed").isEmpty();
  }

  @Then("within {int} second(s) the old leader (still )leads( again) with the same fencing token")
  public void oldLeaderAgain(int seconds) {
    CandidateNode old = world.oldLeader;
    await(old + " leading again").atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .until(() -> world.fleet().leaders().equals(List.of(old)));
    assertThat(old.fencingToken()).as("fencing token of %s", old).isEqualTo(world.oldToken);
    world.currentLeader = old;
  }

  @Then("no other candidate led in the meantime")
  public void noOtherLeader() {
    assertThat(Leaderships.of(world.fleet().history()).stream()
        .filter(l -> !l.identity().equals(world.oldLeader.identity())).toList())
        .as("leaderships of anyone but %s", world.oldLeader).isEmpty();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private CandidateNode awaitLeader(Duration within, Predicate<CandidateNode> where, String what) {
    Fleet fleet = world.fleet();
    // one read both tests and returns: a second read may find the seen leader lapsed
    return await(what).atMost(within).pollInterval(POLL)
        .until(() -> fleet.leader().filter(where), Optional::isPresent).orElseThrow();
  }

  /** The history must show the leadership too: a START of {@code leader} with {@code token}, at or after {@code since}. */
  private void awaitStartRecorded(CandidateNode leader, long token, long since) {
    // onStartLeading comes at the elector's next tick after the lock saw its confirmation: up to ~1.2 R later
    Duration bound = world.timings().retryPeriod().multipliedBy(3).plusSeconds(1);
    await("the history to record " + leader + " starting with token " + token).atMost(bound)
        .pollInterval(POLL).untilAsserted(() -> assertThat(Leaderships.of(world.fleet().history()))
            .as("leaderships").anyMatch(l -> l.identity().equals(leader.identity()) && l.token() == token
                && l.start() >= since));
  }

  private Leaderships.Lead lastLead(String identity) {
    List<Leaderships.Lead> leads = Leaderships.of(world.fleet().history()).stream()
        .filter(l -> l.identity().equals(identity)).toList();
    assertThat(leads).as("leaderships of %s in the history", identity).isNotEmpty();
    return leads.get(leads.size() - 1);
  }
}
