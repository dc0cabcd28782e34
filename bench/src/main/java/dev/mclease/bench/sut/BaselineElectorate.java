package dev.mclease.bench.sut;

import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.fleet.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The baseline: {@code n} fabric8 {@code LeaderElector}s on one {@code coordination.k8s.io/v1} Lease of one API
 * server of the same kind the MultiClusterLease fleet runs on ({@link BenchClusters}: a real kube-apiserver), same
 * timings. The Lease lives in a namespace of this electorate's own.
 */
public final class BaselineElectorate implements Electorate {

  /** The baseline's cluster name (a kube-apiserver of its own, apart from the fleet's east/west/south). */
  public static final String CLUSTER = "baseline";

  private final BenchClusters.Handle handle;
  private final Cluster cluster;
  private final String namespace;
  private final LeaderEvents events = new LeaderEvents();
  private final List<BaselineCandidate> candidates = new ArrayList<>();

  /** Takes the fork's baseline cluster and {@code n} candidates on Lease {@code <fresh namespace>/leaseName}. */
  public BaselineElectorate(int n, String leaseName, Timings timings) {
    this.handle = BenchClusters.cluster(CLUSTER);
    this.cluster = handle.cluster();
    this.namespace = "baseline-" + UUID.randomUUID().toString().substring(0, 8);
    cluster.ensureNamespace(namespace);
    for (int i = 1; i <= n; i++) {
      candidates.add(new BaselineCandidate("baseline-" + i, cluster, namespace, leaseName, timings, events));
    }
  }

  /** The namespace of the Lease. */
  public String namespace() {
    return namespace;
  }

  /** The candidates' identities. */
  public List<String> identities() {
    return candidates.stream().map(BaselineCandidate::identity).toList();
  }

  public Cluster cluster() {
    return cluster;
  }

  public LeaderEvents events() {
    return events;
  }

  public BaselineElectorate start() {
    candidates.forEach(BaselineCandidate::start);
    return this;
  }

  @Override
  public String system() {
    return "baseline";
  }

  @Override
  public String awaitStableLeader(Duration quiet, Duration timeout) {
    candidates.forEach(c -> c.apiLink().heal());
    candidates.forEach(BaselineCandidate::start);
    return Waits.stableSingle(() -> candidates.stream().filter(BaselineCandidate::isLeading)
        .map(BaselineCandidate::identity).toList(), quiet, timeout, "baseline leader");
  }

  @Override
  public CompletableFuture<LeaderEvents.Started> nextLeaderOtherThan(String identity) {
    return events.next(id -> !id.equals(identity));
  }

  @Override
  public void release(String identity) {
    candidate(identity).release();
  }

  @Override
  public void crash(String identity) {
    candidate(identity).crash();
  }

  @Override
  public void restart(String identity) {
    candidate(identity).start();
  }

  @Override
  public AutoCloseable partitionLeader(String identity) {
    BaselineCandidate c = candidate(identity);
    c.apiLink().partition();
    return () -> c.apiLink().heal();
  }

  private BaselineCandidate candidate(String identity) {
    return candidates.stream().filter(c -> c.identity().equals(identity)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no baseline candidate " + identity));
  }

  @Override
  public void close() {
    candidates.forEach(BaselineCandidate::close);
    handle.close();
  }
}
