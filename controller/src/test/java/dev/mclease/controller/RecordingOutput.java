package dev.mclease.controller;

import dev.mclease.crd.MultiClusterLeaseStatus;
import java.util.ArrayList;
import java.util.List;

/** Records status writes and events. */
final class RecordingOutput implements LeaseOutput {

  final List<MultiClusterLeaseStatus> statuses = new ArrayList<>();
  final List<String> events = new ArrayList<>();
  boolean failWrites;

  @Override
  public synchronized void writeStatus(String namespace, String name, MultiClusterLeaseStatus status) {
    if (failWrites) {
      throw new IllegalStateException("API server down");
    }
    statuses.add(status);
  }

  @Override
  public synchronized void event(String namespace, String name, String type, String reason, String message) {
    events.add(type + " " + reason + ": " + message);
  }

  synchronized MultiClusterLeaseStatus last() {
    return statuses.get(statuses.size() - 1);
  }

  static String reason(MultiClusterLeaseStatus s, String type) {
    return s.condition(type).map(c -> c.getStatus() + "/" + c.getReason()).orElse("none");
  }
}
