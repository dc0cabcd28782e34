package dev.mclease.testbed.history;

import dev.mclease.testbed.fencing.FencedWrite;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Judges the writes a fenced resource accepted against the leadership {@link History} of the same run: the side
 * effects, not only the callbacks, must be exclusive. Pure: the history and the resource's log in, a verdict out.
 *
 * <h2>Rules</h2>
 * <ol>
 *   <li><b>Whose write.</b> Every accepted write came from the leader of its token: some leadership interval of the
 *       history ({@link HistoryChecker#intervals(History)}: START to {@code min(STOP, the lock's latest deadline)})
 *       has that token, that writer's identity (and incarnation, when both are recorded), and contains the writer's
 *       instant of its last check before the write. A write whose token nobody led with, that another identity led
 *       with, or that was checked before its leadership began or after it ended is a violation.</li>
 *   <li><b>Token order.</b> In the order the resource applied them, accepted tokens never decrease: no lower token
 *       was accepted after a higher one.</li>
 * </ol>
 * Refused writes break no rule: refusing them is the resource's job (a late write of a paused leader is expected to
 * be refused, and is counted). Rule 1 judges the writer's check instant, not the commit: the time from check to
 * commit is the window only fencing closes, and rule 2 is what proves it closed.
 */
public final class FencedWriteChecker {

  private FencedWriteChecker() {
  }

  /**
   * The outcome of {@link #check}.
   *
   * @param acceptedByWriter accepted writes per writer identity, in order of first acceptance
   */
  public record Verdict(boolean ok, List<String> violations, int accepted, int refused,
      Map<String, Integer> acceptedByWriter, String summary) {

    @Override
    public String toString() {
      return summary + (violations.isEmpty() ? "" : "\n  " + String.join("\n  ", violations));
    }
  }

  /**
   * Checks {@code writes} (a fenced resource's whole log) against {@code history}. Read the log <em>before</em> the
   * history's last event is appended (e.g. a closing note): a leadership still open ends at the history's last event,
   * and a write of that leader checked after it would be judged outside its leadership.
   */
  public static Verdict check(History history, List<FencedWrite> writes) {
    List<HistoryEvent> events = history.events();
    long t0 = events.isEmpty() ? 0 : events.get(0).tNanos();
    List<LeadershipInterval> intervals = HistoryChecker.intervals(events);
    List<FencedWrite> accepted = writes.stream().filter(FencedWrite::accepted)
        .sorted(Comparator.comparingLong(FencedWrite::version)).toList();
    List<String> violations = new ArrayList<>();
    Map<String, Integer> byWriter = new LinkedHashMap<>();

    FencedWrite highest = null;
    for (FencedWrite w : accepted) {
      byWriter.merge(w.writer(), 1, Integer::sum);
      String whose = whose(w, intervals, t0);
      if (whose != null) {
        violations.add(whose);
      }
      if (highest != null && w.token() < highest.token()) {
        violations.add(String.format(Locale.ROOT, "token order: write #%d (version %d) by %s with token %d was "
            + "accepted after write #%d (version %d) by %s with the higher token %d", w.seq(), w.version(),
            w.writer(), w.token(), highest.seq(), highest.version(), highest.writer(), highest.token()));
      }
      if (highest == null || w.token() >= highest.token()) {
        highest = w;
      }
    }
    int refused = writes.size() - accepted.size();
    String summary = String.format(Locale.ROOT, "%d accepted write%s from %d leader%s, %d refused, %d violation%s",
        accepted.size(), accepted.size() == 1 ? "" : "s", byWriter.size(), byWriter.size() == 1 ? "" : "s", refused,
        violations.size(), violations.size() == 1 ? "" : "s");
    return new Verdict(violations.isEmpty(), List.copyOf(violations), accepted.size(), refused,
        Map.copyOf(byWriter), summary);
  }

  /** Null when {@code w} lies in a leadership of its writer with its token, else what is wrong. */
  private static String whose(FencedWrite w, List<LeadershipInterval> intervals, long t0) {
    List<LeadershipInterval> ofToken = intervals.stream().filter(i -> i.token() == w.token()).toList();
    String write = String.format(Locale.ROOT, "accepted write #%d (version %d) by %s with token %d, checked at %s",
        w.seq(), w.version(), w.writer(), w.token(), at(w.writerNanos(), t0));
    if (ofToken.isEmpty()) {
      return write + ": no leadership in the history had token " + w.token();
    }
    List<LeadershipInterval> own = ofToken.stream().filter(i -> i.identity().equals(w.writer())
        && (i.incarnation() == 0 || w.incarnation() == 0 || i.incarnation() == w.incarnation())).toList();
    if (own.isEmpty()) {
      LeadershipInterval other = ofToken.get(0);
      return write + String.format(Locale.ROOT, ": token %d was led by %s (%s, incarnation %d), not by this writer"
          + " (incarnation %d)", w.token(), other.identity(), other.cluster(), other.incarnation(), w.incarnation());
    }
    long nearest = Long.MAX_VALUE;
    LeadershipInterval closest = null;
    for (LeadershipInterval i : own) {
      if (i.startNanos() <= w.writerNanos() && w.writerNanos() <= i.endNanos()) {
        return null;
      }
      long off = w.writerNanos() < i.startNanos() ? i.startNanos() - w.writerNanos() : w.writerNanos() - i.endNanos();
      if (off < nearest) {
        nearest = off;
        closest = i;
      }
    }
    return write + String.format(Locale.ROOT, ": %s its leadership %s..%s (ended by %s), by %.3f s",
        w.writerNanos() < closest.startNanos() ? "before" : "after", at(closest.startNanos(), t0),
        at(closest.endNanos(), t0), closest.endedBy(), nearest / 1e9);
  }

  private static String at(long nanos, long t0) {
    return String.format(Locale.ROOT, "t=%.3f s", (nanos - t0) / 1e9);
  }
}
