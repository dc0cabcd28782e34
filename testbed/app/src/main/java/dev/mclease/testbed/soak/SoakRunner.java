package dev.mclease.testbed.soak;

import dev.mclease.testbed.fleet.Fleet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a {@link SoakPlan}: every seed on every store as its own {@link HistoryRun}, {@code parallel} at a time, then
 * writes the report ({@link SoakReport}). Histories on real API servers share the JVM's kube-apiservers, each fleet
 * in a namespace of its own, and start their own lock store; they share one PostgreSQL server for their fenced rows
 * ({@link SoakFence}).
 */
public final class SoakRunner {

  /** The outcome: every history in plan order, what they add up to, and where the report is. */
  public record Outcome(List<HistoryResult> histories, SoakSummary summary, Path report, Duration took) {
  }

  private final SoakPlan plan;
  private final Consumer<String> progress;
  private Function<Fleet, String> describer;

  /** @param progress gets one line per finished history */
  public SoakRunner(SoakPlan plan, Consumer<String> progress) {
    this.plan = plan;
    this.progress = progress;
  }

  /** What a failing history's state.txt says about its fleet (the lease objects, who runs); default none. */
  public SoakRunner describeFailures(Function<Fleet, String> describer) {
    this.describer = describer;
    return this;
  }

  /** Runs every history, writes report.md and report.json, and returns them. */
  public Outcome run() throws InterruptedException {
    long started = System.nanoTime();
    try (SoakFence fence = SoakFence.start()) {
      fence.unavailable().ifPresent(why -> progress.accept("fenced writes are not checked: " + why));
      return run(started, new HistoryRun(plan, describer, fence), fence.unavailable().orElse(null));
    }
  }

  private Outcome run(long started, HistoryRun one, String fenceUnavailable) throws InterruptedException {
    int total = plan.histories() * plan.backends().size();
    AtomicInteger done = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(plan.parallel(), r -> {
      Thread t = new Thread(r, "soak-history");
      t.setDaemon(true);
      return t;
    });
    List<Future<HistoryResult>> futures = new ArrayList<>();
    try {
      for (String backend : plan.backends()) {
        for (int i = 0; i < plan.histories(); i++) {
          long seed = plan.firstSeed() + i;
          futures.add(pool.submit(() -> {
            HistoryResult r = one.run(seed, backend);
            progress.accept(line(done.incrementAndGet(), total, r));
            return r;
          }));
        }
      }
      List<HistoryResult> results = new ArrayList<>();
      for (Future<HistoryResult> f : futures) {
        results.add(get(f));
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      Path report = SoakReport.write(plan, results, took, fenceUnavailable);
      return new Outcome(List.copyOf(results), SoakSummary.of(results), report, took);
    } finally {
      pool.shutdownNow();
    }
  }

  private static HistoryResult get(Future<HistoryResult> f) throws InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      // HistoryRun turns every failure of a history into its result; anything else is a bug of the runner
      throw new IllegalStateException("a soak history broke the runner", e.getCause());
    }
  }

  private String line(int n, int total, HistoryResult r) {
    List<SoakSummary.Problem> problems = SoakSummary.problems(r);
    String head = String.format("[%d/%d] seed %d on %s (%d member%s): %d faults, ", n, total, r.seed(), r.backend(),
        r.members(), r.members() == 1 ? "" : "s", r.faults().size());
    String recovery = r.recoveryMillis() == null ? "no leader after the last heal"
        : "leader " + r.recoveryMillis() + " ms after the last heal";
    if (problems.isEmpty()) {
      return head + recovery + ", ok";
    }
    return head + recovery + ", FAILED " + problems + (r.error() == null ? "" : " (" + r.error() + ")")
        + (r.keptIn() == null ? "" : "; kept in " + r.keptIn()) + "; replay: " + plan.replay(r.seed(), r.backend());
  }
}
