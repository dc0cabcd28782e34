package dev.mclease.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH's JSON result and the side results into {@code summary.json}, {@code report.md}, {@code latency.svg}
 * and (with a scale step) {@code scale.svg}: p50/p99 per scenario and system, every MultiClusterLease figure as a
 * ratio to the baseline measured in the same run, scale and cost tables, and the targets (reported, never
 * asserted).
 */
public final class ReportWriter {

  /** File names written into the output directory. */
  public static final String SUMMARY = "summary.json";
  public static final String REPORT = "report.md";
  public static final String PLOT = "latency.svg";
  public static final String SCALE_PLOT = "scale.svg";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Scenario order in tables and plot, and its human name. */
  static final Map<String, String> SCENARIOS = new LinkedHashMap<>();

  static {
    SCENARIOS.put("graceful_handover", "Graceful handover (releaseOnCancel)");
    SCENARIOS.put("candidate_crash", "Leader candidate crash");
    SCENARIOS.put("leader_partition", "Leader partitioned (MCL: its whole cluster)");
    SCENARIOS.put("controller_loss", "Leader cluster's controller lost");
    SCENARIOS.put("cold_start", "Cold start to first leader");
  }

  /** Which baseline scenario an MCL scenario is compared with (the baseline has no controller to lose). */
  static String baselineScenario(String scenario) {
    return "controller_loss".equals(scenario) ? "candidate_crash" : scenario;
  }

  private ReportWriter() {
  }

  /** One latency series: one scenario, timings and system. */
  public record Series(String scenario, String timings, String system, double[] samples) {
    public Stats stats() {
      return Stats.of(samples);
    }
  }

  /** Reads the inputs, writes the outputs into {@code outDir}, returns the summary. */
  public static JsonNode write(Path jmhJson, Path sideJsonl, Map<String, Object> run, Path outDir) {
    try {
      JsonNode jmh = Files.exists(jmhJson) ? JSON.readTree(jmhJson.toFile()) : JSON.createArrayNode();
      List<JsonNode> side = new ArrayList<>();
      if (Files.exists(sideJsonl)) {
        for (String line : Files.readAllLines(sideJsonl, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            side.add(JSON.readTree(line));
          }
        }
      }
      ObjectNode summary = summarize(jmh, side, run);
      Files.createDirectories(outDir);
      JSON.writeValue(outDir.resolve(SUMMARY).toFile(), summary);
      List<Series> series = latencySeries(jmh);
      Files.writeString(outDir.resolve(PLOT), SvgPlot.render(series, SCENARIOS), StandardCharsets.UTF_8);
      if (summary.path("scale").size() > 0) {
        Files.writeString(outDir.resolve(SCALE_PLOT), ScalePlot.render(ScalePlot.panels(summary)),
            StandardCharsets.UTF_8);
      }
      Files.writeString(outDir.resolve(REPORT), ReportMarkdown.markdown(summary), StandardCharsets.UTF_8);
      return summary;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the bench report into " + outDir, e);
    }
  }

  // ------------------------------------------------------------------------------------------ parsing

  /** Latency series from JMH's JSON (failover and cold-start benchmarks; samples in ms). */
  public static List<Series> latencySeries(JsonNode jmh) {
    Map<String, List<Double>> bySeries = new TreeMap<>();
    for (JsonNode r : jmh) {
      String scenario = scenarioOf(r.path("benchmark").asText());
      if (scenario == null) {
        continue;
      }
      String key = scenario + "|" + r.path("params").path("timings").asText("fast") + "|"
          + r.path("params").path("system").asText("mcl");
      List<Double> samples = bySeries.computeIfAbsent(key, k -> new ArrayList<>());
      double scale = toMillis(r.path("primaryMetric").path("scoreUnit").asText("ms/op"));
      for (JsonNode fork : r.path("primaryMetric").path("rawData")) {
        for (JsonNode v : fork) {
          samples.add(v.asDouble() * scale);
        }
      }
    }
    List<Series> out = new ArrayList<>();
    for (String scenario : SCENARIOS.keySet()) {
      for (Map.Entry<String, List<Double>> e : bySeries.entrySet()) {
        String[] k = e.getKey().split("\\|");
        if (k[0].equals(scenario)) {
          out.add(new Series(k[0], k[1], k[2], e.getValue().stream().mapToDouble(Double::doubleValue).toArray()));
        }
      }
    }
    return out;
  }

