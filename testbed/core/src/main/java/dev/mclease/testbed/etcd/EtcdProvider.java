package dev.mclease.testbed.etcd;

import dev.mclease.testbed.cluster.Docker;
import dev.mclease.testbed.util.TempDirs;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs etcd for tests, choosing in this order:
 * <ol>
 *   <li>env {@code MCL_ETCD_ENDPOINTS} (comma-separated client URLs): an {@link #external} cluster;</li>
 *   <li>the {@code etcd} binary from env {@code MCL_ETCD_BINARY} or the {@code PATH} (Debian: {@code etcd-server}),
 *       as child processes on random loopback ports with temporary data directories;</li>
 *   <li>Testcontainers etcd containers when a Docker engine answers (image from env {@code MCL_ETCD_IMAGE});</li>
 *   <li>otherwise an {@link IllegalStateException} that says how to install etcd.</li>
 * </ol>
 * Clusters left open are closed by a JVM shutdown hook, so no etcd process outlives the test JVM.
 */
public final class EtcdProvider {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdProvider.class);
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<EtcdCluster> OPEN = ConcurrentHashMap.newKeySet();

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
      return startProcesses(binary, members);
    }
    if (Docker.available()) {
      return startContainers(members);
    }
    throw new IllegalStateException("No etcd available: install it (apt-get install etcd-server), or put an etcd "
        + "binary on PATH or in MCL_ETCD_BINARY, or point MCL_ETCD_ENDPOINTS at a running cluster, or start a "
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

  /** The etcd binary to use: env {@code MCL_ETCD_BINARY}, else {@code etcd} on the PATH, else null. */
  static String binary() {
    String env = System.getenv("MCL_ETCD_BINARY");
    if (env != null && !env.isBlank()) {
      return env;
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "etcd");
      if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  private static EtcdCluster startProcesses(String binary, int n) {
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
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      members.add(new ProcessEtcdMember(binary, "m" + i, dir, clientPorts[i], peerPorts[i],
          String.join(",", initial), token));
    }
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
