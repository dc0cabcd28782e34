package dev.mclease.testbed.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.client.CandidateRunner;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.cluster.RoleGrants;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.util.Ports;
import dev.mclease.testbed.util.TempDirs;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's container image as {@code ./mcl image} builds it (controller/image/, an OCI archive), checked as
 * far as machines without a container runtime allow:
 *
 * <ol>
 *   <li>the archive: one image whose every blob matches its digest and size, configured as controller/Dockerfile
 *       says (entrypoint, user, working directory, port, labels) and as controller/deploy/deployment.yaml expects
 *       (the image name it runs, its runAsUser and containerPort); its sizes are reported;</li>
 *   <li>the image's entrypoint, started from the unpacked root filesystem ({@link RootfsContainer}: namespaces, a
 *       read-only root, user 65532 without capabilities) against a real kube-apiserver with the controller's
 *       ServiceAccount token where the kubelet puts it, the RBAC of controller/deploy, and a real etcd as the global
 *       lock store: it becomes ready, elects a live candidate with a fencing token that is the etcd key's revision,
 *       and on SIGTERM releases the lock and exits within the pod's grace period.</li>
 * </ol>
 * Skipped, saying why, without the archive ({@code ./mcl image}), without root, or without kube-apiserver and etcd.
 */
class ControllerImageIT {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerImageIT.class);
  private static final Path ROOT = Path.of("..", "..").toAbsolutePath().normalize();
  private static final Path DEPLOY = ROOT.resolve("controller/deploy");
  private static final Path RUN_ROOTFS = ROOT.resolve("controller/image/run-rootfs.sh");
  private static final Path REPORT = Path.of("target", "controller-image.txt").toAbsolutePath();
  private static final String SYSTEM_NS = "mclease-system";
  private static final String CONTROLLER_SA = "mclease-controller";
  private static final String CLUSTER = "image";
  private static final String KEY_PREFIX = "/mclease/leases";
  private static final String LEASE = "image-smoke";
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  private static OciArchive archive;

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Opens the archive when there is one; without it each test skips, naming the way to build it. */
  @BeforeAll
  static void openArchive() throws IOException {
    Files.deleteIfExists(REPORT);
    if (Files.isRegularFile(archivePath())) {
      archive = OciArchive.open(archivePath());
      reportSizes();
    } else {
      LOG.warn("{}", noArchive());
    }
  }

  private static String noArchive() {
    return "no OCI archive at " + archivePath() + ": run ./mcl image (./mcl test does)";
  }

  @AfterAll
  static void closeArchive() {
    if (archive != null) {
      archive.close();
    }
  }

  /** {@code -Dmclease.image.archive}, env {@code MCL_IMAGE_ARCHIVE}, else where {@code ./mcl image} writes it. */
  private static Path archivePath() {
    String set = System.getProperty("mclease.image.archive", System.getenv("MCL_IMAGE_ARCHIVE"));
    return set != null && !set.isBlank() ? Path.of(set).toAbsolutePath()
        : ROOT.resolve("controller/target/mclease-controller-oci.tar");
  }

  @Test
  void theArchiveHoldsOneImageConfiguredAsTheDockerfileAndTheDeploymentSay() throws IOException {
    assumeTrue(archive != null, noArchive());
    ImageConfig image = archive.imageConfig();
    Dockerfile dockerfile = Dockerfile.read(ROOT.resolve("controller/Dockerfile"));
    assertThat(archive.config().path("os").asText()).isEqualTo("linux");
    assertThat(archive.config().path("architecture").asText()).isNotBlank();

    // what controller/Dockerfile says, and the values docs/deploy.md states
    assertThat(image.entrypoint()).isEqualTo(dockerfile.entrypoint()).containsExactly("java",
        "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/mclease-controller.jar");
    assertThat(image.cmd()).isEmpty();
    assertThat(image.user()).isEqualTo(dockerfile.user()).isEqualTo("65532:65532");
    assertThat(image.workingDir()).isEqualTo(dockerfile.workdir()).isEqualTo("/app");
    assertThat(image.exposedPorts()).containsExactlyInAnyOrderElementsOf(dockerfile.exposedPorts())
        .containsExactly("8080/tcp");
    assertThat(image.environment()).containsKey("PATH");
    assertThat(image.environment().get("PATH")).contains("/usr/bin");
    Map<String, String> fixed = new LinkedHashMap<>(dockerfile.labels());
    fixed.remove("org.opencontainers.image.source"); // build.sh names the clone's remote when it has one
    assertThat(image.labels()).containsAllEntriesOf(fixed)
        .containsEntry("org.opencontainers.image.title", "mclease-controller")
        .containsEntry("org.opencontainers.image.licenses", "Apache-2.0")
        .containsKeys("org.opencontainers.image.source", "org.opencontainers.image.version",
            "org.opencontainers.image.revision", "org.opencontainers.image.created");
    assertThat(image.labels().get("org.opencontainers.image.version")).isNotBlank();

    // what the Deployment expects of the image it runs
    Deployment deployment = K8S.unmarshal(Files.readString(DEPLOY.resolve("deployment.yaml")), Deployment.class);
    Container c = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(archive.indexAnnotation("org.opencontainers.image.ref.name")).as("the name podman and skopeo give it")
        .isEqualTo(c.getImage());
    assertThat(archive.indexAnnotation("io.containerd.image.name")).as("the name ctr import and kind load give it")
        .isEqualTo(c.getImage());
    assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser())
        .isEqualTo(Long.parseLong(image.user().split(":")[0]));
    assertThat(c.getPorts()).allSatisfy(p -> assertThat(image.exposedPorts()).contains(p.getContainerPort() + "/tcp"));
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("MCL_HTTP_PORT");
      assertThat(image.exposedPorts()).contains(e.getValue() + "/tcp");
    });

    // two layers: the Debian base, the jar on it
    assertThat(archive.layers()).hasSize(2)
        .allSatisfy(l -> assertThat(l.mediaType()).isEqualTo(OciArchive.LAYER_GZIP));
  }

  @Test
  void theEntrypointFromTheUnpackedRootfsBecomesReadyElectsAndReleasesOnSigterm() throws Exception {
    assumeTrue(archive != null, noArchive());
    assumeTrue(isRoot(), "not root: starting the image's root filesystem needs root (mount namespaces, chroot)");
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    ImageConfig image = archive.imageConfig();
    Path work = TempDirs.create("mclease-image-it-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Timings t = Timings.fast();
    try (ApiServerClusterProvider provider = new ApiServerClusterProvider(); EtcdCluster etcd = EtcdProvider.start(1);
        Client etcdClient = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
      ApiServerCluster cluster = provider.start(CLUSTER);
      Path serviceAccount = serviceAccountFiles(cluster, work.resolve("serviceaccount"));
      String ns = RoleGrants.freshNamespace(cluster);
      Path rootfs = unpack(work.resolve("rootfs"));
      int port = Ports.free();
      URI base = URI.create("http://127.0.0.1:" + port);
      try (RootfsContainer c = RootfsContainer.start(RUN_ROOTFS, rootfs, serviceAccount, image,
          containerEnvironment(image, cluster, etcd, ns, port, t), work.resolve("controller.log"))) {
        try {
          ProcessHandle pid1 = awaitPid1AsTheImagesUser(c);
          awaitReady(c, base);
          try (CandidateRunner candidate = candidate(cluster, ns, t)) {
            awaitElected(c, cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName(LEASE),
                candidate, etcdClient);
            assertThat(get(base.resolve("/metrics"))).contains("mclease_leases_held{cluster=\"" + CLUSTER + "\"} 1.0");
            stopAsTheKubeletDoes(c, pid1, etcdClient);
          }
        } finally {
          LOG.info("output of the controller in the image (last lines):\n{}", c.logTail(30));
        }
      }
    } finally {
      // never across a file system boundary: the container's mounts went with its namespace, but be sure
      OciArchive.run(List.of("rm", "-rf", "--one-file-system", work.toString()));
    }
  }

  /** Name, version and revision of the image, and its sizes: the archive, the layers compressed and as tars. */
  private static void reportSizes() throws IOException {
    Map<String, String> labels = archive.imageConfig().labels();
    long compressed = archive.layers().stream().mapToLong(OciArchive.Layer::size).sum();
    long uncompressed = archive.layers().stream().mapToLong(OciArchive.Layer::uncompressedSize).sum();
    report(String.format("controller image %s (%s, revision %s)%n  archive %s: %,d bytes%n"
        + "  layers (gzip): %s = %,d bytes%n  layers (tar): %s = %,d bytes%n",
        archive.indexAnnotation("org.opencontainers.image.ref.name"), labels.get("org.opencontainers.image.version"),
        labels.get("org.opencontainers.image.revision"), archive.path(), Files.size(archive.path()),
        archive.layers().stream().map(l -> String.format("%,d", l.size())).toList(), compressed,
        archive.layers().stream().map(l -> String.format("%,d", l.uncompressedSize())).toList(), uncompressed));
  }

  private static Path unpack(Path rootfs) throws IOException {
    long t0 = System.nanoTime();
    archive.unpack(rootfs);
    report(String.format("  unpacked root filesystem: %,d bytes (du), in %d ms%n", du(rootfs),
        (System.nanoTime() - t0) / 1_000_000));
    return rootfs;
  }

  /** PID 1 of the container runs the image's java, as the image's user, with no capability and no way to gain one. */
  private static ProcessHandle awaitPid1AsTheImagesUser(RootfsContainer c) {
    ProcessHandle pid1 = await("the entrypoint running").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          assertThat(c.isRunning()).as("the container runs; its output:%n%s", c.logTail(40)).isTrue();
          return c.pid1("java");
        }, Optional::isPresent).orElseThrow();
    assertThat(RootfsContainer.statusField(pid1, "Uid")).isEqualTo("65532\t65532\t65532\t65532");
    assertThat(RootfsContainer.statusField(pid1, "Gid")).isEqualTo("65532\t65532\t65532\t65532");
    assertThat(RootfsContainer.statusField(pid1, "Groups")).isEmpty();
    assertThat(RootfsContainer.statusField(pid1, "CapEff")).isEqualTo("0000000000000000");
    assertThat(RootfsContainer.statusField(pid1, "NoNewPrivs")).isEqualTo("1");
    return pid1;
  }

  /** The Deployment's probes: /readyz once the informers synced with the real API server, as the ServiceAccount. */
  private static void awaitReady(RootfsContainer c, URI base) throws IOException, InterruptedException {
    await("/readyz").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .ignoreException(java.net.ConnectException.class).untilAsserted(() -> {
          assertThat(c.isRunning()).as("the container runs; its output:%n%s", c.logTail(40)).isTrue();
          assertThat(get(base.resolve("/readyz"))).isEqualTo("200 ok\n");
        });
    assertThat(get(base.resolve("/healthz"))).isEqualTo("200 ok\n");
  }

  /** A live candidate pod-1 for ns/image-smoke, heartbeating with the controller's timings; started. */
  private static CandidateRunner candidate(ApiServerCluster cluster, String ns, Timings t) {
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, LEASE, "pod-1").leaseDuration(t.leaseDuration())
        .renewDeadline(t.renewDeadline()).retryPeriod(t.retryPeriod()).build();
    CandidateRunner runner = CandidateRunner.builder(cluster.client(), lock).build();
    runner.start();
    return runner;
  }

  /** The controller in the image confirms pod-1, with the etcd lock's revision as fencing token. */
  private static void awaitElected(RootfsContainer c, Resource<MultiClusterLease> lease, CandidateRunner candidate,
      Client etcd) {
    await("pod-1 elected").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().untilAsserted(() -> {
          assertThat(c.isRunning()).as("the container runs; its output:%n%s", c.logTail(40)).isTrue();
          MultiClusterLeaseStatus s = lease.get().getStatus();
          assertThat(s.getLeader()).isEqualTo("pod-1");
          assertThat(s.getLeaderCluster()).isEqualTo(CLUSTER);
          assertThat(s.getFencingToken()).isPositive();
          assertThat(s.condition(Conditions.LEADER).orElseThrow().getStatus()).isEqualTo(Conditions.TRUE);
          List<KeyValue> keys = keys(etcd);
          assertThat(keys).hasSize(1);
          assertThat(keys.get(0).getCreateRevision()).as("the token is the etcd key's revision")
              .isEqualTo(s.getFencingToken());
          assertThat(keys.get(0).getValue().toString(StandardCharsets.UTF_8)).contains(CLUSTER);
          assertThat(candidate.isLeader()).as("the candidate counts itself leader").isTrue();
        });
  }

  /** SIGTERM to PID 1: the lock released once safe (not left to expire), the process gone within the grace period. */
  private static void stopAsTheKubeletDoes(RootfsContainer c, ProcessHandle pid1, Client etcd) throws Exception {
    long grace = K8S.unmarshal(Files.readString(DEPLOY.resolve("deployment.yaml")), Deployment.class).getSpec()
        .getTemplate().getSpec().getTerminationGracePeriodSeconds();
    long stop = System.nanoTime();
    pid1.destroy();
    Optional<Integer> exit = c.awaitExit(Duration.ofSeconds(grace));
    assertThat(exit).as("exited within the grace period of %d s; output:%n%s", grace, c.logTail(40)).isPresent();
    report(String.format("  from the root filesystem: ready, pod-1 elected; SIGTERM to exit (code %d) in %d ms%n",
        exit.get(), (System.nanoTime() - stop) / 1_000_000));
    assertThat(keys(etcd)).as("the lock released before the exit").isEmpty();
    assertThat(c.logText()).contains("shutting down: releasing held locks");
  }

  /** token, ca.crt and namespace of ServiceAccount mclease-system/mclease-controller, bound as in controller/deploy. */
  private static Path serviceAccountFiles(ApiServerCluster cluster, Path dir) throws IOException {
    for (String file : List.of("namespace.yaml", "serviceaccount.yaml", "clusterrole-controller.yaml",
        "clusterrolebinding-controller.yaml")) {
      HasMetadata r = K8S.unmarshal(Files.readString(DEPLOY.resolve(file)));
      cluster.client().resource(r).forceConflicts().serverSideApply();
    }
    Files.createDirectories(dir);
    // the kubelet's defaultMode 0644: the image's user 65532 reads what root wrote
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(dir.resolve("token"), cluster.tokenFor(SYSTEM_NS, CONTROLLER_SA));
    Files.writeString(dir.resolve("ca.crt"), cluster.pki().caPem());
    Files.writeString(dir.resolve("namespace"), SYSTEM_NS);
    for (String f : List.of("token", "ca.crt", "namespace")) {
      Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
    }
    // the authorizer learns of the binding from its informers: a moment after the apply
    var asController = cluster.clientAs(SYSTEM_NS, CONTROLLER_SA);
    await("the ClusterRoleBinding in force").atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> asController.resources(MultiClusterLease.class).inAnyNamespace().list() != null);
    return dir;
  }

  /**
   * What the container would get in a pod: the image's Env, the ConfigMap of controller/deploy (envFrom) with this
   * testbed's cluster name, etcd and namespace, the Deployment's MCL_HTTP_PORT (a free port: the host's network is
   * shared), the Service variables the kubelet sets, and short timings so that a test run stays short.
   */
  private static Map<String, String> containerEnvironment(ImageConfig image, ApiServerCluster cluster,
      EtcdCluster etcd, String ns, int port, Timings t) throws IOException {
    Map<String, String> env = new LinkedHashMap<>(image.environment());
    ConfigMap config = K8S.unmarshal(Files.readString(DEPLOY.resolve("config.yaml")), ConfigMap.class);
    env.putAll(config.getData());
    env.put("HOSTNAME", "mclease-controller");
    env.put("KUBERNETES_SERVICE_HOST", cluster.apiServer().getHost());
    env.put("KUBERNETES_SERVICE_PORT", Integer.toString(cluster.apiServer().getPort()));
    env.put("MCL_CLUSTER_NAME", CLUSTER);
    env.put("MCL_ETCD_ENDPOINTS", String.join(",", etcd.endpoints()));
    env.put("MCL_NAMESPACES", ns);
    env.put("MCL_HTTP_PORT", Integer.toString(port));
    env.put("MCL_BACKEND_TTL", t.backendTtl().toMillis() + "ms");
    env.put("MCL_BACKEND_RENEW_INTERVAL", t.backendRenewInterval().toMillis() + "ms");
    env.put("MCL_CANDIDATE_RENEW_DEADLINE", t.renewDeadline().toMillis() + "ms");
    env.put("MCL_CANDIDATE_RETRY_PERIOD", t.retryPeriod().toMillis() + "ms");
    env.put("MCL_SAFETY_MARGIN", t.safetyMargin().toMillis() + "ms");
    return env;
  }

  private static List<KeyValue> keys(Client etcd) throws Exception {
    return etcd.getKVClient().get(ByteSequence.from(KEY_PREFIX + "/", StandardCharsets.UTF_8),
        GetOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS).getKvs();
  }

  /** {@code "<status> <body>"} of a GET. */
  private static String get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static long du(Path dir) throws IOException {
    Process p = new ProcessBuilder("du", "-sb", dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return Long.parseLong(out.split("\\s+")[0]);
  }

  /** Logs {@code text} and appends it to target/controller-image.txt, the size report of the last run. */
  private static synchronized void report(String text) throws IOException {
    LOG.info("{}", text.stripTrailing());
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }
}
