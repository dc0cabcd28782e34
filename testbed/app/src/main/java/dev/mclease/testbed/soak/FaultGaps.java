package dev.mclease.testbed.soak;

import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import dev.mclease.testbed.soak.HistoryResult.FaultResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which leaderless gap each fault of a history caused. A gap is a stretch covered by no leadership interval (as
 * {@link HistoryChecker#gaps} finds them) between the history's first and last event; it is laid at the door
 * of the latest fault injected at or before the gap began, since that is what took the leader away (a gap that
 * began before any fault, the first election, belongs to none). A fault's gap is the longest laid at its door; its
 * counted part is the part outside every fault span, the time the checker's bound applies to (rule 3).
 */
public final class FaultGaps {

  private FaultGaps() {
  }

  /**
   * One result per FAULT_START of {@code history}, in order.
   *
   * @param types the schedule's type of each fault, in injection order; missing ones read "unknown"
   * @param bound the leaderless bound each fault is held to
   */
  public static List<FaultResult> of(History history, List<String> types, Duration bound) {
    List<HistoryEvent> events = history.events();
    if (events.isEmpty()) {
      return List.of();
    }
    long t0 = events.get(0).tNanos();
    long end = events.get(events.size() - 1).tNanos();
    List<long[]> spans = spans(events, end);
    long[] gap = new long[spans.size()];
    long[] counted = new long[spans.size()];
    for (HistoryChecker.Gap g : HistoryChecker.gaps(history)) {
      int owner = -1;
      for (int i = 0; i < spans.size() && spans.get(i)[0] <= g.fromNanos(); i++) {
        owner = i;
      }
      long length = g.toNanos() - g.fromNanos();
      if (owner >= 0 && length > gap[owner]) {
        gap[owner] = length;
        counted[owner] = g.countedNanos();
      }
    }
    List<String> descriptions = descriptions(events);
    List<FaultResult> out = new ArrayList<>();
    for (int i = 0; i < spans.size(); i++) {
      long[] s = spans.get(i);
      String type = i < types.size() ? types.get(i) : "unknown";
      out.add(new FaultResult(type, descriptions.get(i), millis(s[0] - t0), millis(s[1] - s[0]),
          millis(gap[i]), millis(counted[i]), bound.toMillis()));
    }
    return out;
  }

  /** Each fault's [start, end] in FAULT_START order; FAULT_END matched by description, first open first. */
  private static List<long[]> spans(List<HistoryEvent> events, long end) {
    List<long[]> spans = new ArrayList<>();
    Map<String, List<long[]>> open = new LinkedHashMap<>();
    for (HistoryEvent e : events) {
      if (e.type() == HistoryEvent.Type.FAULT_START) {
        long[] s = {e.tNanos(), end};
        spans.add(s);
        open.computeIfAbsent(String.valueOf(e.detail()), k -> new ArrayList<>()).add(s);
      } else if (e.type() == HistoryEvent.Type.FAULT_END) {
        List<long[]> waiting = open.get(String.valueOf(e.detail()));
        if (waiting != null && !waiting.isEmpty()) {
          waiting.remove(0)[1] = e.tNanos();
        }
      }
    }
    return spans;
  }

  private static List<String> descriptions(List<HistoryEvent> events) {
    return events.stream().filter(e -> e.type() == HistoryEvent.Type.FAULT_START)
        .map(e -> String.valueOf(e.detail())).toList();
  }

  private static long millis(long nanos) {
    return Math.round(nanos / 1e6);
  }
}
