package dev.mclease.testbed.chaos;

import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.CandidateProcess;
import dev.mclease.testbed.time.FakeTime;
import java.time.Duration;

/**
 * Faults on real processes, with signals, as production sees them: a kube-apiserver or an etcd member frozen
 * (SIGSTOP, then SIGCONT) keeps its connections open, so its clients hang until their own timeouts rather than fail
 * fast as they do behind a partitioned proxy; a SIGKILLed kube-apiserver drops every connection and its watches.
 * The fault catalogue is docs/features.md.
 */
public final class ProcessFaults {

  private static final Duration STORAGE_RESTART = Duration.ofSeconds(30);

  private ProcessFaults() {
  }

  /** The cluster's kube-apiserver frozen with SIGSTOP, then thawed: its candidates and controller hang on it. */
  public static Fault freezeApiServer(ClusterNode cluster) {
    ApiServerCluster api = ownApiServer(cluster);
    return Fault.simple("freeze " + cluster.name() + " kube-apiserver (SIGSTOP)", api::freeze, api::thaw);
  }

  /** The cluster's kube-apiserver SIGKILLed, then started again on its port with its storage. */
  public static Fault crashApiServer(ClusterNode cluster) {
    ApiServerCluster api = ownApiServer(cluster);
    return Fault.simple("kill " + cluster.name() + " kube-apiserver (SIGKILL), then restart it", api::kill,
        api::start);
  }

  /**
   * The etcd that stores the cluster's objects SIGKILLed, then started again with its data: its kube-apiserver keeps
   * running and keeps its clients' connections and watches, but can neither write nor read from storage, so
   * heartbeats and status writes fail while informers see nothing change. The cluster must have storage of its own
   * ({@code Fleet.Builder.ownStorage}).
   */
  public static Fault crashStorageEtcd(ClusterNode cluster) {
    ApiServerCluster api = ownApiServer(cluster);
    EtcdCluster etcd = api.ownStorage().orElseThrow(() -> new IllegalStateException("cluster " + cluster.name()
        + " stores into an etcd shared with the fleet's other clusters: build the fleet with ownStorage(true) (tag "
        + "the scenario @own-storage)"));
    return Fault.simple("kill the etcd of " + cluster.name() + "'s kube-apiserver (SIGKILL), then restart it",
        () -> etcd.killMember(0), () -> {
          etcd.startMember(0);
          etcd.awaitHealthy(STORAGE_RESTART);
        });
  }

  /** A member of the global etcd frozen with SIGSTOP, then thawed; frozen while raft leader, it stalls every write. */
  public static Fault freezeEtcdMember(Fleet fleet, int member) {
    return Fault.simple("freeze etcd member " + member + " (SIGSTOP)", () -> fleet.etcd().freezeMember(member),
        () -> fleet.etcd().thawMember(member));
  }

  /**
   * The cluster's controller process frozen with SIGSTOP, then thawed: its lock-store session stops being renewed
   * and expires after G while the process still believes it holds it; thawed, it must not echo from that belief.
   */
  public static Fault freezeController(ClusterNode cluster) {
    if (!cluster.controller().isProcess()) {
      throw new IllegalStateException("the controller of " + cluster.name() + " runs in this JVM: build the fleet "
          + "with controllerProcesses(true) (tag the scenario @controller-processes)");
    }
    return Fault.simple("freeze " + cluster.name() + " controller process (SIGSTOP)", cluster.controller()::freeze,
        cluster.controller()::thaw);
  }

  /** A candidate process (Go or Java) frozen with SIGSTOP, then thawed: a long GC pause. */
  public static Fault freezeCandidate(CandidateProcess candidate) {
    return Fault.simple("freeze " + candidate + " (SIGSTOP)", candidate::freeze, candidate::thaw);
  }

  /** A candidate process SIGKILLed (no release, no last word), then started again: a new incarnation. */
  public static Fault crashCandidate(CandidateProcess candidate) {
    return Fault.simple("kill " + candidate + " (SIGKILL), then restart it", candidate::kill, candidate::start);
  }

  /**
   * A Java candidate process's wall clock moved by {@code by} with libfaketime, its monotonic clock left alone; the
   * heal moves it back. The process must have been started on a fake wall clock.
   */
  public static Fault jumpWallClock(CandidateProcess candidate, Duration by) {
    FakeTime clock = candidate.fakeTime().orElseThrow(() -> new IllegalStateException(candidate
        + " runs on the real wall clock: start it with CandidateProcess.Options.fakeWallClock()"));
    return Fault.simple("move the wall clock of " + candidate + " by " + by + " (libfaketime)",
        () -> clock.jump(by), () -> clock.jump(by.negated()));
  }

  private static ApiServerCluster ownApiServer(ClusterNode cluster) {
    if (!(cluster.cluster() instanceof ApiServerCluster api)) {
      throw new IllegalStateException("cluster " + cluster.name() + " is not a kube-apiserver process ("
          + cluster.cluster().getClass().getSimpleName() + "): process faults need the real API servers");
    }
    if (api.isShared()) {
      throw new IllegalStateException("cluster " + cluster.name() + " is a shared API server that other fleets use: "
          + "build the fleet with ownClusters(true) (tag the scenario @own-clusters)");
    }
    return api;
  }
}