  static String scenarioOf(String benchmark) {
    String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
    switch (method) {
      case "gracefulHandover":
        return "graceful_handover";
      case "candidateCrash":
        return "candidate_crash";
      case "leaderPartition":
        return "leader_partition";
      case "controllerLoss":
        return "controller_loss";
      case "firstLeader":
        return "cold_start";
      default:
        return null;
    }
  }

  private static double toMillis(String unit) {
    if (unit.startsWith("s/")) {
      return 1000;
    }
    if (unit.startsWith("us/")) {
      return 1e-3;
    }
    if (unit.startsWith("ns/")) {
      return 1e-6;
    }
    return 1;
  }

  // ------------------------------------------------------------------------------------------ summary

  static ObjectNode summarize(JsonNode jmh, List<JsonNode> side, Map<String, Object> run) {
    ObjectNode s = JSON.createObjectNode();
    s.set("run", JSON.valueToTree(run));
    List<Series> series = latencySeries(jmh);
    ArrayNode latency = s.putArray("latency");
    for (Series mcl : series) {
      if (!"mcl".equals(mcl.system())) {
        continue;
      }
      String bScenario = baselineScenario(mcl.scenario());
      Series base = series.stream().filter(x -> x.system().equals("baseline") && x.scenario().equals(bScenario)
          && x.timings().equals(mcl.timings())).findFirst().orElse(null);
      ObjectNode row = latency.addObject();
      row.put("scenario", mcl.scenario());
      row.put("timings", mcl.timings());
      row.set("mcl", statsNode(mcl));
      row.put("baseline_scenario", bScenario);
      if (base != null) {
        row.set("baseline", statsNode(base));
        row.put("ratio_p50", Stats.ratio(mcl.stats().p50(), base.stats().p50()));
        row.put("ratio_p99", Stats.ratio(mcl.stats().p99(), base.stats().p99()));
      }
    }
    // baseline-only series (no MCL counterpart) are still listed
    for (Series b : series) {
      if ("baseline".equals(b.system()) && series.stream().noneMatch(x -> x.system().equals("mcl")
          && baselineScenario(x.scenario()).equals(b.scenario()) && x.timings().equals(b.timings()))) {
        ObjectNode row = latency.addObject();
        row.put("scenario", b.scenario());
        row.put("timings", b.timings());
        row.put("baseline_scenario", b.scenario());
        row.set("baseline", statsNode(b));
      }
    }
    ArrayNode scale = scale(jmh, side);
    Map<String, Map<String, List<Map<String, Double>>>> res = resources(side);
    for (JsonNode row : scale) {
      ObjectNode r = resourcesNode(res, "scale|" + row.path("leases").asInt());
      if (r.size() > 0) {
        ((ObjectNode) row).set("resources", r);
      }
    }
    s.set("scale", scale);
    s.set("scale_requests", ScaleRequests.of(side));
    s.set("scale_steady", ScaleSteady.of(side,
        (leases, system) -> resourcesNode(res, "scale_steady|" + leases).path(system)));
    ObjectNode first = JSON.createObjectNode();
    for (JsonNode l : side) {
      if ("scale".equals(l.path("bench").asText()) && "first_lease_ms".equals(l.path("metric").asText())) {
        first.put(l.path("params").path("system").asText(), l.path("value").asDouble());
      }
    }
    if (first.size() > 0) {
      s.set("scale_first_lease_ms", first);
    }
    ObjectNode cost = cost(side);
    ObjectNode costRes = resourcesNode(res, "cost|");
    if (costRes.size() > 0) {
      cost.set("resources", costRes);
    }
    s.set("cost", cost);
    s.set("api_latency", ApiLatency.of(jmh));
    s.set("targets", Targets.judge(s));
    return (ObjectNode) withoutNaN(s);
  }

