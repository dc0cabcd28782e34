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
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH's JSON result and the side results into {@code summary.json}, {@code report.md} and
 * {@code latency.svg}: p50/p99 per scenario and system, every MultiClusterLease figure as a ratio to the
 * baseline measured in the same run, scale and cost tables, and the targets (reported, never asserted).
 */
public final class ReportWriter {

  /** File names written into the output directory. */
  public static final String SUMMARY = "summary.json";
  public static final String REPORT = "report.md";
  public static final String PLOT = "latency.svg";

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

  /** Reads the inputs, writes the three outputs into {@code outDir}, returns the summary. */
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
      Files.writeString(outDir.resolve(REPORT), markdown(summary), StandardCharsets.UTF_8);
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
    s.set("targets", targets(s, run));
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
   * The side results' CPU and memory windows ({@code bench = "resources"}): key ("scale|leases" or "cost|") → system
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
      String key = of + "|" + ("scale".equals(of) ? p.path("leases").asText() : "");
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

  private static ArrayNode targets(ObjectNode s, Map<String, Object> run) {
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode row : s.path("latency")) {
      if (!row.has("mcl")) {
        continue;
      }
      String scenario = row.path("scenario").asText();
      String timings = row.path("timings").asText();
      double p99 = row.path("mcl").path("p99_ms").asDouble();
      if ("graceful_handover".equals(scenario)) {
        target(out, "graceful handover p99 <= 300 ms (" + timings + ")", p99, 300);
        if (row.has("baseline")) {
          target(out, "graceful handover p99 no slower than the baseline's (" + timings + ")", p99,
              row.path("baseline").path("p99_ms").asDouble());
        }
      }
      if ("candidate_crash".equals(scenario)) {
        double leaseMs = "defaults".equals(timings) ? 15000 : 2000;
        target(out, "crash failover p99 <= leaseDuration + 1 s (" + timings + ")", p99, leaseMs + 1000);
      }
    }
    boolean thousand = false;
    for (JsonNode row : s.path("scale")) {
      if (row.path("leases").asInt() == 1000) {
        thousand = true;
        target(out, "1000 leases all led <= 10 s" + (row.has("mcl_led_at_timeout") ? " (not all led before the "
            + "bench's cap)" : ""), row.path("mcl_all_led_ms").asDouble(), 10000);
        ObjectNode heap = target(out, HEAP_TARGET, row.path("mcl_heap_growth_mib").asDouble(), 256);
        heap.put("unit", "MiB");
      }
    }
    if (!thousand) {
      ObjectNode t = out.addObject();
      t.put("target", "1000 leases all led <= 10 s: not measured in this run (full mode only)");
      t.putNull("value_ms");
      t.put("limit_ms", 10000);
      t.putNull("met");
    }
    return out;
  }

  /** The heap target of the 1000-lease run; its value and limit are MiB (the row's {@code unit}), not ms. */
  static final String HEAP_TARGET = "1000 leases: heap growth <= 256 MiB (controllers + candidates, one JVM)";

  private static ObjectNode target(ArrayNode out, String what, double value, double limit) {
    ObjectNode t = out.addObject();
    t.put("target", what);
    t.put("value_ms", value);
    t.put("limit_ms", limit);
    t.put("met", !Double.isNaN(value) && value <= limit);
    return t;
  }

  // ------------------------------------------------------------------------------------------ markdown

  static String markdown(JsonNode s) {
    StringBuilder md = new StringBuilder();
    JsonNode run = s.path("run");
    md.append("# MultiClusterLease benchmarks\n\n");
    md.append("Generated by `./mcl bench").append(run.path("quick").asBoolean() ? " --quick" : "")
        .append("` (bench/, JMH ").append(run.path("jmh").asText("1.37")).append(").\n\n");
    md.append("| run | |\n|---|---|\n");
    run.fields().forEachRemaining(e -> md.append("| ").append(e.getKey()).append(" | ")
        .append(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()).append(" |\n"));
    md.append("\nEvery MultiClusterLease (MCL) figure is divided by the same figure of the **baseline**: fabric8's own "
        + "single-cluster `LeaseLock` + `LeaderElector` on the same kind of API server (")
        .append(serverKind(run)).append("), same timings, measured in the same run. Ratio > 1 = MCL slower/costlier. "
        + "Percentiles are nearest-rank, so with fewer than 100 samples p99 is the slowest sample.\n\n");
    md.append("Timings: `fast` = L=2s D=1.5s R=0.2s, G=3s K=0.3s M=0.5s (`Timings.fast()`); `defaults` = "
        + "L=15s D=10s R=2s, G=20s K=2s M=2s (`Timings.defaults()`).\n\n");

    md.append("## Failover latency (ms)\n\n");
    md.append("| scenario | timings | MCL n | MCL p50 | MCL p99 | baseline (scenario) | base n | base p50 | base p99 "
        + "| ratio p50 | ratio p99 |\n|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for (JsonNode r : s.path("latency")) {
      JsonNode m = r.path("mcl");
      JsonNode b = r.path("baseline");
      md.append("| ").append(SCENARIOS.getOrDefault(r.path("scenario").asText(), r.path("scenario").asText()))
          .append(" | ").append(r.path("timings").asText())
          .append(" | ").append(m.isMissingNode() ? "" : m.path("n").asInt())
          .append(" | ").append(num(m.path("p50_ms"))).append(" | ").append(num(m.path("p99_ms")))
          .append(" | ").append(r.path("baseline_scenario").asText().replace('_', ' '))
          .append(" | ").append(b.isMissingNode() ? "" : b.path("n").asInt())
          .append(" | ").append(num(b.path("p50_ms"))).append(" | ").append(num(b.path("p99_ms")))
          .append(" | ").append(ratio(r.path("ratio_p50"))).append(" | ").append(ratio(r.path("ratio_p99")))
          .append(" |\n");
    }
    md.append("\n![latency distribution](").append(PLOT).append(")\n\n");

    md.append("## Scale: leases per controller until all are led\n\n");
    md.append("| leases | timings | MCL all led (ms) | baseline all led (ms) | ratio | MCL heap growth (MiB) "
        + "| baseline heap growth (MiB) | ratio |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (JsonNode r : s.path("scale")) {
      md.append("| ").append(r.path("leases").asInt()).append(" | ").append(r.path("timings").asText())
          .append(" | ").append(led(r, "mcl")).append(" | ").append(led(r, "baseline"))
          .append(" | ").append(ratio(r.path("ratio_all_led")))
          .append(" | ").append(num1(r.path("mcl_heap_growth_mib"))).append(" | ")
          .append(num1(r.path("baseline_heap_growth_mib"))).append(" | ").append(ratio(r.path("ratio_heap_growth")))
          .append(" |\n");
    }
    md.append("\nHeap growth = used heap after a full GC with all leases led minus just before; one JVM holds the "
        + "candidates and (MCL) the controllers")
        .append("embedded".equals(run.path("cluster_kind").asText()) ? " and the mock API servers" : "")
        .append(", so it bounds the controller's heap from above.");
    JsonNode first = s.path("scale_first_lease_ms");
    if (first.size() > 0) {
      md.append(" Before its first measured operation each scale trial leads one priming lease (not measured above); "
          + "it took ").append(num(first.path("mcl"))).append(" ms for MCL and ").append(num(first.path("baseline")))
          .append(" ms for the baseline (last trial of each).");
    }
    md.append("\n\n");
    resourcesSection(md, s);

    JsonNode c = s.path("cost");
    md.append("## Cost in steady state (timings ").append(c.path("timings").asText()).append(")\n\n");
    md.append("| per | MCL | baseline | ratio |\n|---|---:|---:|---:|\n");
    costRow(md, c, "api_writes_per_candidate_minute", "API writes per active candidate-minute (all writers)");
    costRow(md, c, "candidate_writes_per_candidate_minute", "… of which by candidates (spec / Lease)");
    costRow(md, c, "controller_writes_per_candidate_minute", "… of which by controllers (status echo)");
    costRow(md, c, "backend_requests_per_controller_minute", "etcd requests per controller-minute");
    costRow(md, c, "echoes_per_controller_minute", "echoes per controller-minute (controller metric)");
    if (c.path("etcd_requests_per_controller_minute_by_method").size() > 0) {
      md.append("\netcd requests per controller-minute by gRPC method: ");
      List<String> parts = new ArrayList<>();
      c.path("etcd_requests_per_controller_minute_by_method").fields()
          .forEachRemaining(e -> parts.add(e.getKey() + " " + num1(e.getValue())));
      md.append(String.join(", ", parts)).append(".\n");
    }

    md.append("\n## Targets (reported, not asserted)\n\n| target | measured | limit | met |\n"
        + "|---|---:|---:|---|\n");
    for (JsonNode t : s.path("targets")) {
      String unit = t.path("unit").asText("ms");
      boolean mib = "MiB".equals(unit);
      String value = mib ? num1(t.path("value_ms")) : num(t.path("value_ms"));
      md.append("| ").append(t.path("target").asText()).append(" | ").append(value.isEmpty() ? "" : value + " " + unit)
          .append(" | ").append(num(t.path("limit_ms"))).append(" ").append(unit).append(" | ")
          .append(t.path("met").isNull() ? "not measured" : t.path("met").asBoolean() ? "yes" : "**no**")
          .append(" |\n");
    }
    md.append("\nWhat each benchmark measures: see docs/performance.md and the Javadoc of "
        + "`bench/src/main/java/dev/mclease/bench/*Bench.java`. Raw data: `jmh-result.json` (JMH), `side.jsonl`, "
        + "`summary.json`.\n");
    return md.toString();
  }

  /** What the API servers were, for the report's prose. */
  static String serverKind(JsonNode run) {
    String kind = run.path("cluster_kind").asText("");
    switch (kind) {
      case "apiserver":
        return "real `kube-apiserver` processes" + (run.has("api_server")
            ? ": " + run.path("api_server").asText().replaceFirst(",.*", "") : "");
      case "embedded":
        return "**fabric8's embedded mock server**, not a real API server";
      case "":
        return "the kind is not recorded in this run";
      default:
        return kind;
    }
  }

  /** Roles of {@code ResourceMeter}, their column names. */
  private static final Map<String, String> ROLE_NAMES = new LinkedHashMap<>();

  static {
    ROLE_NAMES.put("jvm", "ours (bench JVM)");
    ROLE_NAMES.put("apiserver", "kube-apiserver(s)");
    ROLE_NAMES.put("apiserver_etcd", "their etcd");
    ROLE_NAMES.put("lock_etcd", "lock-store etcd");
  }

  /** CPU and memory of ours (the JVM) beside the API servers', for scale and cost. */
  static void resourcesSection(StringBuilder md, JsonNode s) {
    boolean anyScale = false;
    for (JsonNode r : s.path("scale")) {
      anyScale |= r.has("resources");
    }
    JsonNode costRes = s.path("cost").path("resources");
    if (!anyScale && costRes.isMissingNode()) {
      return;
    }
    md.append("## CPU and memory: ours and the API server's\n\n");
    md.append("CPU = user + system time of each process over the measured window; RSS at the window's end. "
        + "\"Ours\" is the bench JVM: candidates and (MCL) the election controllers, or (baseline) fabric8's "
        + "electors. The kube-apiservers are the system's own processes (MCL: 3 clusters, baseline: 1), \"their etcd\" "
        + "the etcd they store into; MCL alone has the lock-store etcd. "
        + "API-server share = (kube-apiservers + their etcd) / all CPU of the window. Of several windows, the one "
        + "of median length (nearest rank: the shorter of two) is shown, all its figures together.")
        .append("embedded".equals(s.path("run").path("cluster_kind").asText())
            ? " **On this run's embedded mock the API servers run inside the JVM: \"ours\" includes them.**" : "")
        .append("\n\n");
    if (anyScale) {
      md.append("Scale (window = start of the candidates to all led), CPU in ms:\n\n| leases | system | window (ms) ");
      ROLE_NAMES.values().forEach(n -> md.append("| CPU ").append(n).append(" "));
      md.append("| API-server share | RSS ours (MiB) | RSS kube-apiserver(s) (MiB) | their RSS growth (MiB) "
          + "| RSS their etcd (MiB) |\n|---:|---|---:");
      ROLE_NAMES.forEach((k, v) -> md.append("|---:"));
      md.append("|---:|---:|---:|---:|---:|\n");
      for (JsonNode r : s.path("scale")) {
        for (String system : List.of("mcl", "baseline")) {
          JsonNode x = r.path("resources").path(system);
          if (x.isMissingNode()) {
            continue;
          }
          md.append("| ").append(r.path("leases").asInt()).append(" | ").append(system).append(" | ")
              .append(num(x.path("window_ms")));
          ROLE_NAMES.keySet().forEach(role -> md.append(" | ").append(num(x.path(role + "_cpu_ms"))));
          md.append(" | ").append(share(x, "_cpu_ms")).append(" | ").append(num(x.path("jvm_rss_mib")))
              .append(" | ").append(num(x.path("apiserver_rss_mib")))
              .append(" | ").append(num1(x.path("apiserver_rss_growth_mib")))
              .append(" | ").append(num(x.path("apiserver_etcd_rss_mib"))).append(" |\n");
        }
      }
      md.append("\n");
    }
    if (!costRes.isMissingNode()) {
      md.append("Steady state (cost window), CPU in millicores (CPU-ms per second):\n\n| system | window (s) ");
      ROLE_NAMES.values().forEach(n -> md.append("| CPU ").append(n).append(" "));
      md.append("| API-server share | RSS ours (MiB) | RSS kube-apiserver(s) (MiB) | RSS their etcd (MiB) "
          + "|\n|---|---:");
      ROLE_NAMES.forEach((k, v) -> md.append("|---:"));
      md.append("|---:|---:|---:|---:|\n");
      for (String system : List.of("mcl", "baseline")) {
        JsonNode x = costRes.path(system);
        if (x.isMissingNode()) {
          continue;
        }
        md.append("| ").append(system).append(" | ").append(num(JSON.getNodeFactory()
            .numberNode(x.path("window_ms").asDouble() / 1000)));
        ROLE_NAMES.keySet().forEach(role -> md.append(" | ").append(num(x.path(role + "_millicores"))));
        md.append(" | ").append(share(x, "_millicores")).append(" | ").append(num(x.path("jvm_rss_mib")))
            .append(" | ").append(num(x.path("apiserver_rss_mib")))
            .append(" | ").append(num(x.path("apiserver_etcd_rss_mib"))).append(" |\n");
      }
      md.append("\n");
    }
  }

  /** (kube-apiservers + their etcd) / all measured CPU (metrics ending in {@code suffix}), as a percentage; blank without API-server processes. */
  static String share(JsonNode x, String suffix) {
    if (!x.has("apiserver" + suffix)) {
      return "";
    }
    double server = x.path("apiserver" + suffix).asDouble() + x.path("apiserver_etcd" + suffix).asDouble();
    double all = server + x.path("jvm" + suffix).asDouble() + x.path("lock_etcd" + suffix).asDouble();
    return all <= 0 ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * server / all);
  }

  private static String led(JsonNode row, String system) {
    String ms = num(row.path(system + "_all_led_ms"));
    JsonNode partial = row.path(system + "_led_at_timeout");
    return partial.isMissingNode() ? ms
        : "> " + ms + " (only " + partial.asInt() + "/" + row.path("leases").asInt() + " led)";
  }

  private static void costRow(StringBuilder md, JsonNode c, String metric, String label) {
    JsonNode m = c.path("mcl").path(metric);
    JsonNode b = c.path("baseline").path(metric);
    if (m.isMissingNode() && b.isMissingNode()) {
      return;
    }
    md.append("| ").append(label).append(" | ").append(num1(m)).append(" | ")
        .append(b.isMissingNode() ? (metric.contains("controller_minute") ? "n/a (no second store)" : "")
            : num1(b))
        .append(" | ").append(m.isMissingNode() || b.isMissingNode() ? ""
            : ratio(JSON.getNodeFactory().numberNode(Stats.ratio(m.asDouble(), b.asDouble()))))
        .append(" |\n");
  }

  static String num(JsonNode n) {
    if (n.isMissingNode() || n.isNull() || Double.isNaN(n.asDouble())) {
      return "";
    }
    return String.format(Locale.ROOT, "%.0f", n.asDouble());
  }

  static String num1(JsonNode n) {
    if (n.isMissingNode() || n.isNull() || Double.isNaN(n.asDouble())) {
      return "";
    }
    return String.format(Locale.ROOT, "%.1f", n.asDouble());
  }

  static String ratio(JsonNode n) {
    if (n.isMissingNode() || n.isNull() || Double.isNaN(n.asDouble())) {
      return "";
    }
    return String.format(Locale.ROOT, "%.2f×", n.asDouble());
  }
}
