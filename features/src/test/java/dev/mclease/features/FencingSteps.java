package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.client.gate.LeaderWriteGate;
import dev.mclease.client.gate.WriteDecision;
import dev.mclease.client.gate.WriteRefusedException;
import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fencing.FencedRow;
import dev.mclease.testbed.fencing.FencedWrite;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.FencedWriter;
import dev.mclease.testbed.history.FencedWriteChecker;
import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Side effects, not only callbacks: leaders write to a fenced PostgreSQL row ({@link FencedRow}) through the client's
 * write gate while they lead, and Kubernetes writes go through the gate installed on a fabric8 client. The row's log
 * is judged against the leadership history by {@link FencedWriteChecker}; the split-brain checker runs as in every
 * scenario ({@link Hooks}).
 */
public final class FencingSteps {

  private static final Duration WRITE_EVERY = Duration.ofMillis(50);
  private static final Duration POLL = Duration.ofMillis(20);
  /** One throw-away PostgreSQL server for the JVM (a row per scenario); its shutdown hook stops it. */
  private static PostgresServer pg;

  private final World world;
  private FencedRow row;
  private final Map<CandidateNode, FencedWriter> writers = new LinkedHashMap<>();
  private final Map<CandidateNode, LeaderWriteGate> gates = new LinkedHashMap<>();
  /** The paused leader's attempts before it was paused, and the history instant of the pause. */
  private int writesBeforePause;
  private volatile long pausedAtNanos;
  /** The ConfigMap value the leader wrote through its gate. */
  private String configMapValue;

  public FencingSteps(World world) {
    this.world = world;
  }

  private static synchronized PostgresServer pg() {
    if (pg == null || !pg.isRunning()) {
      pg = PostgresProvider.start();
    }
    return pg;
  }

  // ------------------------------------------------------------------------------------------------- Given

  @Given("every leader writes to a fenced PostgreSQL row while it leads")
  public void everyLeaderWrites() {
    assumeTrue(PostgresProvider.available(), PostgresProvider.INSTALL_HINT);
    row = FencedRow.create(pg().jdbcUrl(), "postgres", "", world.fleet().namespace());
    for (CandidateNode c : world.fleet().candidates()) {
      writers.put(c, world.closeLater(FencedWriter.attach(c, row, WRITE_EVERY)));
    }
  }

  @When("the fleet starts")
  public void fleetStarts() {
    world.fleet().start();
  }

  // -------------------------------------------------------------------------------------- the fenced row

  @Then("within {int} second(s) the fenced row has accepted a write from the {word} leader")
  public void acceptedFrom(int seconds, String which) {
    CandidateNode leader = "old".equals(which) || "paused".equals(which) ? world.oldLeader : world.currentLeader;
    // the token its leadership started with, as recorded: it may have lost that leadership again by now
    long token = leader == world.oldLeader ? world.oldToken : Leaderships.of(world.fleet().history()).stream()
        .filter(l -> l.identity().equals(leader.identity())).reduce((a, b) -> b).orElseThrow().token();
    await("an accepted write of " + leader + " with token " + token).atMost(Duration.ofSeconds(seconds))
        .pollInterval(POLL).untilAsserted(() -> assertThat(writer(leader).writes()).as("writes of %s", leader)
            .anyMatch(w -> w.accepted() && w.token() == token));
  }

  /**
   * Arms the leader's writer to pause its candidate right after its next gate check that passed, before the write:
   * the window between check and write that only the fence closes.
   */
  @When("the leader is paused right after its next gate check")
  public void pausedAfterCheck() {
    CandidateNode leader = world.oldLeader;
    FencedWriter w = writer(leader);
    CompletableFuture<Void> paused = new CompletableFuture<>();
    w.afterNextCheck(() -> {
      writesBeforePause = w.writes().size();
      world.inject("pause", Fault.pauseCandidate(leader));
      pausedAtNanos = world.eventAt;
      paused.complete(null);
    });
    await("the leader's next gate check").atMost(Duration.ofSeconds(5)).pollInterval(POLL).until(paused::isDone);
  }

  @Then("within {int} second(s) the fenced row refuses the paused leader's late write with its old token")
  public void lateWriteRefused(int seconds) {
    CandidateNode old = world.oldLeader;
    long pausedAt = pausedAtNanos;
    await("the late write of " + old).atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .until(() -> writer(old).writes().size() > writesBeforePause);
    FencedWrite late = writer(old).writes().get(writesBeforePause);
    assertThat(late.token()).as("token of the late write").isEqualTo(world.oldToken);
    assertThat(late.writerNanos()).as("its gate check came before the pause").isLessThan(pausedAt);
    assertThat(late.accepted()).as("the late write (%s) accepted", late).isFalse();
    assertThat(late.storedToken()).as("the token that refused it").isGreaterThan(world.oldToken);
  }

