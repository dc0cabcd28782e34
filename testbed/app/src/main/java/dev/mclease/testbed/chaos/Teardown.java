package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.Fleet;

/** Readies a fleet that faults may have left broken for {@link Fleet#close()}. */
public final class Teardown {

  private Teardown() {
  }

  /**
   * Reconnects every candidate to its API server, so that releases on the way down go through instead of waiting
   * for a cut link to time out, and kills frozen candidates: {@link Fleet#close()} releases running candidates, and
   * releasing one whose election thread is parked in the paused lock waits for that thread forever.
   */
  public static void readyToClose(Fleet fleet) {
    fleet.candidates().forEach((CandidateNode c) -> c.apiLink().heal());
    fleet.candidates().stream().filter(CandidateNode::isPaused).forEach(CandidateNode::kill);
  }
}
