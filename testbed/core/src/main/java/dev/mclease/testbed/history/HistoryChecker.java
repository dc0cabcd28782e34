package dev.mclease.testbed.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Judges a leadership {@link History}: no two leaders at once, fencing tokens increasing, no long leaderless gap.
 *
 * <h2>Leadership intervals</h2>
 * An identity leads over {@code [START, min(STOP, validUntil)]}, where {@code validUntil} is that of the latest
 * CONFIRMED event of the identity after its START. A process that is paused hears onStopLeading late, but its
 * lock stopped counting it leader at {@code validUntil}, so the interval ends there (docs/protocol.md,
 * "Histories"). Without a STOP the interval ends at {@code min(last event of the history, validUntil)}; with no
 * CONFIRMED event, STOP (or the end of the history) alone bounds it. A CONFIRMED recorded just before its START
 * (a lock confirms inside {@code get()}, before the elector calls onStartLeading) counts for that START when its
 * {@code validUntil} is later than the START. A second START of an identity that is still
 * leading closes the first interval at that instant.
 *
 * <h2>Rules</h2>
 * <ol>
 *   <li><b>Overlap.</b> Any instant covered by intervals of two different identities is a violation (touching
 *       end-to-start is not).</li>
 *   <li><b>Tokens.</b> The token of every START must be &gt; 0 (≤ 0 means unknown and is reported) and strictly
 *       greater than the token of the previous START. One exception: the same identity <em>and incarnation</em>
 *       (the same process) starting again with the same token right after itself is the same acquisition resumed
 *       (it missed an echo and got the next one), which is safe. A restart under the same identity is a new
 *       incarnation and needs a larger token: a late write of the dead process must be fenceable.</li>
 *   <li><b>Leaderless gaps.</b> Between the first and the last event of the history, every span covered by no
 *       interval is a gap. Time inside fault spans (FAULT_START to its FAULT_END; an unended fault lasts to the end
 *       of the history; overlapping faults merge) is not counted. A gap is a violation when its remaining,
 *       counted time exceeds the bound. So after a fault ends the system has {@code maxLeaderlessGap} to elect a
 *       leader, and outside faults a gap may last at most the bound (this includes the first election, from the
 *       first event).</li>
 * </ol>
 */
public final class HistoryChecker {

  private HistoryChecker() {
  }

  /** The outcome of {@link #check}. */
  public record Verdict(boolean ok, List<String> violations, int overlaps, long leaderlessMaxNanos, String summary,
      List<LeadershipInterval> intervals) {

    @Override
    public String toString() {
      return summary + (violations.isEmpty() ? "" : "\n  " + String.join("\n  ", violations));
    }
  }

  /** Checks {@code history} with the given bound on leaderless time outside faults. */
  public static Verdict check(History history, Duration maxLeaderlessGap) {
    List<HistoryEvent> events = history.events();
    List<String> violations = new ArrayList<>();
    List<LeadershipInterval> intervals = intervals(events);
    long t0 = events.isEmpty() ? 0 : events.get(0).tNanos();

    int overlaps = checkOverlaps(intervals, t0, violations);
    boolean tokensOk = checkTokens(events, t0, violations);
    long bound = maxLeaderlessGap.toNanos();
    long longest = checkGaps(events, intervals, bound, t0, violations);

    String summary = String.format(Locale.ROOT, "%d overlap%s, %s, longest leaderless gap %s (bound %s)",
        overlaps, overlaps == 1 ? "" : "s", tokensOk ? "tokens increasing" : "TOKENS NOT INCREASING",
        seconds(longest), seconds(bound));
    return new Verdict(violations.isEmpty(), List.copyOf(violations), overlaps, longest, summary,
        List.copyOf(intervals));
  }

  /** The leadership intervals of a history, in START order (see the class comment for the rule). */
  public static List<LeadershipInterval> intervals(History history) {
    return intervals(history.events());
  }

  private static final class Open {
    final HistoryEvent start;
    long validUntil = Long.MIN_VALUE;

    Open(HistoryEvent start) {
      this.start = start;
    }

