package dev.mclease.testbed.cli;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.TourFault;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import dev.mclease.testbed.history.TimelineRenderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The demo's walk through the fault catalogue ({@link TourFault}, in order): each fault is announced, aimed at the
 * current leader, held until another leader is seen (or for its hold time), then healed; the tour says who leads
 * next, with which fencing token, and how long the fleet was without a leader. Faults go through the session's
 * {@link FaultInjector}, so the history knows when the fleet was allowed to be leaderless.
 */
final class DemoTour {

  /** How often the tour looks at the fleet: the resolution of its leaderless times. */
  private static final Duration POLL = Duration.ofMillis(10);
  /** A fault that moved leadership is kept this much longer, so the timeline shows it beside the new leader. */
  private static final Duration LINGER = Duration.ofMillis(500);
  /** A healed fleet is left alone this long before the next fault. */
  private static final Duration SETTLE = Duration.ofSeconds(1);

  private final Fleet fleet;
  private final FaultInjector injector;
  private final Consumer<String> say;

  DemoTour(Fleet fleet, FaultInjector injector, Consumer<String> say) {
    this.fleet = fleet;
    this.injector = injector;
    this.say = say;
  }

  /** What one fault did: the leader before and after, and the leaderless time between (0 when never leaderless). */
  record Step(TourFault fault, String before, long tokenBefore, String after, long tokenAfter, long leaderlessNanos) {

    boolean leaderChanged() {
      return after != null && (!after.equals(before) || tokenAfter != tokenBefore);
    }
  }

  /**
   * Runs every fault of the tour once, in order; returns early when interrupted (Ctrl-C, --duration).
   *
   * @return what each fault that ran did
   */
  List<Step> run() {
    List<TourFault> faults = List.of(TourFault.values());
    Duration bound = fleet.timings().leaderlessBound();
    say.accept("tour: " + faults.size() + " faults, one at a time, each aimed at the leader of the moment");
    int n = 0;
    int moved = 0;
    List<Step> steps = new ArrayList<>();
    for (TourFault f : faults) {
      if (Thread.currentThread().isInterrupted()) {
        break;
      }
      n++;
      Optional<CandidateNode> leader = awaitLeader(bound);
      if (leader.isEmpty()) {
        say.accept(String.format(Locale.ROOT, "fault %d/%d: %s skipped: no leader to aim at after %.1f s", n,
            faults.size(), f.label(), bound.toMillis() / 1e3));
        continue;
      }
      Step step = step(n, faults.size(), f, leader.get());
      if (step == null) {
        break;
      }
      steps.add(step);
      if (step.leaderChanged()) {
        moved++;
      }
      pause(SETTLE);
    }
    if (!Thread.currentThread().isInterrupted()) {
      say.accept("tour done: " + n + " faults, leadership moved after " + moved + " of them");
    }
    return steps;
  }

  private Step step(int n, int of, TourFault f, CandidateNode leader) {
    String before = leader.toString();
    long tokenBefore = leader.fencingToken();
    Fault fault = f.aimAt(fleet, leader); // the leader awaited, not a second read that may find none
    say.accept(String.format(Locale.ROOT, "fault %d/%d: %s — %s (leader %s, token %d)", n, of, f.label(),
        fault.description(), before, tokenBefore));
    say.accept("    " + f.explanation());
    Watch watch = new Watch(before, tokenBefore);
    long holdUntil = System.nanoTime() + f.hold(fleet.timings()).toNanos();
    try (AutoCloseable ignored = injector.inject(fault)) {
      while (System.nanoTime() < holdUntil && !(f.healOnMove() && watch.moved())) {
        if (!watch.poll()) {
          return null;
        }
      }
      if (watch.moved()) {
        long lingerUntil = System.nanoTime() + LINGER.toNanos();
        while (System.nanoTime() < lingerUntil && watch.poll()) {
          // keep watching: the leaderless time is measured to the first new leader, not to the heal
        }
      }
    } catch (Exception e) {
      say.accept("    the fault failed: " + e);
      return new Step(f, before, tokenBefore, null, -1, 0);
    }
    say.accept("    healed");
    long recoverBy = System.nanoTime() + fleet.timings().leaderlessBound().toNanos();
    while (!watch.settled() && System.nanoTime() < recoverBy) {
      if (!watch.poll()) {
        return null;
      }
    }
    Step step = watch.step(f);
    say.accept("    " + outcome(step));
    return step;
  }

