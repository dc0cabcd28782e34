package dev.mclease.bench.sut;

import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import dev.mclease.testbed.fleet.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The baseline: {@code n} fabric8 {@code LeaderElector}s on one {@code coordination.k8s.io/v1} Lease of one
 * embedded API server (the same server implementation the MultiClusterLease fleet runs on), same timings.
 */
public final class BaselineElectorate implements Electorate {

  private final ClusterProvider provider;
  private final Cluster cluster;
  private final LeaderEvents events = new LeaderEvents();
  private final List<BaselineCandidate> candidates = new ArrayList<>();

  /** Starts a cluster of its own and {@code n} candidates on Lease {@code default/leaseName}. */
  public BaselineElectorate(int n, String leaseName, Timings timings) {
    this.provider = ClusterProvider.create("embedded");
    this.cluster = provider.start("baseline");
    for (int i = 1; i <= n; i++) {
      candidates.add(new BaselineCandidate("baseline-" + i, cluster, "default", leaseName, timings, events));
    }
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
    provider.close();
  }
}
