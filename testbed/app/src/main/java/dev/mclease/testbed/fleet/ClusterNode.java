package dev.mclease.testbed.fleet;

import dev.mclease.testbed.cluster.Cluster;
import java.util.List;

/** One cluster of a fleet: its API server, its election controller and its candidates. */
public record ClusterNode(String name, Cluster cluster, ControllerNode controller, List<CandidateNode> candidates)
    implements AutoCloseable {

  @Override
  public void close() {
    candidates.forEach(CandidateNode::close);
    controller.close();
    cluster.close();
  }
}
