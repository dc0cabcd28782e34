package dev.mclease.features;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A seeded schedule of two to four faults against a running fleet (etcd outages only when asked for). Each fault lasts 0.3 to 2.5 s; about a third of
 * them stay in place while the next one is injected (on another cluster), so faults also overlap. Targets are the
 * current leader or its cluster seven times out of ten. Between and during faults at most one candidate may lead.
 * Everything is healed when the schedule ends.
 */
final class RandomSchedule {

  /** One pick from the menu: what it hits (a cluster name, or "etcd") and the fault. */
  private record Pick(String scope, Fault fault) {
  }

  private final World world;
  private final Fleet fleet;
  private final Random random;
  private final List<String> log = new ArrayList<>();

  private final boolean etcdOutages;

  /** @param etcdOutages whether the menu includes stopping and killing etcd members */
  RandomSchedule(World world, long seed, boolean etcdOutages) {
    this.world = world;
    this.etcdOutages = etcdOutages;
    this.fleet = world.fleet();
    this.random = new Random(seed);
  }

  /** Runs the schedule; returns what was injected, in order. */
  List<String> run() {
    int faults = 2 + random.nextInt(3);
    List<String> open = new ArrayList<>();
    List<String> openScopes = new ArrayList<>();
    for (int i = 0; i < faults; i++) {
      FaultSteps.holdWithAtMostOneLeader(world, between(100, 600));
      Pick pick = pick(openScopes);
      String label = "chaos " + i;
      world.inject(label, pick.fault());
      log.add(pick.fault().description());
      open.add(label);
      openScopes.add(pick.scope());
      boolean overlapNext = i < faults - 1 && random.nextInt(10) < 3;
      if (!overlapNext) {
        FaultSteps.holdWithAtMostOneLeader(world, between(300, 2500));
        for (int j = open.size() - 1; j >= 0; j--) {
          world.heal(open.get(j));
        }
        open.clear();
        openScopes.clear();
      }
    }
    return List.copyOf(log);
  }

  private Pick pick(List<String> busy) {
    for (int attempt = 0; attempt < 20; attempt++) {
      Pick p = menu().get(random.nextInt(menu().size())).apply(fleet);
      if (p != null && !busy.contains(p.scope()) && !(p.scope().equals("etcd") && busy.contains("etcd"))) {
        return p;
      }
    }
    // every cluster is busy: fall back to a harmless slowdown of the first free target
    ClusterNode c = fleet.clusters().stream().filter(n -> !busy.contains(n.name())).findFirst()
        .orElse(fleet.clusters().get(0));
    return new Pick(c.name(), Fault.slowEtcdLinks(c, Duration.ofMillis(50)));
  }

  private List<Function<Fleet, Pick>> menu() {
    List<Function<Fleet, Pick>> m = new ArrayList<>();
    m.add(f -> candidate(c -> Fault.partitionCandidateFromApi(c)));
    m.add(f -> candidate(c -> Fault.pauseCandidate(c)));
    m.add(f -> candidate(Faults::crashAndRestartCandidate));
    m.add(f -> candidate(c -> Fault.releaseCandidate(c)));
    m.add(f -> candidate(c -> Fault.skewCandidateClock(c, Duration.ofHours(random.nextBoolean() ? 1 : -1))));
    m.add(f -> candidate(c -> Fault.driftCandidateClock(c, random.nextBoolean() ? 0.9 : 1.1)));
    m.add(f -> cluster(n -> Fault.partitionControllerFromApi(n)));
    m.add(f -> cluster(n -> Fault.partitionControllerFromEtcd(n)));
    m.add(f -> cluster(n -> Fault.killController(n)));
    m.add(f -> cluster(n -> Fault.skewControllerClock(n, Duration.ofHours(random.nextBoolean() ? 1 : -1))));
    m.add(f -> cluster(n -> Fault.slowEtcdLinks(n, Duration.ofMillis(50 + random.nextInt(150)))));
    m.add(f -> cluster(n -> Fault.isolateCluster(n)));
    m.add(f -> cluster(Faults::loseCluster));
    if (!etcdOutages) {
      return m;
    }
    if (fleet.etcd().size() >= 3) {
      m.add(f -> new Pick("etcd", Fault.killEtcdMember(f, random.nextInt(f.etcd().size()))));
      m.add(f -> new Pick("etcd", Fault.stopEtcdMembers(f, List.of(0, 1))));
    } else {
      m.add(f -> new Pick("etcd", Fault.stopEtcdMembers(f, List.of(0))));
    }
    return m;
  }

  private Pick candidate(Function<CandidateNode, Fault> fault) {
    List<CandidateNode> running = fleet.candidates().stream().filter(CandidateNode::isRunning).toList();
    CandidateNode target;
    var leader = fleet.leader();
    if (random.nextInt(10) < 7 && leader.isPresent()) {
      target = leader.get();
    } else {
      List<CandidateNode> pool = running.isEmpty() ? fleet.candidates() : running;
      target = pool.get(random.nextInt(pool.size()));
    }
    return new Pick(target.clusterName(), fault.apply(target));
  }

  private Pick cluster(Function<ClusterNode, Fault> fault) {
    ClusterNode target;
    var leader = fleet.leader();
    if (random.nextInt(10) < 7 && leader.isPresent()) {
      target = fleet.cluster(leader.get().clusterName());
    } else {
      target = fleet.clusters().get(random.nextInt(fleet.clusters().size()));
    }
    return new Pick(target.name(), fault.apply(target));
  }

  private Duration between(int minMillis, int maxMillis) {
    return Duration.ofMillis(minMillis + random.nextInt(maxMillis - minMillis + 1));
  }
}
