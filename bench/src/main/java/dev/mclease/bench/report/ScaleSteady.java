package dev.mclease.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The scale bench's steady state (bench {@code scale_steady}: a window after all N leases are led, every candidate
 * still ticking): what a led lease costs per minute once nothing is being created, and whether the machine keeps up
 * with N of them. One row per lease count and system; each figure the median of its samples, the CPU that of one
 * window (the one of median length, as everywhere in the report).
 */
final class ScaleSteady {

  /** The verbs that write; refused writes (409) count too: the API server did the work of answering them. */
  static final List<String> WRITE_VERBS = List.of("post", "put", "patch", "patch_status", "delete");
  private static final String PREFIX = "requests_per_lease_minute_";

  private ScaleSteady() {
  }

  /**
   * Rows {@code {leases, system, window_s, led_fraction_at_end, writes_per_lease_minute, requests_per_lease_minute,
   * requests_per_lease_minute_by_verb, resources}}, by lease count, MCL first.
   *
   * @param resources (leases, system) → that system's CPU and memory window, or a missing node
   */
  static ArrayNode of(List<JsonNode> side, BiFunction<Integer, String, JsonNode> resources) {
    Map<Integer, Map<String, Map<String, List<Double>>>> by = ScaleRequests.group(side, "scale_steady", "");
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    by.forEach((leases, systems) -> {
      for (String system : List.of("mcl", "baseline")) {
        Map<String, List<Double>> metrics = systems.get(system);
        if (metrics == null) {
          continue;
        }
        ObjectNode row = out.addObject();
        row.put("leases", leases);
        row.put("system", system);
        row.put("window_s", median(metrics.get("window_s")));
        row.put("led_fraction_at_end", median(metrics.get("led_fraction_at_end")));
        ObjectNode verbs = JsonNodeFactory.instance.objectNode();
        double all = 0;
        for (Map.Entry<String, List<Double>> m : metrics.entrySet()) {
          if (m.getKey().startsWith(PREFIX)) {
            String verb = m.getKey().substring(PREFIX.length());
            double v = median(m.getValue());
            verbs.put(verb, v);
            // a watch is long-lived: it is counted when opened, it is not a request per minute
            all += "watch".equals(verb) ? 0 : v;
          }
        }
        row.put("writes_per_lease_minute", writes(verbs));
        row.put("requests_per_lease_minute", all);
        row.set("requests_per_lease_minute_by_verb", verbs);
        JsonNode r = resources.apply(leases, system);
        if (r != null && !r.isMissingNode()) {
          row.set("resources", r);
        }
      }
    });
    return out;
  }

  /** The sum of the {@link #WRITE_VERBS} in {@code byVerb} (verb → figure; absent verbs count 0). */
  static double writes(JsonNode byVerb) {
    double sum = 0;
    for (String verb : WRITE_VERBS) {
      sum += byVerb.path(verb).asDouble(0);
    }
    return sum;
  }

  /** CPU of all the system's processes in the window, in millicores per lease. */
  static double millicoresPerLease(JsonNode row) {
    JsonNode r = row.path("resources");
    double seconds = r.path("window_ms").asDouble(0) / 1000;
    if (seconds <= 0) {
      return Double.NaN;
    }
    return ReportMarkdown.allCpuMs(r) / seconds / row.path("leases").asDouble();
  }

  /** The table; nothing when no run had a steady window. */
  static void markdown(StringBuilder md, JsonNode rows, int cores) {
    if (rows == null || rows.size() == 0) {
      return;
    }
    md.append("### Steady state after all are led\n\n");
    md.append("Every candidate keeps ticking for a window after the last lease is led (`steadySeconds`); the API "
        + "servers' own count of requests on the leases' resource per lease and minute (writes = POST, PUT, PATCH, "
        + "DELETE, refused ones included), the CPU of every process of the system per lease, and how many leases are "
        + "led at the window's end (MCL: `isLeader()`, baseline: renewed within renewDeadline). Machine busy = all "
        + "that CPU / the window / ")
        .append(cores > 0 ? cores + " cores" : "the cores")
        .append(": near 100 % the machine, not the protocol, sets the rate, and the figures per lease-minute are "
            + "what it could serve, not what the leases asked for.\n\n");
    md.append("| leases | system | window (s) | led at end | writes per lease-minute | ratio | all requests per "
        + "lease-minute | CPU per lease (millicores) | machine busy |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (JsonNode r : rows) {
      JsonNode base = baselineRow(rows, r.path("leases").asInt());
      boolean mcl = "mcl".equals(r.path("system").asText());
      double ratio = mcl && base != null
          ? Stats.ratio(r.path("writes_per_lease_minute").asDouble(), base.path("writes_per_lease_minute").asDouble())
          : Double.NaN;
      double mc = millicoresPerLease(r);
      md.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f %% | %.1f | %s | %.1f | %s | %s |%n",
          r.path("leases").asInt(), r.path("system").asText(), r.path("window_s").asDouble(),
          r.path("led_fraction_at_end").asDouble() * 100, r.path("writes_per_lease_minute").asDouble(),
          Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f×", ratio),
          r.path("requests_per_lease_minute").asDouble(),
          Double.isNaN(mc) ? "" : String.format(Locale.ROOT, mc >= 10 ? "%.0f" : "%.2f", mc),
          busy(r, cores)));
    }
    md.append('\n');
  }

  private static String busy(JsonNode row, int cores) {
    double mc = millicoresPerLease(row);
    if (Double.isNaN(mc) || cores <= 0) {
      return "";
    }
    return String.format(Locale.ROOT, "%.0f %%", mc * row.path("leases").asDouble() / (cores * 10.0));
  }

  private static JsonNode baselineRow(JsonNode rows, int leases) {
    for (JsonNode r : rows) {
      if (r.path("leases").asInt() == leases && "baseline".equals(r.path("system").asText())) {
        return r;
      }
    }
    return null;
  }

  private static double median(List<Double> v) {
    return v == null ? Double.NaN : Stats.of(v.stream().mapToDouble(Double::doubleValue).toArray()).p50();
  }
}
