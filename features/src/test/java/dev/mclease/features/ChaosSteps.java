package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Seeded random fault schedules: the outline's seeds, and -Dsoak=N more. */
public final class ChaosSteps {

  /** Soak seeds start here, far from the outline's. */
  static final long SOAK_FIRST_SEED = 1000;
  /** As in the outline: "within 10 seconds exactly one leader runs in any cluster". */
  static final Duration RECOVERY_BOUND = Duration.ofSeconds(10);
  static final Duration RECOVERY_PATIENCE = Duration.ofSeconds(60);
  /** Whether the soak's menu includes etcd member stops and kills; -Dsoak.etcdOutages=false leaves them out. */
  static final boolean SOAK_ETCD_OUTAGES = Boolean.parseBoolean(System.getProperty("soak.etcdOutages", "true"));

  private final World world;
  private List<String> schedule = List.of();
  private int soakSeeds;
  private final List<String> soakFailures = new ArrayList<>();
  private int soakRuns;

  public ChaosSteps(World world) {
    this.world = world;
  }

  @When("the random fault schedule with seed {long} runs")
  public void runSchedule(long seed) {
    runSchedule(seed, false);
  }

  @When("the random fault schedule with seed {long} and etcd outages runs")
  public void runScheduleWithOutages(long seed) {
    runSchedule(seed, true);
  }

  private void runSchedule(long seed, boolean etcdOutages) {
    schedule = new RandomSchedule(world, seed, etcdOutages).run();
    world.scenario.log("seed " + seed + ": " + String.join("; ", schedule));
  }

  @Then("every fault of the schedule is recorded in the history")
  public void everyFaultRecorded() {
    assertThat(schedule).as("faults of the schedule").hasSizeBetween(2, 4);
    assertThat(Leaderships.faultsStarted(world.fleet().history())).as("faults started in the history")
        .isEqualTo(schedule.size());
    assertThat(Leaderships.faultsEnded(world.fleet().history())).as("faults healed in the history")
        .isEqualTo(schedule.size());
  }

  @Given("the number of soak seeds asked for")
  public void soakSeeds() {
    soakSeeds = Integer.getInteger("soak", 0);
    assumeTrue(soakSeeds > 0, "no soak asked for: run with -Dsoak=N to add N seeded fault schedules");
  }

  /** Each seed on its own fresh fleet, checked and closed before the next one starts. */
  @When("that many random fault schedules run, each on a fresh fleet of 3 clusters")
  public void runSoak() {
    for (int i = 0; i < soakSeeds; i++) {
      long seed = SOAK_FIRST_SEED + i;
      World one = new World();
      one.scenario = world.scenario;
      Fleet fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(1)
          .etcdMembers(seed % 5 == 0 ? 3 : 1).timings(Timings.fast()).build();
      one.fleet(fleet);
      Verdict verdict = null;
      String failure = null;
      try {
        fleet.start();
        await("a first leader").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
            .until(() -> fleet.leader().isPresent());
        List<String> faults = new RandomSchedule(one, seed, SOAK_ETCD_OUTAGES).run();
        long healed = System.nanoTime();
        // wait longer than the bound, to tell "late" from "never" in the report
        await("a single leader after seed " + seed).atMost(RECOVERY_PATIENCE).pollInterval(Duration.ofMillis(20))
            .until(() -> fleet.leader().isPresent());
        Duration recovery = Duration.ofNanos(System.nanoTime() - healed);
        fleet.history().note("soak seed " + seed + " checked");
        verdict = HistoryChecker.check(fleet.history(), fleet.timings().leaderlessBound());
        if (!verdict.violations().isEmpty() || recovery.compareTo(RECOVERY_BOUND) > 0) {
          failure = "seed " + seed + " (" + String.join("; ", faults) + "): leader " + recovery.toMillis()
              + " ms after the last heal (bound " + RECOVERY_BOUND.toMillis() + " ms); " + verdict.summary();
        }
      } catch (RuntimeException | AssertionError e) {
        failure = "seed " + seed + ": " + e.getMessage();
      } finally {
        soakRuns++;
        Hooks.countFaultInjected("soak seed " + seed);
        if (failure != null) {
          failure = failure + "\n" + Diagnostics.describe(fleet);
          soakFailures.add(failure);
          world.scenario.log(failure + " - kept in " + Hooks.keep(fleet.history(), "soak-seed-" + seed, verdict));
        }
        Hooks.healLinks(fleet);
        one.closeAll();
      }
    }
  }

  @Then("every one of their histories passes the split-brain checker")
  public void soakPassed() {
    assertThat(soakRuns).as("soak schedules run").isEqualTo(soakSeeds);
    assertThat(soakFailures).as("soak seeds that failed").isEmpty();
  }
}
