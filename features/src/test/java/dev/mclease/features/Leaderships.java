package dev.mclease.features;

import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.history.HistoryEvent;
import java.util.List;

/**
 * Reading a recorded history the way the scenarios talk about it: who started leading when, with which token, and
 * when each leadership really ended - exactly as the split-brain checker derives it
 * ({@code [START, min(onStopLeading, the lock's last deadline)]}, protocol.md "Histories").
 */
final class Leaderships {

  /** One leadership of one candidate, on the history's monotonic axis. */
  record Lead(String identity, String cluster, long token, long start, long end, int incarnation) {
  }

  private Leaderships() {
  }

  static List<Lead> of(History history) {
    return HistoryChecker.intervals(history).stream()
        .map(i -> new Lead(i.identity(), i.cluster(), i.token(), i.startNanos(), i.endNanos(), i.incarnation()))
        .toList();
  }

  static List<Lead> startedAfter(History history, long nanos) {
    return of(history).stream().filter(l -> l.start() >= nanos).toList();
  }

  static long faultsStarted(History history) {
    return history.events().stream().filter(e -> e.type() == HistoryEvent.Type.FAULT_START).count();
  }

  static long faultsEnded(History history) {
    return history.events().stream().filter(e -> e.type() == HistoryEvent.Type.FAULT_END).count();
  }
}
