package dev.mclease.testbed.soak;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a soak runs: {@code histories} seeds from {@code firstSeed} on, for each lock store of {@code backends}, each
 * on a fresh fleet of 3 clusters with one candidate each and fast timings.
 *
 * @param histories seeds per lock store
 * @param firstSeed the first seed; seed {@code firstSeed + i} is the i-th history of every store
 * @param backends the lock stores, each run with every seed
 * @param parallel how many histories run at once
 * @param storeOutages whether the schedules may stop or kill the lock store
 * @param clusterKind apiserver (real kube-apiservers), embedded or k3s
 * @param out where report.md, report.json and failing histories go
 */
public record SoakPlan(int histories, long firstSeed, List<String> backends, int parallel, boolean storeOutages,
    String clusterKind, String out) {

  /** The features' soak seeds started here, far from the outlines' (1 to 108); the soak keeps them. */
  public static final long FIRST_SEED = 1000;

  public SoakPlan {
    backends = List.copyOf(backends);
    if (histories < 1 || parallel < 1 || backends.isEmpty()) {
      throw new IllegalArgumentException("a soak needs at least one history, one store and --parallel >= 1; got "
          + histories + " histories, stores " + backends + ", parallel " + parallel);
    }
  }

  /** Where the report and kept histories go. */
  public Path outDir() {
    return Path.of(out);
  }

  /**
   * etcd members of the history with {@code seed}: every fifth etcd history runs on 3 members (as the features'
   * outlines do), the others on 1; other stores have no members to count and say 1.
   */
  public static int members(String backend, long seed) {
    return "etcd".equals(backend) && seed % 5 == 0 ? 3 : 1;
  }

  /** The command that runs the history of {@code seed} on {@code backend} again, alone. */
  public String replay(long seed, String backend) {
    List<String> words = new ArrayList<>(List.of("./mcl", "soak", "--histories", "1", "--seed", Long.toString(seed),
        "--backend", backend, "--cluster-kind", clusterKind));
    if (!storeOutages) {
      words.add("--no-store-outages");
    }
    return String.join(" ", words);
  }
}
