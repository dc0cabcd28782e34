package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fault.TcpProxy;
import java.time.Duration;
import java.util.List;

/**
 * One fault of the testbed: something that goes wrong on one link or component, and the way back.
 * {@link #inject()} and {@link #heal()} are each called once, in that order.
 */
public interface Fault {

  /** Human description, e.g. "partition east controller <-> lock store". */
  String description();

  void inject();

  void heal();

  /** candidate ↔ its API server cut both ways. */
  static Fault partitionCandidateFromApi(CandidateNode candidate) {
    return links("partition " + candidate + " <-> API server", List.of(candidate.apiLink()));
  }

  /** controller ↔ its API server cut both ways. */
  static Fault partitionControllerFromApi(ClusterNode cluster) {
    return links("partition " + cluster.name() + " controller <-> API server", List.of(cluster.controller().apiLink()));
  }

  /** controller ↔ the lock store (every etcd member, or the one store server / hub API server) cut both ways. */
  static Fault partitionControllerFromEtcd(ClusterNode cluster) {
    return links("partition " + cluster.name() + " controller <-> lock store", cluster.controller().storeLinks());
  }

  /** A whole cluster cut off: its controller from the lock store and every candidate from its API server. */
  static Fault isolateCluster(ClusterNode cluster) {
    List<TcpProxy> all = new java.util.ArrayList<>(cluster.controller().storeLinks());
    cluster.candidates().forEach(c -> all.add(c.apiLink()));
    all.add(cluster.controller().apiLink());
    return links("isolate cluster " + cluster.name(), all);
  }

  /** Added one-way latency on the controller's lock-store links. */
  static Fault slowEtcdLinks(ClusterNode cluster, Duration oneWay) {
    return simple("latency " + oneWay.toMillis() + "ms on " + cluster.name() + " controller <-> lock store",
        () -> cluster.controller().storeLinks().forEach(p -> p.latency(oneWay)),
        () -> cluster.controller().storeLinks().forEach(TcpProxy::heal));
  }

  /**
   * The lock store's answers to the controller are held, not lost (a stuck buffer), while its requests still arrive:
   * the store keeps the controller's session alive while the controller's heldUntil lapses, and on heal the held
   * answers arrive late. They must not revive what lapsed (docs/protocol.md, lost lock).
   */
  static Fault holdStoreAnswers(ClusterNode cluster) {
    return simple("hold lock-store answers to " + cluster.name() + " controller",
        () -> cluster.controller().storeLinks().forEach(TcpProxy::stallDownstream),
        () -> cluster.controller().storeLinks().forEach(TcpProxy::heal));
  }

  /** Candidate's election thread frozen (as SIGSTOP), then resumed. */
  static Fault pauseCandidate(CandidateNode candidate) {
    return simple("pause " + candidate, candidate::pause, candidate::resume);
  }

  /** Candidate process killed (no release), then started again as a new process. */
  static Fault killCandidate(CandidateNode candidate) {
    return simple("kill " + candidate, candidate::kill, candidate::start);
  }

  /** Candidate leaves gracefully (releaseOnCancel), then campaigns again. */
  static Fault releaseCandidate(CandidateNode candidate) {
    return simple("release " + candidate, candidate::release, candidate::start);
  }

  /** Controller process killed (no release: its backend session expires after G), then restarted. */
  static Fault killController(ClusterNode cluster) {
    return simple("kill " + cluster.name() + " controller", cluster.controller()::kill, cluster.controller()::start);
  }

  /** A whole cluster lost: controller and candidates killed, then all restarted. */
  static Fault loseCluster(ClusterNode cluster) {
    return simple("lose cluster " + cluster.name(), () -> {
      cluster.candidates().forEach(CandidateNode::kill);
      cluster.controller().kill();
    }, () -> {
      cluster.controller().start();
      cluster.candidates().forEach(CandidateNode::start);
    });
  }

  /** etcd members stopped (SIGTERM), then started with their data. Two of three = quorum loss. */
  static Fault stopEtcdMembers(Fleet fleet, List<Integer> members) {
    return simple("stop etcd member(s) " + members, () -> members.forEach(fleet.etcd()::stopMember),
        () -> members.forEach(fleet.etcd()::startMember));
  }

  /**
   * The lock store crashes and comes back with its data: PostgreSQL {@code -m immediate} then start, ZooKeeper
   * stopped then restarted, dynalite or fake-gcs-server SIGKILLed then started, every etcd member SIGKILLed then
   * started. The embedded
   * hub of the kubernetes backend keeps its objects in memory and cannot restart, so for it the hub's API server
   * becomes unreachable for every controller instead (all their hub links black-holed), then reachable again.
   */
  static Fault restartStore(Fleet fleet) {
    var store = fleet.store();
    if (!store.restartable()) {
      List<TcpProxy> all = new java.util.ArrayList<>();
      fleet.clusters().forEach(c -> all.addAll(c.controller().storeLinks()));
      return links("lock store (" + store.kind() + ") unreachable for every controller", all);
    }
    return simple("kill and restart the lock store (" + store.kind() + ")", store::kill, store::restart);
  }

  /** etcd member SIGKILLed, then started again. */
  static Fault killEtcdMember(Fleet fleet, int member) {
    return simple("kill etcd member " + member, () -> fleet.etcd().killMember(member),
        () -> fleet.etcd().startMember(member));
  }

  /** A candidate's wall clock jumps by {@code offset} (the lock must not care). */
  static Fault skewCandidateClock(CandidateNode candidate, Duration offset) {
    return simple("skew " + candidate + " wall clock by " + offset,
        () -> candidate.clock().skew(offset), () -> candidate.clock().skew(Duration.ZERO));
  }

  /** A controller's wall clock jumps by {@code offset}. */
  static Fault skewControllerClock(ClusterNode cluster, Duration offset) {
    return simple("skew " + cluster.name() + " controller wall clock by " + offset,
        () -> cluster.controller().clock().skew(offset), () -> cluster.controller().clock().skew(Duration.ZERO));
  }

  /** A candidate's clocks run at {@code rate} times real speed (rate drift, bounded by the safety margin). */
  static Fault driftCandidateClock(CandidateNode candidate, double rate) {
    return simple("candidate " + candidate + " clock rate x" + rate, () -> {
      candidate.clock().rate(rate);
      candidate.nanoTime().rate(rate);
    }, () -> {
      candidate.clock().rate(1.0);
      candidate.nanoTime().rate(1.0);
    });
  }

  private static Fault links(String description, List<TcpProxy> proxies) {
    return simple(description, () -> proxies.forEach(TcpProxy::partition), () -> proxies.forEach(TcpProxy::heal));
  }

  /** A fault from two actions. */
  static Fault simple(String description, Runnable inject, Runnable heal) {
    return new Fault() {
      @Override
      public String description() {
        return description;
      }

      @Override
      public void inject() {
        inject.run();
      }

      @Override
      public void heal() {
        heal.run();
      }

      @Override
      public String toString() {
        return description;
      }
    };
  }
}
