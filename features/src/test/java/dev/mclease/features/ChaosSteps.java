package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.FaultSchedule;
import dev.mclease.testbed.soak.SoakPlan;
import dev.mclease.testbed.soak.SoakRunner;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.util.List;

/** Seeded random fault schedules ({@link FaultSchedule}): the outline's seeds, and -Dsoak=N more through the soak. */
public final class ChaosSteps {

  /** Whether the soak's menu includes etcd member stops and kills; -Dsoak.etcdOutages=false leaves them out. */
  static final boolean SOAK_ETCD_OUTAGES = Boolean.parseBoolean(System.getProperty("soak.etcdOutages", "true"));

  private final World world;
  private List<FaultSchedule.Injected> schedule = List.of();
  private int soakSeeds;
  private SoakRunner.Outcome soak;

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
    schedule = new FaultSchedule(world.fleet(), seed, etcdOutages, world.scheduleInjector(),
        d -> FaultSteps.holdWithAtMostOneLeader(world, d)).run();
    world.scenario.log("seed " + seed + ": "
        + String.join("; ", schedule.stream().map(FaultSchedule.Injected::description).toList()));
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

  /**
   * The soak of {@code ./mcl soak}: each seed on its own fresh fleet, checked and closed before the next one starts,
   * its report and failing histories under target/soak.
   */
  @When("that many random fault schedules run, each on a fresh fleet of 3 clusters")
  public void runSoak() throws InterruptedException {
    SoakPlan plan = new SoakPlan(soakSeeds, SoakPlan.FIRST_SEED, List.of("etcd"), 1, SOAK_ETCD_OUTAGES, "auto",
        Hooks.histories().resolveSibling("soak").toString());
    soak = new SoakRunner(plan, line -> world.scenario.log(line)).describeFailures(Diagnostics::describe).run();
    soak.histories().forEach(h -> Hooks.countFaultInjected("soak seed " + h.seed()));
    world.scenario.log("soak report: " + soak.report().toAbsolutePath());
  }

  @Then("every one of their histories passes the split-brain checker")
  public void soakPassed() {
    assertThat(soak.histories()).as("soak schedules run").hasSize(soakSeeds);
    assertThat(soak.summary().failures()).as("soak seeds that failed (" + soak.report() + ")").isEmpty();
  }
}