  static String outcome(Step s) {
    if (s.after() == null) {
      return "no leader yet";
    }
    String gap = s.leaderlessNanos() == 0 ? "never leaderless"
        : String.format(Locale.ROOT, "leaderless for %.2f s", s.leaderlessNanos() / 1e9);
    if (!s.leaderChanged()) {
      return "→ " + s.after() + " still leads, token " + s.tokenAfter() + " (" + gap + ")";
    }
    String who = s.after().equals(s.before()) ? s.after() + " again" : s.after();
    return "→ " + who + " leads, token " + s.tokenAfter() + " (" + gap + ")";
  }

  /**
   * Follows leadership from the faulted leader to the next: the last instant the old leadership was seen, and the
   * first leader seen after a leaderless spell (or a different leader or token without one).
   */
  private final class Watch {
    private final String before;
    private final long tokenBefore;
    private long lastOldSeen = System.nanoTime();
    private long leaderlessSince = -1;
    private long leaderlessNanos;
    private String after;
    private long tokenAfter = -1;

    Watch(String before, long tokenBefore) {
      this.before = before;
      this.tokenBefore = tokenBefore;
    }

    /** One look at the fleet; false when the tour was interrupted. */
    boolean poll() {
      long now = System.nanoTime();
      Optional<CandidateNode> l = fleet.leader();
      if (l.isEmpty()) {
        if (leaderlessSince < 0) {
          leaderlessSince = lastOldSeen;
        }
      } else {
        String who = l.get().toString();
        long token = l.get().fencingToken();
        boolean old = who.equals(before) && token == tokenBefore;
        if (old && leaderlessSince < 0 && after == null) {
          lastOldSeen = now;
        } else if (after == null) {
          after = who;
          tokenAfter = token;
          leaderlessNanos = leaderlessSince < 0 ? 0 : now - leaderlessSince;
        }
      }
      pause(POLL);
      return !Thread.currentThread().isInterrupted();
    }

    boolean moved() {
      return after != null && (!after.equals(before) || tokenAfter != tokenBefore);
    }

    /** A leader after the fault, or the old one that never stopped. */
    boolean settled() {
      return after != null || (leaderlessSince < 0 && fleet.leader().isPresent());
    }

    Step step(TourFault f) {
      if (after == null && leaderlessSince < 0) {
        return new Step(f, before, tokenBefore, before, tokenBefore, 0);
      }
      return new Step(f, before, tokenBefore, after, tokenAfter, leaderlessNanos);
    }
  }

  private Optional<CandidateNode> awaitLeader(Duration atMost) {
    long until = System.nanoTime() + atMost.toNanos();
    Optional<CandidateNode> l;
    while ((l = fleet.leader()).isEmpty() && System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
      pause(POLL);
    }
    return l;
  }

  /**
   * The checker's verdict over the whole history, once the fleet has had its leaderless bound to elect a leader;
   * writes history.jsonl and timeline.svg into {@code outDir} and says where.
   */
  static Verdict verdict(Fleet fleet, Path outDir, Consumer<String> say) {
    Duration bound = fleet.timings().leaderlessBound();
    long until = System.nanoTime() + bound.toNanos();
    while (fleet.leader().isEmpty() && System.nanoTime() < until) {
      pause(POLL);
    }
    fleet.history().note("demo ended, checking");
    Verdict verdict = HistoryChecker.check(fleet.history(), bound);
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path history = outDir.resolve("history.jsonl");
    Path timeline = outDir.resolve("timeline.svg");
    fleet.history().writeJsonLines(history);
    TimelineRenderer.writeSvg(fleet.history(), timeline);
    say.accept("verdict: " + (verdict.ok() ? "clean" : "VIOLATED") + " — " + verdict.summary());
    verdict.violations().forEach(v -> say.accept("  VIOLATION " + v));
    say.accept("history:  " + history.toAbsolutePath());
    say.accept("timeline: " + timeline.toAbsolutePath());
    return verdict;
  }

  /** The tour keeps wall-clock spans on purpose (a fault is held for a while); it waits on no condition here. */
  private static void pause(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    long left;
    while ((left = until - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted()) {
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
    }
  }
}
