package dev.mclease.testbed.soak;

import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.FaultSchedule;
import dev.mclease.testbed.chaos.FaultSchedule.Injected;
import dev.mclease.testbed.chaos.Teardown;
import dev.mclease.testbed.fencing.FencedWrite;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One soak history: a fresh fleet (3 clusters, one candidate each, fast timings) whose leaders write to a fenced row
 * ({@link SoakFence}), a first leader, the seed's {@link FaultSchedule}, every fault healed, then a wait for a single
 * leader, the split-brain checker and the fenced-write checker. A failing
 * history is kept (history.jsonl, timeline.svg, verdict.txt, and state.txt when a describer is given).
 */
final class HistoryRun {

  private static final Logger LOG = LoggerFactory.getLogger(HistoryRun.class);
  private static final Duration POLL = Duration.ofMillis(20);
  /** A cold fleet on a loaded machine needs more than {@link Fleet#firstLeaderBound()}; this is not under test. */
  private static final Duration FIRST_LEADER = Duration.ofSeconds(30);
  /** How many bounds to wait after the last heal: long enough to tell a late leader from none. */
  static final int PATIENCE_BOUNDS = 4;

  private final SoakPlan plan;
  private final Function<Fleet, String> describer;
  private final SoakFence fence;

  /**
   * @param describer what to write into a failing history's state.txt, or null for no state.txt
   * @param fence the fenced row every leader writes to, checked after the history
   */
  HistoryRun(SoakPlan plan, Function<Fleet, String> describer, SoakFence fence) {
    this.plan = plan;
    this.describer = describer;
    this.fence = fence;
  }

  HistoryResult run(long seed, String backend) {
    Timings timings = Timings.fast();
    Duration bound = timings.leaderlessBound();
    int members = SoakPlan.members(backend, seed);
    Fleet fleet = null;
    HistoryResult result;
    Verdict verdict = null;
    List<String> types = List.of();
    SoakFence.Writers writers = null;
    try {
      fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(1).etcdMembers(members)
          .backend(backend).clusterKind(plan.clusterKind()).timings(timings).build();
      Fleet f = fleet;
      writers = fence.attach(f).orElse(null);
      f.start();
      if (!until(() -> f.leader().isPresent(), max(FIRST_LEADER, f.firstLeaderBound()))) {
        throw new IllegalStateException("no first leader within " + FIRST_LEADER.toSeconds() + " s");
      }
      List<Injected> injected;
      // closing the injector heals whatever a failing schedule left injected
      try (FaultInjector injector = new FaultInjector(f.history())) {
        injected = new FaultSchedule(f, seed, plan.storeOutages(), injector::inject, HistoryRun::hold).run();
      }
      types = injected.stream().map(Injected::type).toList();
      long healed = System.nanoTime();
      Long recovery = until(() -> f.leader().isPresent(), bound.multipliedBy(PATIENCE_BOUNDS))
          ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed) : null;
      // the row's log before the closing note: a leadership still open ends at the history's last event
      List<FencedWrite> log = writers == null ? null : writers.log();
      // the checker judges up to the last event: this note makes a leaderless tail count
      f.history().note("soak seed " + seed + " checked");
      verdict = HistoryChecker.check(f.history(), bound);
      result = HistoryResult.judged(seed, backend, members, FaultGaps.of(f.history(), types, bound), verdict,
          recovery, bound.toMillis());
      if (log != null) {
        result = result.withFencing(writers.check(log));
      }
    } catch (RuntimeException e) {
      LOG.warn("soak seed {} on {} could not run to its end", seed, backend, e);
      result = HistoryResult.failed(seed, backend, members,
          fleet == null ? List.of() : FaultGaps.of(fleet.history(), types, bound), bound.toMillis(), e.toString());
    }
    if (writers != null) {
      writers.close();
    }
    if (fleet != null) {
      if (!SoakSummary.problems(result).isEmpty()) {
        result = result.keptIn(keep(fleet, seed, backend, verdict).toString());
      }
      try {
        Teardown.readyToClose(fleet);
        fleet.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the fleet of soak seed {} on {} failed", seed, backend, e);
      }
    }
    return result;
  }

  private Path keep(Fleet fleet, long seed, String backend, Verdict verdict) {
    Path dir = KeptHistory.write(fleet.history(), plan.outDir().resolve("histories")
        .resolve(backend + "-seed-" + seed), verdict);
    if (describer != null) {
      try {
        Files.writeString(dir.resolve("state.txt"), describer.apply(fleet), StandardCharsets.UTF_8);
      } catch (Exception e) {
        LOG.warn("could not describe the fleet of seed {}", seed, e);
      }
    }
    return dir;
  }

  /** The schedule's holds: faults last for spans of real time, the checker judges what happened meanwhile. */
  private static void hold(Duration d) {
    until(() -> false, d);
  }

  /** Polls {@code condition} until it holds or {@code within} has passed; returns whether it held. */
  private static boolean until(BooleanSupplier condition, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || Thread.currentThread().isInterrupted()) {
        return false;
      }
      LockSupport.parkNanos(Math.min(left, POLL.toNanos()));
    }
    return true;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
