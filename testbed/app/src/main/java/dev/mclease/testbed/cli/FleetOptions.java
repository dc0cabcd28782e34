package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.LockStore;
import dev.mclease.testbed.fleet.Timings;
import picocli.CommandLine.Option;

/** Options shared by every command that brings up a fleet. */
final class FleetOptions {

  @Option(names = "--clusters", defaultValue = "3", description = "Number of clusters (default: ${DEFAULT-VALUE}).")
  int clusters;

  @Option(names = "--etcd-members", defaultValue = "1", description = "etcd members, 1 or 3 (default: ${DEFAULT-VALUE}).")
  int etcdMembers;

  @Option(names = "--cluster-kind", defaultValue = "auto", paramLabel = "<kind>",
      description = "apiserver (real kube-apiserver processes, built by ./mcl), embedded (fabric8's mock server, a "
          + "fallback), k3s (Testcontainers, needs a Docker engine) or auto: apiserver where the binaries exist, else "
          + "k3s where Docker answers, else embedded (default: ${DEFAULT-VALUE}).")
  String clusterKind;

  @Option(names = "--k3s", description = "Same as --cluster-kind k3s.")
  boolean k3s;

  @Option(names = "--timings", defaultValue = "fast",
      description = "fast (L=2s D=1.5s R=0.2s G=3s) or default (L=15s D=10s R=2s G=15s). Default: ${DEFAULT-VALUE}.")
  String timings;

  @Option(names = "--backend", defaultValue = "etcd", paramLabel = "<store>",
      description = "Global lock store the controllers contend in (default: ${DEFAULT-VALUE}): etcd (members started"
          + " here, see --etcd-members), postgres (a throw-away PostgreSQL server; Debian package postgresql),"
          + " zookeeper (an in-process ZooKeeper server), dynamodb (the dynalite emulator; node, cached in"
          + " .mcl/dynalite), gcs (the fake-gcs-server emulator, built by ./mcl from its Go module) or kubernetes"
          + " (Leases in an extra cluster named 'hub', of the same kind).")
  String backend;

  /** The options that shape the fleet, as a command line: a printed replay line brings up the same fleet. */
  String asArguments() {
    return "--clusters " + clusters + " --etcd-members " + etcdMembers + " --cluster-kind " + (k3s ? "k3s" : clusterKind)
        + " --timings " + timings + " --backend " + backend;
  }

  Timings timings() {
    return switch (timings) {
      case "fast" -> Timings.fast();
      case "default" -> Timings.defaults();
      default -> throw new IllegalArgumentException("--timings must be 'fast' or 'default', not '" + timings + "'");
    };
  }

  Fleet.Builder builder(int candidatesPerCluster) {
    if (!LockStore.KINDS.contains(backend)) {
      throw new IllegalArgumentException("--backend must be one of " + String.join(", ", LockStore.KINDS)
          + ", not '" + backend + "'");
    }
    if (clusters < 1 || clusters > 9) {
      throw new IllegalArgumentException("--clusters must be between 1 and 9, not " + clusters);
    }
    if (etcdMembers != 1 && etcdMembers != 3) {
      throw new IllegalArgumentException("--etcd-members must be 1 or 3, not " + etcdMembers);
    }
    return Fleet.builder()
        .clusterCount(clusters)
        .etcdMembers(etcdMembers)
        .clusterKind(k3s ? "k3s" : clusterKind)
        // the one fleet of this process: the lease people look for with kubectl, not a fleet-unique namespace
        .lease("default", "demo")
        .backend(backend)
        .candidatesPerCluster(candidatesPerCluster)
        .timings(timings());
  }
}
