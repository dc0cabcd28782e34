package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.KubectlMcl;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * An operator's actions with the kubectl plugin {@code kubectl mcl} (client/go/cmd/kubectl-mcl) on the fleet: one
 * merged kubeconfig, a context per cluster. The plugin sets its annotation, waits for the hand-over and removes the
 * annotation; the controllers do the rest (docs/protocol.md, "Operator actions").
 */
public class OperatorSteps {

  /** The plugin's own wait for a hand-over; fast timings hand over in a few seconds. */
  private static final Duration HAND_OVER = Duration.ofSeconds(30);

  private final World world;
  private final FleetSteps fleetSteps;
  private KubectlMcl.Result last;
  private String movedTo;

  public OperatorSteps(World world, FleetSteps fleetSteps) {
    this.world = world;
    this.fleetSteps = fleetSteps;
  }

  private KubectlMcl plugin() {
    Optional<String> why = KubectlMcl.unavailable();
    assumeTrue(why.isEmpty(), () -> "kubectl mcl skipped: " + why.orElse(""));
    return KubectlMcl.forFleet(world.fleet());
  }

  @When("the operator runs kubectl mcl status")
  public void status() {
    last = plugin().status();
  }

  @When("the operator runs kubectl mcl release on the lease")
  public void release() {
    KubectlMcl plugin = plugin();
    world.markEvent();
    last = plugin.release(HAND_OVER);
  }

  @When("the operator runs kubectl mcl move to a cluster that does not lead")
  public void moveElsewhere() {
    KubectlMcl plugin = plugin();
    String leading = world.oldLeader.clusterName();
    movedTo = world.fleet().clusters().stream().map(ClusterNode::name).filter(n -> !n.equals(leading)).sorted()
        .reduce((a, b) -> b).orElseThrow(); // the last name: not merely the first cluster the fleet would pick
    world.markEvent();
    last = plugin.move(movedTo, HAND_OVER);
  }

  @When("the operator runs kubectl mcl move to the cluster that leads")
  public void moveToLeader() {
    world.markEvent();
    movedTo = world.oldLeader.clusterName();
    last = plugin().move(movedTo, HAND_OVER);
  }

  @Then("kubectl mcl succeeds")
  public void succeeds() {
    assertThat(last.exitCode()).as("exit code; stdout:\n%s\nstderr:\n%s", last.stdout(), last.stderr()).isZero();
  }

  /**
   * Every cluster's view, not only the leader's: a standby's controller writes the holder into its status a moment
   * after it learns it (a status that confirms no one waits min(R/2, 100 ms), docs/controller.md), so the operator
   * runs status again until every line shows the leader, as one would.
   */
  @Then("within {int} second(s) its status shows, on the line of every cluster, the leader, its cluster and its "
      + "fencing token")
  public void statusShowsLeader(int seconds) {
    String leader = world.currentLeader.identity();
    String cluster = world.currentLeader.clusterName();
    String token = Long.toString(world.currentLeader.fencingToken());
    KubectlMcl plugin = plugin();
    await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
      if (!showsLeader(last, leader, cluster, token)) {
        last = plugin.status();
      }
      for (ClusterNode node : world.fleet().clusters()) {
        assertThat(line(last, node.name())).as("the line of context %s in:\n%s", node.name(), last.stdout())
            .hasValueSatisfying(l -> assertThat(l).contains(leader, cluster, token));
      }
    });
  }

  private boolean showsLeader(KubectlMcl.Result r, String leader, String cluster, String token) {
    return world.fleet().clusters().stream().allMatch(n -> line(r, n.name())
        .filter(l -> l.contains(leader) && l.contains(cluster) && l.contains(token)).isPresent());
  }

  private static Optional<String> line(KubectlMcl.Result r, String context) {
    return r.stdout().lines().filter(l -> l.startsWith(context + " ") || l.startsWith(context + "\t")).findFirst();
  }

  @Then("within {int} second(s) exactly one leader runs in the cluster it was moved to")
  public void leaderInMovedTo(int seconds) {
    fleetSteps.leaderIn(seconds, movedTo);
  }

  @Then("it says that cluster leads already, and nothing changed")
  public void alreadyLeads() {
    assertThat(last.stdout() + last.stderr()).as("what kubectl mcl said").contains("already");
    assertThat(world.fleet().leader()).as("the leader").hasValueSatisfying(c ->
        assertThat(c.fencingToken()).isEqualTo(world.oldToken));
  }

  @Then("no operator annotation is left on any cluster")
  public void noAnnotationLeft() {
    Fleet fleet = world.fleet();
    for (ClusterNode node : fleet.clusters()) {
      MultiClusterLease l = node.cluster().client().resources(MultiClusterLease.class).inNamespace(fleet.namespace())
          .withName(fleet.leaseName()).get();
      Map<String, String> a = l == null || l.getMetadata().getAnnotations() == null ? Map.of()
          : l.getMetadata().getAnnotations();
      assertThat(a).as("annotations in %s", node.name())
          .doesNotContainKeys("mclease.dev/release-token", "mclease.dev/preferred-cluster");
    }
  }
}
