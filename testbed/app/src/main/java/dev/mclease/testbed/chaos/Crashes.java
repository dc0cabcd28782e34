package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;

/**
 * Crashes as the specifications and the soak mean them: a dead process says nothing on its way out. The candidate's
 * link to its API server is cut <em>before</em> the process is stopped, so that no release can slip out while it is
 * closed (a lock releases {@code spec} on close when it can reach the API server; the testbed's {@code kill} once
 * closed the lock first, which made every crash a graceful release). {@link Fault#loseCluster} and
 * {@link Fault#killCandidate} stop the processes without cutting their links first.
 */
public final class Crashes {

  private Crashes() {
  }

  /** The candidate process dies: no release, no more heartbeats. Nothing to heal. */
  public static Fault crashCandidate(CandidateNode c) {
    return Fault.simple("crash " + c, () -> crash(c), () -> { });
  }

  /** The candidate process dies as in {@link #crashCandidate}; heal: a new process starts. */
  public static Fault crashAndRestartCandidate(CandidateNode c) {
    return Fault.simple("crash " + c, () -> crash(c), () -> {
      c.apiLink().heal();
      c.start();
    });
  }

  private static void crash(CandidateNode c) {
    c.apiLink().partition();
    c.kill();
  }

  /** A whole cluster is lost at once: every link goes silent, then every process dies. Heal: all restart. */
  public static Fault loseCluster(ClusterNode n) {
    return Fault.simple("lose cluster " + n.name(), () -> {
      n.controller().etcdLinks().forEach(TcpProxy::partition);
      n.controller().apiLink().partition();
      n.candidates().forEach(c -> c.apiLink().partition());
      n.controller().kill();
      n.candidates().forEach(CandidateNode::kill);
    }, () -> {
      n.controller().etcdLinks().forEach(TcpProxy::heal);
      n.controller().apiLink().heal();
      n.candidates().forEach(c -> c.apiLink().heal());
      n.controller().start();
      n.candidates().forEach(CandidateNode::start);
    });
  }
}