  /** JSON has no NaN: missing figures become null. */
  static JsonNode withoutNaN(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String f : names) {
        JsonNode v = o.get(f);
        if (v.isNumber() && Double.isNaN(v.asDouble())) {
          o.putNull(f);
        } else {
          withoutNaN(v);
        }
      }
    } else if (n.isArray()) {
      for (JsonNode v : n) {
        withoutNaN(v);
      }
    }
    return n;
  }

  private static ObjectNode statsNode(Series x) {
    Stats st = x.stats();
    ObjectNode n = JSON.createObjectNode();
    n.put("n", st.n());
    n.put("p50_ms", st.p50());
    n.put("p90_ms", st.p90());
    n.put("p99_ms", st.p99());
    n.put("max_ms", st.max());
    n.put("mean_ms", st.mean());
    ArrayNode a = n.putArray("samples_ms");
    for (double v : x.samples()) {
      a.add(Math.round(v * 10) / 10.0);
    }
    return n;
  }

  private static ArrayNode scale(JsonNode jmh, List<JsonNode> side) {
    // leases -> system -> samples
    Map<Integer, Map<String, List<Double>>> led = new TreeMap<>();
    Map<Integer, Map<String, List<Double>>> heap = new TreeMap<>();
    Map<Integer, String> timings = new TreeMap<>();
    for (JsonNode r : jmh) {
      if (!r.path("benchmark").asText().endsWith(".allLed")) {
        continue;
      }
      int leases = r.path("params").path("leases").asInt();
      timings.put(leases, r.path("params").path("timings").asText());
      double scale = toMillis(r.path("primaryMetric").path("scoreUnit").asText("ms/op"));
      for (JsonNode fork : r.path("primaryMetric").path("rawData")) {
        for (JsonNode v : fork) {
          led.computeIfAbsent(leases, k -> new TreeMap<>())
              .computeIfAbsent(r.path("params").path("system").asText(), k -> new ArrayList<>())
              .add(v.asDouble() * scale);
        }
      }
    }
    Map<String, Double> incomplete = new TreeMap<>();
    for (JsonNode l : side) {
      if ("scale".equals(l.path("bench").asText()) && "led_at_timeout".equals(l.path("metric").asText())) {
        incomplete.put(l.path("params").path("leases").asInt() + "|" + l.path("params").path("system").asText(),
            l.path("value").asDouble());
      }
      if ("scale".equals(l.path("bench").asText()) && "heap_growth_mib".equals(l.path("metric").asText())) {
        int leases = l.path("params").path("leases").asInt();
        heap.computeIfAbsent(leases, k -> new TreeMap<>())
            .computeIfAbsent(l.path("params").path("system").asText(), k -> new ArrayList<>())
            .add(l.path("value").asDouble());
      }
    }
    ArrayNode out = JSON.createArrayNode();
    java.util.Set<Integer> all = new java.util.TreeSet<>(led.keySet());
    all.addAll(heap.keySet());
    for (int leases : all) {
      ObjectNode row = out.addObject();
      row.put("leases", leases);
      row.put("timings", timings.getOrDefault(leases, ""));
      double[] m = median(led, leases, "mcl");
      double[] b = median(led, leases, "baseline");
      double[] hm = median(heap, leases, "mcl");
      double[] hb = median(heap, leases, "baseline");
      row.put("mcl_all_led_ms", m[0]);
      row.put("mcl_samples", (int) m[1]);
      row.put("baseline_all_led_ms", b[0]);
      row.put("baseline_samples", (int) b[1]);
      row.put("ratio_all_led", Stats.ratio(m[0], b[0]));
      row.put("mcl_heap_growth_mib", hm[0]);
      row.put("baseline_heap_growth_mib", hb[0]);
      row.put("ratio_heap_growth", Stats.ratio(hm[0], hb[0]));
      for (String system : List.of("mcl", "baseline")) {
        Double partial = incomplete.get(leases + "|" + system);
        if (partial != null) {
          row.put(system + "_led_at_timeout", partial.intValue());
        }
      }
    }
    return out;
  }

  private static double[] median(Map<Integer, Map<String, List<Double>>> m, int leases, String system) {
    List<Double> v = m.getOrDefault(leases, Map.of()).getOrDefault(system, List.of());
    return new double[] {Stats.of(v.stream().mapToDouble(Double::doubleValue).toArray()).p50(), v.size()};
  }

  /**
   * The side results' CPU and memory windows ({@code bench = "resources"}): key ("scale|leases", "scale_steady|leases"
   * or "cost|") → system
   * → the windows in the order written, each its metrics. A fork writes a window's lines together, starting with
   * {@code window_ms}, so that line starts the next window.
   */
  static Map<String, Map<String, List<Map<String, Double>>>> resources(List<JsonNode> side) {
    Map<String, Map<String, List<Map<String, Double>>>> out = new TreeMap<>();
    for (JsonNode l : side) {
      if (!"resources".equals(l.path("bench").asText())) {
        continue;
      }
      JsonNode p = l.path("params");
      String of = p.path("of").asText();
      String key = of + "|" + (of.startsWith("scale") ? p.path("leases").asText() : "");
      List<Map<String, Double>> windows = out.computeIfAbsent(key, k -> new TreeMap<>())
          .computeIfAbsent(p.path("system").asText(), k -> new ArrayList<>());
      String metric = l.path("metric").asText();
      if (windows.isEmpty() || "window_ms".equals(metric)) {
        windows.add(new LinkedHashMap<>());
      }
      windows.get(windows.size() - 1).put(metric, l.path("value").asDouble());
    }
    return out;
  }

  /**
   * {system: {metric: value, ..., "windows": n}} for one key of {@link #resources}: the figures of one window, the one
   * of median length (nearest rank, so the shorter of two), never medians of each figure taken apart (they would mix
   * windows: the CPU of one with the memory of another).
   */
  private static ObjectNode resourcesNode(Map<String, Map<String, List<Map<String, Double>>>> res, String key) {
    ObjectNode out = JSON.createObjectNode();
    for (String system : List.of("mcl", "baseline")) {
      List<Map<String, Double>> windows = res.getOrDefault(key, Map.of()).get(system);
      if (windows == null || windows.isEmpty()) {
        continue;
      }
      double p50 = Stats.of(windows.stream().mapToDouble(w -> w.getOrDefault("window_ms", 0.0)).toArray()).p50();
      Map<String, Double> median = windows.stream().filter(w -> w.getOrDefault("window_ms", 0.0) == p50)
          .findFirst().orElse(windows.get(0));
      ObjectNode n = out.putObject(system);
      median.forEach(n::put);
      n.put("windows", windows.size());
    }
    return out;
  }

  private static ObjectNode cost(List<JsonNode> side) {
    ObjectNode out = JSON.createObjectNode();
    Map<String, Map<String, Double>> bySystem = new TreeMap<>();
    Map<String, Double> etcdByMethod = new TreeMap<>();
    String timings = "";
    for (JsonNode l : side) {
      if (!"cost".equals(l.path("bench").asText())) {
        continue;
      }
      timings = l.path("params").path("timings").asText();
      String metric = l.path("metric").asText();
      if (l.path("params").has("etcd_method")) {
        etcdByMethod.put(l.path("params").path("etcd_method").asText(), l.path("value").asDouble());
      } else {
        bySystem.computeIfAbsent(l.path("params").path("system").asText(), k -> new TreeMap<>())
            .put(metric, l.path("value").asDouble());
      }
    }
    out.put("timings", timings);
    out.set("mcl", JSON.valueToTree(bySystem.getOrDefault("mcl", Map.of())));
    out.set("baseline", JSON.valueToTree(bySystem.getOrDefault("baseline", Map.of())));
    out.set("etcd_requests_per_controller_minute_by_method", JSON.valueToTree(etcdByMethod));
    ObjectNode ratios = out.putObject("ratios");
    for (String metric : List.of("api_writes_per_candidate_minute", "candidate_writes_per_candidate_minute")) {
      ratios.put(metric, Stats.ratio(bySystem.getOrDefault("mcl", Map.of()).getOrDefault(metric, Double.NaN),
          bySystem.getOrDefault("baseline", Map.of()).getOrDefault(metric, Double.NaN)));
    }
    return out;
  }

  /** The heap target of the largest scale run (MiB, not ms); see {@link Targets}. */
  static final String HEAP_TARGET = Targets.HEAP_TARGET;

  // ------------------------------------------------------------------------------------------ markdown
}