    LeadershipInterval close(long at, boolean stopped) {
      boolean deadlineFirst = validUntil != Long.MIN_VALUE && validUntil < at;
      long end = deadlineFirst ? Math.max(validUntil, start.tNanos()) : at;
      LeadershipInterval.End why = deadlineFirst ? LeadershipInterval.End.VALID_UNTIL
          : stopped ? LeadershipInterval.End.STOP : LeadershipInterval.End.END_OF_HISTORY;
      return new LeadershipInterval(start.identity(), start.cluster(), start.token(), start.tNanos(), end, why,
          start.incarnation());
    }
  }

  static List<LeadershipInterval> intervals(List<HistoryEvent> events) {
    Map<String, Open> open = new LinkedHashMap<>();
    Map<String, Long> confirmedBeforeStart = new LinkedHashMap<>();
    List<LeadershipInterval> out = new ArrayList<>();
    for (HistoryEvent e : events) {
      switch (e.type()) {
        case START:
          Open started = new Open(e);
          Long early = confirmedBeforeStart.remove(e.identity());
          if (early != null && early > e.tNanos()) {
            started.validUntil = early;
          }
          Open previous = open.put(e.identity(), started);
          if (previous != null) {
            out.add(previous.close(e.tNanos(), true));
          }
          break;
        case CONFIRMED:
          Open o = open.get(e.identity());
          if (o != null) {
            o.validUntil = e.validUntilNanos();
          } else {
            confirmedBeforeStart.put(e.identity(), e.validUntilNanos());
          }
          break;
        case STOP:
          confirmedBeforeStart.remove(e.identity());
          Open s = open.remove(e.identity());
          if (s != null) {
            out.add(s.close(e.tNanos(), true));
          }
          break;
        default:
          break;
      }
    }
    long end = events.isEmpty() ? 0 : events.get(events.size() - 1).tNanos();
    open.values().forEach(o -> out.add(o.close(end, false)));
    out.sort(Comparator.comparingLong(LeadershipInterval::startNanos));
    return out;
  }

  private static int checkOverlaps(List<LeadershipInterval> intervals, long t0, List<String> violations) {
    int overlaps = 0;
    for (int i = 0; i < intervals.size(); i++) {
      LeadershipInterval a = intervals.get(i);
      for (int j = i + 1; j < intervals.size(); j++) {
        LeadershipInterval b = intervals.get(j);
        if (b.startNanos() >= a.endNanos()) {
          break; // sorted by start: no later interval can overlap a
        }
        if (!a.identity().equals(b.identity()) && b.endNanos() > b.startNanos()) {
          overlaps++;
          long from = b.startNanos();
          long to = Math.min(a.endNanos(), b.endNanos());
          violations.add(String.format(Locale.ROOT, "overlap: %s (%s, token %d) and %s (%s, token %d) both led "
              + "from %s to %s (%s)", a.identity(), a.cluster(), a.token(), b.identity(), b.cluster(), b.token(),
              at(from, t0), at(to, t0), seconds(to - from)));
        }
      }
    }
    return overlaps;
  }

  private static boolean checkTokens(List<HistoryEvent> events, long t0, List<String> violations) {
    boolean ok = true;
    HistoryEvent previous = null;
    for (HistoryEvent e : events) {
      if (e.type() != HistoryEvent.Type.START) {
        continue;
      }
      if (e.token() <= 0) {
        ok = false;
        violations.add(String.format(Locale.ROOT, "unknown fencing token %d: %s (%s) started leading at %s",
            e.token(), e.identity(), e.cluster(), at(e.tNanos(), t0)));
      } else if (previous != null && previous.token() > 0 && e.token() <= previous.token()
          && !(e.identity().equals(previous.identity()) && e.incarnation() == previous.incarnation()
              && e.token() == previous.token())) {
        ok = false;
        violations.add(String.format(Locale.ROOT, "token not increasing: %s (%s) started at %s with token %d, "
            + "not greater than %d of the previous leader %s (%s)", e.identity(), e.cluster(), at(e.tNanos(), t0),
            e.token(), previous.token(), previous.identity(), previous.cluster()));
      }
      previous = e;
    }
    return ok;
  }

