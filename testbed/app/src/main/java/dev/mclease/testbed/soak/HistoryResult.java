package dev.mclease.testbed.soak;

import dev.mclease.testbed.history.FencedWriteChecker;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import java.util.List;

/**
 * What one soak history showed: its seed and fleet, each fault with the leaderless gap it caused, the split-brain
 * checker's findings, and how long after the last heal a single leader led again. {@link SoakSummary} judges it.
 *
 * @param seed the schedule's seed ({@code ./mcl soak --histories 1 --seed <seed>} replays it)
 * @param backend the global lock store
 * @param members etcd members (1 for the other stores)
 * @param faults every fault the schedule injected, in order
 * @param overlaps instants at which two candidates led (checker rule 1)
 * @param tokenViolations leadership starts whose fencing token was unknown or not increasing (rule 2)
 * @param gapMisses leaderless gaps over the bound outside faults (rule 3)
 * @param violations the checker's words for each of them
 * @param recoveryMillis from the last heal to a single leader; null if none came within the patience
 * @param boundMillis the fleet's leaderless bound, which the recovery is held to
 * @param error what stopped the history before it could be judged (the fleet did not start, a heal failed), or null
 * @param keptIn where its history.jsonl and timeline.svg were kept (failing histories only), or null
 * @param fencing what the fenced-write checker found in the history's fenced row, or null when it was not checked
 */
public record HistoryResult(long seed, String backend, int members, List<FaultResult> faults, int overlaps,
    int tokenViolations, int gapMisses, List<String> violations, Long recoveryMillis, long boundMillis,
    String error, String keptIn, Fencing fencing) {

  public HistoryResult {
    faults = List.copyOf(faults);
    violations = List.copyOf(violations);
  }

  /**
   * A judged history. The checker's violations are told apart by the words it starts them with ("overlap:",
   * "token not increasing" or "unknown fencing token", "leaderless for"); HistoryResultTest pins those on the
   * checker's own output.
   */
  public static HistoryResult judged(long seed, String backend, int members, List<FaultResult> faults,
      Verdict verdict, Long recoveryMillis, long boundMillis) {
    List<String> v = verdict.violations();
    int tokens = (int) v.stream().filter(s -> s.startsWith("token not increasing")
        || s.startsWith("unknown fencing token")).count();
    int gaps = (int) v.stream().filter(s -> s.startsWith("leaderless for")).count();
    return new HistoryResult(seed, backend, members, faults, verdict.overlaps(), tokens, gaps, v, recoveryMillis,
        boundMillis, null, null, null);
  }

  /** A history that could not be judged: {@code error} says why. */
  public static HistoryResult failed(long seed, String backend, int members, List<FaultResult> faults,
      long boundMillis, String error) {
    return new HistoryResult(seed, backend, members, faults, 0, 0, 0, List.of(), null, boundMillis, error, null,
        null);
  }

  /** The same result, kept in {@code dir}. */
  public HistoryResult keptIn(String dir) {
    return new HistoryResult(seed, backend, members, faults, overlaps, tokenViolations, gapMisses, violations,
        recoveryMillis, boundMillis, error, dir, fencing);
  }

  /** The same result with what the fenced-write checker found. */
  public HistoryResult withFencing(Fencing f) {
    return new HistoryResult(seed, backend, members, faults, overlaps, tokenViolations, gapMisses, violations,
        recoveryMillis, boundMillis, error, keptIn, f);
  }

  /**
   * The fenced row of one history, judged by {@link FencedWriteChecker}.
   *
   * @param accepted writes the row accepted
   * @param refused writes the row refused (a lower token than the one stored: a late leader, fenced off)
   * @param leaders distinct writers among the accepted writes
   * @param violations accepted writes outside their token's leadership, or a lower token after a higher one
   */
  public record Fencing(int accepted, int refused, int leaders, List<String> violations) {

    public Fencing {
      violations = List.copyOf(violations);
    }

    static Fencing of(FencedWriteChecker.Verdict v) {
      return new Fencing(v.accepted(), v.refused(), v.acceptedByWriter().size(), v.violations());
    }
  }

  /**
   * One fault of a history and the leaderless gap it caused.
   *
   * @param type the schedule's menu entry, e.g. "controller killed"
   * @param description the fault's own words, e.g. "kill east controller"
   * @param startMillis when it was injected, from the history's first event
   * @param durationMillis how long it stayed injected
   * @param gapMillis the longest leaderless stretch it caused (see {@link FaultGaps}), 0 if the fleet kept a leader
   * @param countedMillis the part of that stretch outside every fault, which the bound applies to
   * @param boundMillis the bound on {@code countedMillis}: the fleet's leaderless bound
   */
  public record FaultResult(String type, String description, long startMillis, long durationMillis, long gapMillis,
      long countedMillis, long boundMillis) {

    /** Whether the gap it caused outlasted its bound once the faults had healed. */
    public boolean overBound() {
      return countedMillis > boundMillis;
    }
  }
}