  /** What the paused process does on waking, before it hears onStopLeading: its next write, through its gate. */
  @Then("the paused leader's next write through its gate is refused, naming its token and how late it is")
  public void gateRefusesNext() {
    CandidateNode old = world.oldLeader;
    int before = writer(old).writes().size();
    assertThatThrownBy(() -> writer(old).writeNow()).isInstanceOfSatisfying(WriteRefusedException.class, e -> {
      assertThat(e.decision().outcome()).as(e.getMessage()).isEqualTo(WriteDecision.Outcome.EXPIRED);
      assertThat(e.decision().overdue()).as(e.getMessage()).isPositive();
      assertThat(e.getMessage()).contains("lease " + world.fleet().namespace() + "/" + world.fleet().leaseName())
          .contains("fencing token " + world.oldToken);
    });
    assertThat(writer(old).writes()).as("writes of %s that reached the row", old).hasSize(before);
  }

  @When("the paused leader writes to the fenced row with its old token, bypassing its gate")
  public void bypass() {
    CandidateNode old = world.oldLeader;
    try (FencedRow.Session s = row.open()) {
      FencedWrite w = s.write(world.oldToken, old.identity(), old.incarnation(), System.nanoTime(),
          System.currentTimeMillis(), "bypass");
      world.scenario.log("bypassing write: " + w);
      assertThat(w.accepted()).as("the bypassing write with token %d (%s) accepted", world.oldToken, w).isFalse();
      assertThat(w.storedToken()).as("the stored token").isEqualTo(row.storedToken())
          .isGreaterThan(world.oldToken);
    }
  }

  @Then("every accepted write came from its token's leader within that leadership, in token order")
  public void checkerPasses() {
    // the log first, then the history's last event: every logged check then lies before the end of the history,
    // where a leadership still open ends
    List<FencedWrite> log = row.writes();
    world.fleet().history().note("fenced-write check");
    FencedWriteChecker.Verdict v = FencedWriteChecker.check(world.fleet().history(), log);
    world.scenario.log("fenced-write checker: " + v.summary());
    assertThat(v.violations()).as("fenced-write checker: %s", v.summary()).isEmpty();
  }

  @Then("the fenced row accepted writes with at least {int} fencing tokens")
  public void acceptedTokens(int n) {
    assertThat(row.writes().stream().filter(FencedWrite::accepted).map(FencedWrite::token).distinct().toList())
        .as("fencing tokens of accepted writes").hasSizeGreaterThanOrEqualTo(n);
  }

  // ------------------------------------------------------------------------------- Kubernetes writes

  @Then("the leader's Kubernetes write through its write gate goes through")
  public void kubernetesWriteGoesThrough() {
    CandidateNode leader = world.oldLeader;
    configMapValue = "token-" + world.oldToken;
    ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(configMapName(leader))
        .withNamespace(world.fleet().namespace()).endMetadata().addToData("value", configMapValue).build();
    gatedClient(leader).configMaps().inNamespace(world.fleet().namespace()).resource(cm).create();
    assertThat(readConfigMap(leader)).as("the value on the API server").isEqualTo(configMapValue);
  }

  @Then("the paused leader's Kubernetes write through its write gate is refused and never reaches the API server")
  public void kubernetesWriteRefused() {
    CandidateNode old = world.oldLeader;
    KubernetesClient k = gatedClient(old);
    assertThatThrownBy(() -> k.configMaps().inNamespace(world.fleet().namespace()).withName(configMapName(old))
        .edit(cm -> new ConfigMapBuilder(cm).addToData("value", "late").build()))
        .isInstanceOf(WriteRefusedException.class)
        .hasMessageContaining("lease " + world.fleet().namespace() + "/" + world.fleet().leaseName())
        .hasMessageContaining("fencing token " + world.oldToken)
        .hasMessageContaining("s before this request");
    assertThat(readConfigMap(old)).as("the value on the API server").isEqualTo(configMapValue);
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private FencedWriter writer(CandidateNode c) {
    FencedWriter w = writers.get(c);
    assertThat(w).as("a fenced writer for %s (is 'every leader writes to a fenced PostgreSQL row' given?)", c)
        .isNotNull();
    return w;
  }

  private static String configMapName(CandidateNode c) {
    return "fenced-" + c.identity();
  }

  private String readConfigMap(CandidateNode c) {
    ConfigMap cm = world.fleet().cluster(c.clusterName()).cluster().client().configMaps()
        .inNamespace(world.fleet().namespace()).withName(configMapName(c)).get();
    return cm == null ? null : cm.getData().get("value");
  }

  /** A client of the candidate's own (through its API link), with the gate on the candidate's lock installed. */
  private KubernetesClient gatedClient(CandidateNode c) {
    // one gate per candidate across steps: it remembers the last leadership it saw, for the refusal's message
    LeaderWriteGate gate = gates.computeIfAbsent(c, n -> LeaderWriteGate.forLock(n.lock(), n.nanoTime())
        .stampingToken(LeaderWriteGate.DEFAULT_TOKEN_HEADER));
    Cluster cluster = world.fleet().cluster(c.clusterName()).cluster();
    Config config;
    try (KubernetesClient base = cluster.newClient(c.apiLink().uri(cluster.apiServer().getScheme()))) {
      config = base.getConfiguration();
    }
    return world.closeLater(gate.installOn(new KubernetesClientBuilder().withConfig(config)).build());
  }
}
