package dev.mclease.testbed.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mclease.controller.HealthServer;
import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.util.ChildProcesses;
import dev.mclease.testbed.util.TempDirs;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The alert rules of controller/deploy/prometheus/ in a real Prometheus (Debian's {@code prometheus}, its own
 * process on a free port, a temp dir, 1 s scrape and evaluation) that scrapes the /metrics of two live controllers
 * (HealthServer, as in the controller's main) of a testbed fleet on etcd. The lock store is cut off from both
 * controllers (their TCP proxies to etcd): {@code MCLeaseLockStoreUnreachable} fires for the cluster whose
 * controller holds the lease, and it resolves once the links heal. Skipped, naming the package, without prometheus.
 */
class AlertFiresIT {

  private static final Path RULES = Path.of("..", "..", "controller", "deploy", "prometheus", "alerts.yaml")
      .toAbsolutePath().normalize();
  private static final String ALERT = "MCLeaseLockStoreUnreachable";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void lockStoreUnreachableFiresWhileTheStoreIsCutAndResolvesAfter() throws Exception {
    Optional<Path> prometheus = findOnPath("MCL_PROMETHEUS", "prometheus");
    assumeTrue(prometheus.isPresent(), "prometheus is not installed: `apt-get install prometheus` (./mcl test "
        + "does) or set MCL_PROMETHEUS");
    assertThat(RULES).exists();
    Timings t = Timings.fast();
    Path dir = TempDirs.create("mclease-prometheus-");
    List<HealthServer> servers = new ArrayList<>();
    Process process = null;
    try (Fleet fleet = Fleet.builder().clusters("east", "west").candidatesPerCluster(1).timings(t).build().start()) {
      CandidateNode leader = await().atMost(fleet.firstLeaderBound()).pollInterval(Duration.ofMillis(20))
          .until(fleet::leader, Optional::isPresent).orElseThrow();
      List<String> targets = new ArrayList<>();
      for (ClusterNode c : fleet.clusters()) {
        ControllerNode node = c.controller();
        HealthServer server = new HealthServer(0, node::isRunning, node::isRunning, node.registry());
        servers.add(server);
        targets.add("'127.0.0.1:" + server.port() + "'");
      }
      int port = freePort();
      Files.writeString(dir.resolve("prometheus.yml"), """
          global:
            scrape_interval: 1s
            scrape_timeout: 900ms
            evaluation_interval: 1s
          rule_files:
            - '%s'
          scrape_configs:
            - job_name: mclease-controller
              static_configs:
                - targets: [%s]
          """.formatted(RULES, String.join(", ", targets)), StandardCharsets.UTF_8);
      process = new ProcessBuilder(prometheus.get().toString(),
          "--config.file=" + dir.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port)
          .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
      ChildProcesses.register(process);
      URI api = URI.create("http://127.0.0.1:" + port + "/api/v1/");
      Process p = process;

      // both controllers scraped, the rules loaded, nothing firing while the store answers
      await("both controllers scraped").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
          .ignoreExceptions().untilAsserted(() -> {
            assertThat(p.isAlive()).as("prometheus is running; its log:%n%s", log(dir)).isTrue();
            JsonNode up = get(api.resolve("query?query=up%7Bjob%3D%22mclease-controller%22%7D%3D%3D1"));
            assertThat(up.path("data").path("result").size()).isEqualTo(2);
            assertThat(get(api.resolve("rules")).toString()).contains(ALERT);
          });
      assertThat(firing(api)).noneMatch(a -> a.startsWith(ALERT));

      String cluster = leader.clusterName();
      try (FaultInjector injector = new FaultInjector(fleet.history())) {
        AutoCloseable cut = injector.inject(Fault.partitionControllerFromEtcd(fleet.cluster("east")));
        AutoCloseable cut2 = injector.inject(Fault.partitionControllerFromEtcd(fleet.cluster("west")));
        // the rule's for: 30s, plus scrape and evaluation intervals and the backend noticing (within G)
        await(ALERT + " firing for " + cluster).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(firing(api)).contains(ALERT + "{cluster=" + cluster + "}"));
        cut.close();
        cut2.close();
      }
      await(ALERT + " resolved").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(firing(api)).noneMatch(a -> a.startsWith(ALERT)));
    } finally {
      ChildProcesses.end(process, false, Duration.ofSeconds(10), "prometheus");
      servers.forEach(HealthServer::close);
      TempDirs.deleteRecursively(dir);
    }
  }

  /** The firing alerts as {@code name{cluster=...}} strings (cluster omitted when the alert has none). */
  private List<String> firing(URI api) throws IOException, InterruptedException {
    List<String> out = new ArrayList<>();
    for (JsonNode a : get(api.resolve("alerts")).path("data").path("alerts")) {
      if ("firing".equals(a.path("state").asText())) {
        JsonNode labels = a.path("labels");
        String c = labels.has("cluster") ? "{cluster=" + labels.path("cluster").asText() + "}" : "";
        out.add(labels.path("alertname").asText() + c);
      }
    }
    return out;
  }

  private JsonNode get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", uri, r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private static String log(Path dir) {
    try {
      return Files.readAllLines(dir.resolve("prometheus.log")).stream().collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Optional<Path> findOnPath(String env, String name) {
    String set = System.getenv(env);
    if (set != null && !set.isBlank()) {
      return Optional.of(Path.of(set)).filter(Files::isExecutable);
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return Optional.of(Path.of(d, name));
      }
    }
    return Optional.empty();
  }
}
