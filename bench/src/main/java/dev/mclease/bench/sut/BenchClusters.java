package dev.mclease.bench.sut;

import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.ClusterProvider;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.kube.KubeBinaries;
import java.util.Locale;

/**
 * Which API servers the benchmarks run on, for MultiClusterLease and the baseline alike, so that every ratio
 * compares like with like.
 *
 * <p>The kind is the system property {@value #PROPERTY} ({@code BenchMain} passes it to every fork), else env
 * {@code MCL_CLUSTER_PROVIDER}, else {@code auto}. Real {@code kube-apiserver} processes ({@code apiserver}) are the
 * only kind a bench runs on silently; where {@code auto} finds no binaries, {@link #kind()} throws (naming the
 * install step) instead of falling back to fabric8's mock server. The mock, or k3s, runs only when asked for by name,
 * and then says so on stderr.
 *
 * <p>On {@code apiserver}, both systems take their servers from {@link ApiServerClusterProvider#shared()}: started on
 * first use in the fork, kept for the whole trial (JMH forks one JVM per trial, so servers are per trial), killed when
 * the fork exits. Each fleet, and each baseline electorate, works in a namespace of its own.
 */
public final class BenchClusters {

  /** System property naming the cluster kind: {@code apiserver} (default where binaries exist), {@code embedded}, {@code k3s}. */
  public static final String PROPERTY = "mclease.bench.clusterKind";

  private static volatile String resolved;

  private BenchClusters() {
  }

  /**
   * The kind every system of this fork runs on.
   *
   * @throws IllegalStateException when no kind was asked for and no kube-apiserver binary exists: a bench does not
   *     silently measure a mock
   */
  public static String kind() {
    String k = resolved;
    if (k == null) {
      k = resolve(System.getProperty(PROPERTY));
      resolved = k;
    }
    return k;
  }

  /** {@link #kind()} for an explicit request ({@code null}, blank or {@code auto}: env, else the real server). */
  public static String resolve(String asked) {
    String a = asked == null || asked.isBlank() ? System.getenv("MCL_CLUSTER_PROVIDER") : asked;
    a = a == null || a.isBlank() ? "auto" : a.trim().toLowerCase(Locale.ROOT);
    if ("auto".equals(a)) {
      if (!KubeBinaries.available()) {
        throw new IllegalStateException("The benchmarks run on real kube-apiservers, and none was found. "
            + KubeBinaries.INSTALL_HINT + ". To measure fabric8's mock server instead, ask for it: "
            + "./mcl bench --cluster-kind embedded");
      }
      return ApiServerClusterProvider.KIND;
    }
    String k = ClusterProvider.resolve(a);
    if (!ApiServerClusterProvider.KIND.equals(k)) {
      System.err.println("[bench] WARNING: clusters are '" + k + "' as asked"
          + ("embedded".equals(k) ? " — fabric8's MOCK server in this JVM, not a real kube-apiserver: its figures are "
              + "evidence about the mock (no API-server CPU or memory of its own is measured)" : "") + ".");
    } else if (!KubeBinaries.available()) {
      throw new IllegalStateException("cluster kind 'apiserver' asked for, but " + KubeBinaries.INSTALL_HINT);
    }
    return k;
  }

  /** A fleet builder on this fork's kind, with a namespace of the fleet's own (see {@link Fleet#namespace()}). */
  public static Fleet.Builder fleet(String leaseName) {
    // a null namespace: the fleet picks a fresh one on shared API servers (and "default" on private ones)
    return Fleet.builder().clusterKind(kind()).lease(null, leaseName);
  }

  /**
   * One cluster for a baseline, named {@code name}: the fork's shared kube-apiserver of that name, or a private one of
   * another kind. Close the result when done.
   */
  public static Handle cluster(String name) {
    String k = kind();
    if (ApiServerClusterProvider.KIND.equals(k)) {
      return new Handle(null, ApiServerClusterProvider.shared().start(name));
    }
    ClusterProvider provider = ClusterProvider.create(k);
    return new Handle(provider, provider.start(name));
  }

  /** A cluster and, when it is private, the provider to close with it. */
  public record Handle(ClusterProvider provider, Cluster cluster) implements AutoCloseable {
    /** Closes a private provider; a shared kube-apiserver stays up for the rest of the fork. */
    @Override
    public void close() {
      if (provider != null) {
        provider.close();
      }
    }
  }
}
