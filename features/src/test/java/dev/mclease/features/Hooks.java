package dev.mclease.features;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.Teardown;
import dev.mclease.testbed.cluster.Docker;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.soak.KeptHistory;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import io.cucumber.java.After;
import io.cucumber.java.AfterAll;
import io.cucumber.java.Before;
import io.cucumber.java.BeforeAll;
import org.awaitility.Awaitility;
import io.cucumber.java.Scenario;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Around every scenario: skip what this machine cannot run, and at the end run the split-brain checker over the
 * recorded history (a violation fails the scenario), keep the history and its timeline of a failed scenario under
 * {@code target/histories/<scenario>/}, and close the fleet.
 */
public final class Hooks {

  private static final Logger LOG = LoggerFactory.getLogger(Hooks.class);
  /** Scenarios whose history had faults injected into it, for the run's summary. */
  private static final ConcurrentLinkedQueue<String> FAULT_INJECTED = new ConcurrentLinkedQueue<>();

  private final World world;

  public Hooks(World world) {
    this.world = world;
  }

  /**
   * Components shutting down in one fleet may leave an uncaught exception on one of their own threads (reported
   * separately); Awaitility would otherwise pin it on whichever scenario happens to be waiting at that moment.
   */
  @BeforeAll
  public static void awaitility() {
    Awaitility.doNotCatchUncaughtExceptionsByDefault();
  }

  @Before(order = 0)
  public void remember(Scenario scenario) {
    world.scenario = scenario;
    LOG.info("=== scenario: {} ({}:{})", scenario.getName(), scenario.getUri(), scenario.getLine());
  }

  @Before(value = "@k3s", order = 1)
  public void needsDocker() {
    assumeTrue(Docker.available(), "no Docker engine answers on this machine: k3s scenarios are skipped");
  }

  /** Runs last among the After hooks' work: check, keep evidence, close. */
  @After(order = 0)
  public void checkHistoryAndClose(Scenario scenario) throws IOException {
    Fleet fleet = world.fleetIfAny().orElse(null);
    try {
      if (fleet == null) {
        return;
      }
      History history = fleet.history();
      Verdict verdict = null;
      AssertionError violation = null;
      try {
        // The checker's history ends at its last event; mark "now", so that a leaderless stretch at the end counts.
        history.note("scenario ended");
        verdict = HistoryChecker.check(history, fleet.timings().leaderlessBound());
        if (!verdict.violations().isEmpty()) {
          violation = new AssertionError("split-brain checker: " + verdict.summary());
        }
      } finally {
        if (world.faultsInjected() > 0) {
          FAULT_INJECTED.add(scenario.getName());
        }
        if (violation != null || scenario.isFailed() || Boolean.getBoolean("features.keepHistories")) {
          Path dir = keep(history, scenario, verdict);
          Files.writeString(dir.resolve("state.txt"), Diagnostics.describe(fleet), StandardCharsets.UTF_8);
          scenario.log("history and timeline kept in " + dir.toAbsolutePath());
        }
      }
      if (violation != null) {
        throw violation;
      }
    } finally {
      if (fleet != null) {
        // Let releases on the way down go through instead of waiting for a cut link to time out.
        healLinks(fleet);
      }
      world.closeAll();
    }
  }

  @AfterAll
  public static void summarize() {
    List<String> names = List.copyOf(FAULT_INJECTED);
    String text = "fault-injected histories checked: " + names.size() + System.lineSeparator()
        + String.join(System.lineSeparator(), names) + System.lineSeparator();
    try {
      Path file = histories().getParent().resolve("fault-injected-histories.txt");
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      LOG.warn("could not write the fault-injection summary", e);
    }
    System.out.println("fault-injected histories checked: " + names.size());
  }

  /** Writes history.jsonl, timeline.svg and verdict.txt for one scenario; returns the directory. */
  static Path keep(History history, Scenario scenario, Verdict verdict) {
    return keep(history, slug(scenario.getName()) + "-line" + scenario.getLine(), verdict);
  }

  static Path keep(History history, String name, Verdict verdict) {
    return KeptHistory.write(history, histories().resolve(name), verdict);
  }

  static Path histories() {
    return Path.of(System.getProperty("features.histories", "target/histories"));
  }

  static String slug(String name) {
    String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    return s.length() > 80 ? s.substring(0, 80) : s;
  }

  /** Counts a fault-injected history checked outside the scenario's own fleet (the soak's). */
  static void countFaultInjected(String name) {
    FAULT_INJECTED.add(name);
  }

  static void healLinks(Fleet fleet) {
    Teardown.readyToClose(fleet);
  }
}
