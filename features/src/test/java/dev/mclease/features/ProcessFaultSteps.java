package dev.mclease.features;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.ProcessFaults;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.fleet.ClusterNode;
import io.cucumber.java.en.When;

/**
 * Faults sent to real processes as signals (ProcessFaults): frozen and killed kube-apiservers, a cluster's killed
 * storage etcd, frozen etcd members and controller processes. Candidate processes are MixedLanguageSteps'.
 */
public final class ProcessFaultSteps {

  private final World world;

  public ProcessFaultSteps(World world) {
    this.world = world;
  }

  private ClusterNode leaderCluster() {
    return world.fleet().cluster(world.oldLeader.clusterName());
  }

  private ClusterNode realLeaderCluster() {
    ClusterNode n = leaderCluster();
    assumeTrue(n.cluster() instanceof ApiServerCluster, "process faults need real kube-apiserver processes; "
        + "this fleet runs on " + n.cluster().getClass().getSimpleName() + " (run ./mcl test to build the binaries)");
    return n;
  }

  @When("the kube-apiserver of the leader's cluster is frozen")
  public void freezeApiServer() {
    world.inject("frozen kube-apiserver", ProcessFaults.freezeApiServer(realLeaderCluster()));
  }

  @When("the frozen kube-apiserver thaws")
  public void thawApiServer() {
    world.heal("frozen kube-apiserver");
  }

  @When("the kube-apiserver of the leader's cluster is killed")
  public void killApiServer() {
    world.inject("killed kube-apiserver", ProcessFaults.crashApiServer(realLeaderCluster()));
  }

  @When("the killed kube-apiserver starts again")
  public void restartApiServer() {
    world.heal("killed kube-apiserver");
  }

  @When("the etcd storing the leader's cluster is killed")
  public void killStorageEtcd() {
    world.inject("killed storage etcd", ProcessFaults.crashStorageEtcd(realLeaderCluster()));
  }

  @When("the killed etcd starts again")
  public void restartStorageEtcd() {
    world.heal("killed storage etcd");
  }

  @When("the leader's controller process is frozen")
  public void freezeController() {
    world.inject("frozen controller", ProcessFaults.freezeController(leaderCluster()));
  }

  @When("the frozen controller process thaws")
  public void thawController() {
    world.heal("frozen controller");
  }

  @When("etcd member {int} is frozen")
  public void freezeEtcdMember(int member) {
    world.inject("frozen etcd member " + member, ProcessFaults.freezeEtcdMember(world.fleet(), member));
  }

  @When("etcd member {int} thaws")
  public void thawEtcdMember(int member) {
    world.heal("frozen etcd member " + member);
  }
}
