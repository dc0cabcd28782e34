package dev.mclease.bench.sut;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * MultiClusterLease as the testbed runs it: a {@link Fleet} of clusters of the fork's kind ({@link BenchClusters}:
 * real kube-apiservers, shared within the fork, the lease in the fleet's own namespace), one election controller per
 * cluster watching that namespace, a real etcd as the lock store, and fabric8 {@code LeaderElector}s on
 * {@code MultiClusterLeaseLock}s.
 */
public final class MclElectorate implements Electorate {

  private final Fleet fleet;
  private final LeaderEvents events = new LeaderEvents();
  private final List<Runnable> heals = new ArrayList<>();

  /** Builds and starts a fleet of {@code clusters} clusters with {@code candidatesPerCluster} candidates each. */
  public MclElectorate(int clusters, int candidatesPerCluster, String leaseName, Timings timings) {
    this(BenchClusters.fleet(leaseName).clusterCount(clusters).candidatesPerCluster(candidatesPerCluster)
        .timings(timings).build());
  }

  /** Wraps a built fleet and starts it. */
  public MclElectorate(Fleet fleet) {
    this.fleet = fleet;
    fleet.onLeadershipChange(c -> {
      if (c.isLeader()) {
        events.started(c.identity());
      }
    });
    fleet.start();
  }

  public Fleet fleet() {
    return fleet;
  }

  public LeaderEvents events() {
    return events;
  }

  @Override
  public String system() {
    return "mcl";
  }

  @Override
  public String awaitStableLeader(Duration quiet, Duration timeout) {
    synchronized (heals) {
      heals.forEach(Runnable::run);
      heals.clear();
    }
    fleet.clusters().forEach(n -> n.controller().start());
    fleet.candidates().forEach(c -> {
      if (!c.isRunning()) {
        c.apiLink().heal();
        c.start();
      }
    });
    return Waits.stableSingle(() -> fleet.leaders().stream().map(CandidateNode::identity).toList(), quiet, timeout,
        "MultiClusterLease leader");
  }

  @Override
  public CompletableFuture<LeaderEvents.Started> nextLeaderOtherThan(String identity) {
    return events.next(id -> !id.equals(identity));
  }

  @Override
  public void release(String identity) {
    fleet.candidate(identity).release();
  }

  /**
   * {@code CandidateNode.kill()} closes the {@code MultiClusterLeaseLock}, and closing the lock releases the local
   * candidacy (best effort) — a graceful exit, not a crash. So the candidate's link to its API server is cut
   * first: the release cannot reach the server, as when a process or node dies. Healed by {@link #restart}.
   */
  @Override
  public void crash(String identity) {
    CandidateNode c = fleet.candidate(identity);
    c.apiLink().partition();
    c.kill();
  }

  @Override
  public void restart(String identity) {
    CandidateNode c = fleet.candidate(identity);
    c.apiLink().heal();
    c.start();
  }

  /** Kills the election controller of the cluster where {@code identity} runs; restarted by the next wait. */
  public void killController(String identity) {
    fleet.cluster(fleet.candidate(identity).clusterName()).controller().kill();
  }

  @Override
  public AutoCloseable partitionLeader(String identity) {
    ClusterNode node = fleet.cluster(fleet.candidate(identity).clusterName());
    Fault fault = Fault.isolateCluster(node);
    fault.inject();
    Runnable heal = new Runnable() {
      private boolean done;

      @Override
      public synchronized void run() {
        if (!done) {
          done = true;
          fault.heal();
        }
      }
    };
    synchronized (heals) {
      heals.add(heal);
    }
    return heal::run;
  }

  @Override
  public void close() {
    fleet.close();
  }
}