  private static long checkGaps(List<HistoryEvent> events, List<LeadershipInterval> intervals, long bound, long t0,
      List<String> violations) {
    long longest = 0;
    for (Gap g : gaps(events, intervals)) {
      longest = Math.max(longest, g.countedNanos());
      if (g.countedNanos() > bound) {
        violations.add(String.format(Locale.ROOT, "leaderless for %s outside faults (bound %s), from %s to %s",
            seconds(g.countedNanos()), seconds(bound), at(g.fromNanos(), t0), at(g.toNanos(), t0)));
      }
    }
    return longest;
  }

  /**
   * A leaderless stretch of a history: covered by no leadership interval, between the first and the last event.
   *
   * @param countedNanos the part of it outside every fault span, which rule 3 holds to the bound
   */
  public record Gap(long fromNanos, long toNanos, long countedNanos) {
  }

  /** The leaderless gaps of {@code history} (rule 3), in time order. */
  public static List<Gap> gaps(History history) {
    List<HistoryEvent> events = history.events();
    return gaps(events, intervals(events));
  }

  private static List<Gap> gaps(List<HistoryEvent> events, List<LeadershipInterval> intervals) {
    if (events.isEmpty()) {
      return List.of();
    }
    long t0 = events.get(0).tNanos();
    long end = events.get(events.size() - 1).tNanos();
    List<long[]> faults = merge(faultSpans(events, end));
    List<long[]> led = merge(intervals.stream().filter(i -> i.endNanos() > i.startNanos())
        .map(i -> new long[] {i.startNanos(), i.endNanos()}).toList());
    long cursor = t0;
    List<long[]> spans = new ArrayList<>();
    for (long[] l : led) {
      if (l[0] > cursor) {
        spans.add(new long[] {cursor, l[0]});
      }
      cursor = Math.max(cursor, l[1]);
    }
    if (end > cursor) {
      spans.add(new long[] {cursor, end});
    }
    return spans.stream().map(g -> new Gap(g[0], g[1], (g[1] - g[0]) - covered(g, faults))).toList();
  }

  private static List<long[]> faultSpans(List<HistoryEvent> events, long end) {
    List<long[]> spans = new ArrayList<>();
    Map<String, List<Long>> openByDetail = new LinkedHashMap<>();
    for (HistoryEvent e : events) {
      if (e.type() == HistoryEvent.Type.FAULT_START) {
        openByDetail.computeIfAbsent(String.valueOf(e.detail()), k -> new ArrayList<>()).add(e.tNanos());
      } else if (e.type() == HistoryEvent.Type.FAULT_END) {
        List<Long> starts = openByDetail.get(String.valueOf(e.detail()));
        if (starts != null && !starts.isEmpty()) {
          spans.add(new long[] {starts.remove(0), e.tNanos()});
        }
      }
    }
    openByDetail.values().forEach(starts -> starts.forEach(s -> spans.add(new long[] {s, end})));
    return spans;
  }

  /** Fault spans of a history, merged: FAULT_START..FAULT_END, unended ones to the end of the history. */
  public static List<long[]> faults(History history) {
    List<HistoryEvent> events = history.events();
    return events.isEmpty() ? List.of() : merge(faultSpans(events, events.get(events.size() - 1).tNanos()));
  }

  private static List<long[]> merge(List<long[]> spans) {
    List<long[]> sorted = new ArrayList<>(spans);
    sorted.sort(Comparator.comparingLong(s -> s[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] s : sorted) {
      if (!out.isEmpty() && s[0] <= out.get(out.size() - 1)[1]) {
        long[] last = out.get(out.size() - 1);
        last[1] = Math.max(last[1], s[1]);
      } else {
        out.add(new long[] {s[0], s[1]});
      }
    }
    return out;
  }

  private static long covered(long[] gap, List<long[]> faults) {
    long sum = 0;
    for (long[] f : faults) {
      long from = Math.max(gap[0], f[0]);
      long to = Math.min(gap[1], f[1]);
      if (to > from) {
        sum += to - from;
      }
    }
    return sum;
  }

  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static String at(long nanos, long t0) {
    return String.format(Locale.ROOT, "t=%.3f s", (nanos - t0) / 1e9);
  }
}
