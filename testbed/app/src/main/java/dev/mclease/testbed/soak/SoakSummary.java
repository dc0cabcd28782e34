package dev.mclease.testbed.soak;

import dev.mclease.testbed.soak.HistoryResult.FaultResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a soak's histories add up to, and which of them fail. Pure: {@link #of} reads results, nothing else.
 *
 * <p>A history fails when any of these holds (each is one {@link Problem}):
 * <ol>
 *   <li>two candidates led at once (an overlap),</li>
 *   <li>a leadership started with an unknown or a non-increasing fencing token,</li>
 *   <li>a leaderless gap outside faults outlasted the bound (the checker's rule 3),</li>
 *   <li>no single leader came within the patience after the last heal (never),</li>
 *   <li>one came, but later than the bound after the last heal (late),</li>
 *   <li>the history could not be run to its end (an error: the fleet did not start, a heal failed),</li>
 *   <li>its fenced row accepted a write outside the writer's leadership of that token, or a lower token after a
 *   higher one (the fenced-write checker).</li>
 * </ol>
 *
 * @param histories how many histories were run
 * @param failing how many of them fail
 * @param byBackend histories and failing ones per lock store
 * @param faults faults injected over all histories
 * @param faultsByType per menu entry: how many, the longest gaps they caused, how many outlasted their bound
 * @param overlaps overlaps over all histories
 * @param tokenViolations token-order violations over all histories
 * @param gapMisses leaderless gaps over the bound (checker), over all histories
 * @param faultGapMisses faults whose own gap outlasted its bound ({@link FaultResult#overBound()})
 * @param lateRecoveries histories whose leader came after the bound
 * @param noRecovery histories with no leader within the patience
 * @param errors histories that could not be run to their end
 * @param fencing the fenced rows over all histories whose row was checked
 * @param recovery recovery after the last heal over the histories that recovered (null when none did)
 * @param failures each failing history: seed, store, problems, where it was kept
 */
public record SoakSummary(int histories, int failing, Map<String, Count> byBackend, int faults,
    Map<String, FaultType> faultsByType, int overlaps, int tokenViolations, int gapMisses, int faultGapMisses,
    int lateRecoveries, int noRecovery, int errors, Fencing fencing, Recovery recovery, List<Failure> failures) {

  /** Why a history fails; see the class comment. */
  public enum Problem {
    OVERLAP, TOKEN_ORDER, GAP_OVER_BOUND, NO_RECOVERY, LATE_RECOVERY, ERROR, FENCED_WRITE
  }

  /**
   * The fenced rows of a soak.
   *
   * @param histories histories whose row was checked
   * @param accepted writes accepted, over those histories
   * @param refused writes refused by the row (a lower token than the one stored)
   * @param violations the fenced-write checker's findings, over those histories
   */
  public record Fencing(int histories, long accepted, long refused, int violations) {
  }

  /** Histories run and failing ones, of one lock store. */
  public record Count(int histories, int failing) {
  }

  /**
   * One menu entry over the whole soak.
   *
   * @param longestGapMillis the longest leaderless stretch one of them caused
   * @param longestCountedMillis the longest part of such a stretch outside faults
   * @param boundMillis the bound they were held to (the largest, if the soak mixed timings)
   * @param overBound how many outlasted it
   */
  public record FaultType(int count, long longestGapMillis, long longestCountedMillis, long boundMillis,
      int overBound) {
  }

  /** Recovery after the last heal, nearest-rank percentiles over {@code samples} histories. */
  public record Recovery(int samples, long p50Millis, long p99Millis, long maxMillis) {
  }

  /** A failing history: why, the checker's words, and where its history and timeline were kept. */
  public record Failure(long seed, String backend, List<Problem> problems, List<String> violations, String error,
      String keptIn) {
  }

  /** Whether every history passed. */
  public boolean ok() {
    return failing == 0;
  }

  /** The problems of one history, in the order of the class comment; empty when it passes. */
  public static List<Problem> problems(HistoryResult h) {
    List<Problem> p = new ArrayList<>();
    if (h.overlaps() > 0) {
      p.add(Problem.OVERLAP);
    }
    if (h.tokenViolations() > 0) {
      p.add(Problem.TOKEN_ORDER);
    }
    if (h.gapMisses() > 0) {
      p.add(Problem.GAP_OVER_BOUND);
    }
    if (h.error() != null) {
      p.add(Problem.ERROR);
    } else if (h.recoveryMillis() == null) {
      p.add(Problem.NO_RECOVERY);
    } else if (h.recoveryMillis() > h.boundMillis()) {
      p.add(Problem.LATE_RECOVERY);
    }
    if (h.fencing() != null && !h.fencing().violations().isEmpty()) {
      p.add(Problem.FENCED_WRITE);
    }
    return p;
  }

  /** Adds up {@code results}. */
  public static SoakSummary of(List<HistoryResult> results) {
    Map<String, int[]> backends = new TreeMap<>();
    Map<String, long[]> types = new TreeMap<>();
    List<Long> recoveries = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    int faults = 0;
    int overlaps = 0;
    int tokens = 0;
    int gaps = 0;
    int faultMisses = 0;
    int late = 0;
    int never = 0;
    int errors = 0;
    int fenced = 0;
    long accepted = 0;
    long refused = 0;
    int fenceViolations = 0;
    for (HistoryResult h : results) {
      List<Problem> problems = problems(h);
      int[] b = backends.computeIfAbsent(h.backend(), k -> new int[2]);
      b[0]++;
      for (FaultResult f : h.faults()) {
        faults++;
        long[] t = types.computeIfAbsent(f.type(), k -> new long[5]);
        t[0]++;
        t[1] = Math.max(t[1], f.gapMillis());
        t[2] = Math.max(t[2], f.countedMillis());
        t[3] = Math.max(t[3], f.boundMillis());
        if (f.overBound()) {
          t[4]++;
          faultMisses++;
        }
      }
      overlaps += h.overlaps();
      tokens += h.tokenViolations();
      gaps += h.gapMisses();
      if (h.recoveryMillis() != null && h.error() == null) {
        recoveries.add(h.recoveryMillis());
      }
      late += problems.contains(Problem.LATE_RECOVERY) ? 1 : 0;
      never += problems.contains(Problem.NO_RECOVERY) ? 1 : 0;
      errors += problems.contains(Problem.ERROR) ? 1 : 0;
      if (h.fencing() != null) {
        fenced++;
        accepted += h.fencing().accepted();
        refused += h.fencing().refused();
        fenceViolations += h.fencing().violations().size();
      }
      if (!problems.isEmpty()) {
        b[1]++;
        List<String> words = new ArrayList<>(h.violations());
        if (h.fencing() != null) {
          words.addAll(h.fencing().violations());
        }
        failures.add(new Failure(h.seed(), h.backend(), problems, words, h.error(), h.keptIn()));
      }
    }
    Map<String, Count> byBackend = new TreeMap<>();
    backends.forEach((k, v) -> byBackend.put(k, new Count(v[0], v[1])));
    Map<String, FaultType> byType = new TreeMap<>();
    types.forEach((k, v) -> byType.put(k, new FaultType((int) v[0], v[1], v[2], v[3], (int) v[4])));
    return new SoakSummary(results.size(), failures.size(), byBackend, faults, byType, overlaps, tokens, gaps,
        faultMisses, late, never, errors, new Fencing(fenced, accepted, refused, fenceViolations),
        recovery(recoveries), List.copyOf(failures));
  }

  private static Recovery recovery(List<Long> samples) {
    if (samples.isEmpty()) {
      return null;
    }
    List<Long> sorted = samples.stream().sorted().toList();
    return new Recovery(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.99), sorted.get(sorted.size() - 1));
  }

  /** Nearest rank: the smallest sample with at least {@code q} of all samples at or below it. */
  static long rank(List<Long> sorted, double q) {
    int index = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
