package dev.mclease.testbed.kube;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the real {@code kube-apiserver} and {@code etcd} binaries, and {@code kubectl}, are on this machine.
 *
 * <p>Each binary is looked up, in this order, in:
 * <ol>
 *   <li>{@code KUBEBUILDER_ASSETS}: a directory holding them, the envtest convention ({@code setup-envtest use}
 *       leaves kube-apiserver, etcd and kubectl there);</li>
 *   <li>{@code MCL_KUBE_APISERVER} / {@code MCL_ETCD} (for etcd also {@code MCL_ETCD_BINARY}) / {@code MCL_KUBECTL}:
 *       the binary itself;</li>
 *   <li>the per-machine cache that {@code ./mcl} builds them into from Kubernetes' own Go modules,
 *       {@code ${XDG_CACHE_HOME:-~/.cache}/mclease/kube-binaries/current/};</li>
 *   <li>the {@code PATH}.</li>
 * </ol>
 * A location that names a file which is not executable is skipped, so a stale variable does not hide the cache.
 */
public final class KubeBinaries {

  /** What to do when the binaries are missing; every refusal and test skip names it. */
  public static final String INSTALL_HINT = "kube-apiserver and etcd binaries not found: run ./mcl test (it builds "
      + "them once from Kubernetes' Go modules into ~/.cache/mclease/kube-binaries/current), or set "
      + "KUBEBUILDER_ASSETS to a setup-envtest directory, or MCL_KUBE_APISERVER and MCL_ETCD to the binaries";

  /** What to do when kubectl is missing; the tests that run it skip with this. */
  public static final String KUBECTL_HINT = "kubectl not found: run ./mcl test (it builds kubectl beside "
      + "kube-apiserver into ~/.cache/mclease/kube-binaries/current), or set MCL_KUBECTL to a kubectl binary, or "
      + "put one on the PATH";

  private final Path kubeApiServer;
  private final Path etcd;

  private KubeBinaries(Path kubeApiServer, Path etcd) {
    this.kubeApiServer = kubeApiServer;
    this.etcd = etcd;
  }

  /** Both binaries, when both are found. */
  public static Optional<KubeBinaries> find() {
    return find(System.getenv());
  }

  static Optional<KubeBinaries> find(Map<String, String> env) {
    Optional<Path> apiServer = first(candidates(env, "kube-apiserver", "MCL_KUBE_APISERVER"));
    Optional<Path> etcd = etcd(env);
    return apiServer.isPresent() && etcd.isPresent()
        ? Optional.of(new KubeBinaries(apiServer.get(), etcd.get())) : Optional.empty();
  }

  /** Whether both {@code kube-apiserver} and {@code etcd} are found. A few file checks; never throws. */
  public static boolean available() {
    return find().isPresent();
  }

  /**
   * Both binaries.
   *
   * @throws IllegalStateException naming the install step ({@link #INSTALL_HINT}) when one is missing
   */
  public static KubeBinaries require() {
    return find().orElseThrow(() -> new IllegalStateException(INSTALL_HINT));
  }

  /**
   * The etcd binary alone, by the same order ({@code MCL_ETCD} before {@code MCL_ETCD_BINARY}), so that the lock
   * store gets the etcd 3.6 built beside kube-apiserver in preference to an older one on the {@code PATH}.
   */
  public static Optional<Path> etcd() {
    return etcd(System.getenv());
  }

  static Optional<Path> etcd(Map<String, String> env) {
    // MCL_ETCD_BINARY is the older name the etcd provider already honoured; it ranks just after MCL_ETCD.
    return first(candidates(env, "etcd", "MCL_ETCD", "MCL_ETCD_BINARY"));
  }

  /**
   * The kubectl binary, by the same order: {@code KUBEBUILDER_ASSETS}, {@code MCL_KUBECTL}, the cache, the
   * {@code PATH}.
   */
  public static Optional<Path> kubectl() {
    return kubectl(System.getenv());
  }

  static Optional<Path> kubectl(Map<String, String> env) {
    return first(candidates(env, "kubectl", "MCL_KUBECTL"));
  }

  /** The per-machine cache directory {@code ./mcl} builds into (it may not exist). */
  public static Path cacheDir() {
    return cacheDir(System.getenv());
  }

  static Path cacheDir(Map<String, String> env) {
    String xdg = env.get("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("mclease").resolve("kube-binaries").resolve("current");
  }

  /** Candidates in lookup order: KUBEBUILDER_ASSETS, then each of {@code variables}, the cache, the PATH. */
  private static List<Path> candidates(Map<String, String> env, String binary, String... variables) {
    List<Path> c = new ArrayList<>();
    String assets = env.get("KUBEBUILDER_ASSETS");
    if (assets != null && !assets.isBlank()) {
      c.add(Path.of(assets, binary));
    }
    for (String variable : variables) {
      String direct = env.get(variable);
      if (direct != null && !direct.isBlank()) {
        c.add(Path.of(direct));
      }
    }
    c.add(cacheDir(env).resolve(binary));
    String path = env.get("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          c.add(Path.of(dir, binary));
        }
      }
    }
    return c;
  }

  private static Optional<Path> first(List<Path> candidates) {
    return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
  }

  /** The kube-apiserver binary. */
  public Path kubeApiServer() {
    return kubeApiServer;
  }

  /** The etcd binary that stores the API servers' objects. */
  public Path etcdBinary() {
    return etcd;
  }

  @Override
  public String toString() {
    return "kube-apiserver " + kubeApiServer + ", etcd " + etcd;
  }
}
