package dev.mclease.testbed.etcd;

import dev.mclease.testbed.cluster.Docker;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.util.Ports;
import dev.mclease.testbed.util.TempDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs etcd for tests, choosing in this order:
 * <ol>
 *   <li>env {@code MCL_ETCD_ENDPOINTS} (comma-separated client URLs): an {@link #external} cluster;</li>
 *   <li>the {@code etcd} binary ({@link #binary()}: env {@code MCL_ETCD_BINARY}, else the etcd that {@code ./mcl}
 *       builds beside kube-apiserver — {@link KubeBinaries#etcd()} — else the {@code PATH}, e.g. Debian's
 *       {@code etcd-server} 3.4), as child processes on random loopback ports with temporary data directories;</li>
 *   <li>Testcontainers etcd containers when a Docker engine answers (image from env {@code MCL_ETCD_IMAGE});</li>
 *   <li>otherwise an {@link IllegalStateException} that says how to install etcd.</li>
 * </ol>
 * Clusters left open are closed by a JVM shutdown hook, so no etcd process outlives the test JVM.
 */
public final class EtcdProvider {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdProvider.class);
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<EtcdCluster> OPEN = ConcurrentHashMap.newKeySet();
  private static final Map<String, String> VERSIONS = new ConcurrentHashMap<>();
  private static final Pattern VERSION = Pattern.compile("Version: (\\d+)\\.(\\d+)");

  /**
   * Raft timing of a lock-store cluster, scaled to the testbed's fast timings. A crash of the raft leader stalls every
   * write and session keep-alive until a new leader is elected, one to two election timeouts: 1.0–1.6 s at etcd's
   * defaults (100 ms / 1000 ms), 0.65 s at these (measured on loopback). A controller echoes only within
   * {@code G − M − D} of its last renewal, 1.0 s at the fast timings, so at etcd's defaults the crash of the leader
   * member ended leadership in about one run of five (docs/tuning.md, "The lock store's own failover"). Ten heartbeats
   * per election timeout, as etcd recommends.
   */
  static final List<String> LOCK_STORE_RAFT = List.of("--heartbeat-interval=50", "--election-timeout=500");

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(EtcdCluster::close),
        "mclease-etcd-cleanup"));
  }

  private EtcdProvider() {
  }

  /**
   * Starts an etcd cluster of {@code members} members and waits until all are healthy.
   *
   * @throws IllegalStateException when no way to run etcd is available (the message says how to get one)
   */
  public static EtcdCluster start(int members) {
    if (members < 1) {
      throw new IllegalArgumentException("An etcd cluster needs at least 1 member, got " + members);
    }
    String external = System.getenv("MCL_ETCD_ENDPOINTS");
    if (external != null && !external.isBlank()) {
      return external(Arrays.stream(external.split(",")).map(String::trim).filter(s -> !s.isEmpty())
          .collect(Collectors.toList()));
    }
    String binary = binary();
    if (binary != null) {
      return startProcesses(binary, members, LOCK_STORE_RAFT);
    }
    if (Docker.available()) {
      return startContainers(members);
    }
    throw new IllegalStateException("No etcd available: run ./mcl test (it builds etcd 3.6 into "
        + "~/.cache/mclease/kube-binaries), or install it (apt-get install etcd-server), or put an etcd binary on PATH "
        + "or in MCL_ETCD_BINARY, or point MCL_ETCD_ENDPOINTS at a running cluster, or start a "
        + "Docker engine");
  }

  /** An etcd cluster run by someone else; its members cannot be stopped or started and close() leaves it alone. */
  public static EtcdCluster external(List<String> endpoints) {
    if (endpoints == null || endpoints.isEmpty()) {
      throw new IllegalArgumentException("No etcd endpoints given");
    }
    List<EtcdMember> members = endpoints.stream().map(ExternalEtcdMember::new).collect(Collectors.toList());
    return new EtcdCluster(members, null, () -> { });
  }

  /**
   * Starts an etcd cluster of {@code members} child processes from the local binary, whatever
   * {@code MCL_ETCD_ENDPOINTS} says: for the storage of the testbed's own API servers, which must never be the
   * lock store under test.
   *
   * @param unsafeNoFsync pass {@code --unsafe-no-fsync} (etcd 3.5 and later; ignored for older ones): data is
   *     still written, only not flushed to disk, which survives a killed process but not a crashed machine
   * @throws IllegalStateException when there is no etcd binary
   */
  public static EtcdCluster startLocal(int members, boolean unsafeNoFsync) {
    String binary = binary();
    if (binary == null) {
      throw new IllegalStateException("No etcd binary: " + KubeBinaries.INSTALL_HINT);
    }
    List<String> extra = unsafeNoFsync && supportsNoFsync(binary) ? List.of("--unsafe-no-fsync=true") : List.of();
    return startProcesses(binary, members, extra);
  }

  /**
   * The etcd binary to use, or null: env {@code MCL_ETCD_BINARY}, else {@link KubeBinaries#etcd()} (which prefers
   * the etcd 3.6 built by {@code ./mcl}, see {@code ~/.cache/mclease/kube-binaries}, and falls back to the
   * {@code PATH}, e.g. Debian's 3.4).
   */
  public static String binary() {
    String env = System.getenv("MCL_ETCD_BINARY");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return KubeBinaries.etcd().map(Path::toString).orElse(null);
  }

  /** {@code etcd --version}'s first line, e.g. {@code etcd Version: 3.6.5}; cached per binary. */
  public static String version(String binary) {
    return VERSIONS.computeIfAbsent(binary, b -> {
      try {
        Process p = new ProcessBuilder(b, "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().findFirst().orElse("").trim();
      } catch (IOException e) {
        return "";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "";
      }
    });
  }

  private static boolean supportsNoFsync(String binary) {
    Matcher m = VERSION.matcher(version(binary));
    return m.find() && (Integer.parseInt(m.group(1)) > 3 || Integer.parseInt(m.group(2)) >= 5);
  }

  private static EtcdCluster startProcesses(String binary, int n, List<String> extraArgs) {
    Path base = TempDirs.create("mclease-etcd-");
    String token = "mclease-" + UUID.randomUUID();
    int[] clientPorts = new int[n];
    int[] peerPorts = new int[n];
    List<String> initial = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      clientPorts[i] = Ports.free();
      peerPorts[i] = Ports.free();
      initial.add("m" + i + "=" + ProcessEtcdMember.peerUrl(peerPorts[i]));
    }
    List<EtcdMember> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Path dir = base.resolve("m" + i);
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      members.add(new ProcessEtcdMember(binary, "m" + i, dir, clientPorts[i], peerPorts[i],
          String.join(",", initial), token, extraArgs));
    }
    LOG.info("etcd from {} ({})", binary, version(binary));
    return launch(members, base);
  }

  @SuppressWarnings("resource")
  private static EtcdCluster startContainers(int n) {
    String env = System.getenv("MCL_ETCD_IMAGE");
    DockerImageName image = DockerImageName.parse(env == null || env.isBlank()
        ? ContainerEtcdMember.DEFAULT_IMAGE : env);
    Network network = Network.newNetwork();
    String token = "mclease-" + UUID.randomUUID();
    List<String> initial = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      initial.add("etcd" + i + "=http://etcd" + i + ":2380");
    }
    List<EtcdMember> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(new ContainerEtcdMember(image, network, "etcd" + i, String.join(",", initial), token));
    }
    EtcdCluster cluster = launch(members, null);
    return cluster;
  }

  private static EtcdCluster launch(List<EtcdMember> members, Path base) {
    EtcdCluster[] self = new EtcdCluster[1];
    EtcdCluster cluster = new EtcdCluster(members, base, () -> OPEN.remove(self[0]));
    self[0] = cluster;
    OPEN.add(cluster);
    try {
      // Members of a new cluster wait for each other's peer connections, so start them all before waiting.
      List<Thread> starters = new ArrayList<>();
      List<RuntimeException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (EtcdMember m : members) {
        Thread t = new Thread(() -> {
          try {
            m.start();
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }, "etcd-start-" + m);
        t.start();
        starters.add(t);
      }
      for (Thread t : starters) {
        t.join();
      }
      if (!failures.isEmpty()) {
        throw failures.get(0);
      }
      cluster.awaitHealthy(HEALTHY_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cluster.close();
      throw new IllegalStateException("Interrupted while starting etcd", e);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    LOG.info("etcd cluster of {} member(s) healthy at {}", members.size(), cluster.endpoints());
    return cluster;
  }
}
