package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.TimelineRenderer;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Random faults, one at a time, against a live election, chosen from a seeded {@link Random} so that a failing
 * run can be replayed with the same seed. Ends with every fault healed, a recovery window, and the checker's
 * verdict over the recorded history.
 */
public final class ChaosRunner {

  private final Fleet fleet;
  private final long seed;
  private final Random random;
  private final Consumer<String> progress;

  public ChaosRunner(Fleet fleet, long seed, Consumer<String> progress) {
    this.fleet = fleet;
    this.seed = seed;
    this.random = new Random(seed);
    this.progress = progress;
  }

  /** Outcome of one chaos run. */
  public record Result(long seed, int faults, Verdict verdict, Path historyFile, Path timelineFile) {
  }

  /**
   * Runs faults for {@code duration}, then heals, waits for the recovery bound and checks the history.
   *
   * @param outputDir where history.jsonl and timeline.svg are written
   */
  public Result run(Duration duration, Path outputDir) {
    List<Function<Fleet, Fault>> menu = menu();
    long end = System.nanoTime() + duration.toNanos();
    int count = 0;
    Duration maxHold = fleet.timings().leaseDuration().plus(fleet.timings().backendTtl());
    try (FaultInjector injector = new FaultInjector(fleet.history())) {
      while (System.nanoTime() < end) {
        pause(between(Duration.ofMillis(300), Duration.ofMillis(1500)));
        Fault fault = menu.get(random.nextInt(menu.size())).apply(fleet);
        Duration hold = between(Duration.ofMillis(200), maxHold);
        count++;
        progress.accept(String.format("fault %d: %s for %d ms (leader now: %s)", count, fault.description(),
            hold.toMillis(), fleet.leader().map(Object::toString).orElse("none")));
        try (AutoCloseable ignored = injector.inject(fault)) {
          pause(hold);
        } catch (Exception e) {
          progress.accept("fault " + fault.description() + " failed: " + e);
        }
      }
    }
    Duration bound = fleet.timings().leaderlessBound();
    progress.accept("all faults healed; waiting up to " + bound.toSeconds() + " s for a leader");
    long recoverBy = System.nanoTime() + bound.toNanos();
    while (fleet.leader().isEmpty() && System.nanoTime() < recoverBy) {
      pause(Duration.ofMillis(50));
    }
    pause(fleet.timings().retryPeriod().multipliedBy(3));
    // the checker judges up to the last event: mark "now" so a leaderless tail is judged too
    fleet.history().note("chaos ended, checking");
    Verdict verdict = HistoryChecker.check(fleet.history(), bound);
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path historyFile = outputDir.resolve("history.jsonl");
    Path timelineFile = outputDir.resolve("timeline.svg");
    fleet.history().writeJsonLines(historyFile);
    TimelineRenderer.writeSvg(fleet.history(), timelineFile);
    return new Result(seed, count, verdict, historyFile, timelineFile);
  }

  /** The faults chaos may pick; each picks its own target, usually the current leader. */
  private List<Function<Fleet, Fault>> menu() {
    List<Function<Fleet, Fault>> menu = new ArrayList<>();
    menu.add(f -> Fault.partitionCandidateFromApi(targetCandidate(f)));
    menu.add(f -> Fault.pauseCandidate(targetCandidate(f)));
    menu.add(f -> Fault.killCandidate(targetCandidate(f)));
    menu.add(f -> Fault.releaseCandidate(targetCandidate(f)));
    menu.add(f -> Fault.skewCandidateClock(targetCandidate(f),
        Duration.ofMinutes(random.nextBoolean() ? 60 : -60)));
    menu.add(f -> Fault.partitionControllerFromApi(targetCluster(f)));
    menu.add(f -> Fault.partitionControllerFromEtcd(targetCluster(f)));
    menu.add(f -> Fault.killController(targetCluster(f)));
    menu.add(f -> Fault.skewControllerClock(targetCluster(f), Duration.ofMinutes(random.nextBoolean() ? 5 : -5)));
    menu.add(f -> Fault.slowEtcdLinks(targetCluster(f), Duration.ofMillis(50 + random.nextInt(150))));
    menu.add(f -> Fault.holdStoreAnswers(targetCluster(f)));
    menu.add(f -> Fault.isolateCluster(targetCluster(f)));
    if (!"etcd".equals(fleet.backend())) {
      menu.add(Fault::restartStore);
    } else if (fleet.etcd().size() >= 3) {
      menu.add(f -> Fault.killEtcdMember(f, random.nextInt(f.etcd().size())));
      menu.add(f -> Fault.stopEtcdMembers(f, List.of(0, 1)));
    } else {
      menu.add(f -> Fault.stopEtcdMembers(f, List.of(0)));
    }
    return menu;
  }

  private CandidateNode targetCandidate(Fleet f) {
    List<CandidateNode> running = f.candidates().stream().filter(CandidateNode::isRunning).toList();
    if (random.nextInt(10) < 7) {
      var leader = f.leader();
      if (leader.isPresent()) {
        return leader.get();
      }
    }
    List<CandidateNode> pool = running.isEmpty() ? f.candidates() : running;
    return pool.get(random.nextInt(pool.size()));
  }

  private ClusterNode targetCluster(Fleet f) {
    if (random.nextInt(10) < 7) {
      var leader = f.leader();
      if (leader.isPresent()) {
        return f.cluster(leader.get().clusterName());
      }
    }
    List<ClusterNode> clusters = f.clusters();
    return clusters.get(random.nextInt(clusters.size()));
  }

  private Duration between(Duration min, Duration max) {
    long span = Math.max(1, max.toMillis() - min.toMillis());
    return min.plusMillis((long) (random.nextDouble() * span));
  }

  /** Chaos schedules real time on purpose: faults last for wall-clock spans, they do not wait for conditions. */
  private static void pause(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    long left;
    while ((left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }
}
