package dev.mclease.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scale bench's requests per lease, as the API servers counted them ({@code api_requests_per_lease_<verb>} side
 * results): one row per lease count and system, the median of its samples per verb. Shows what a lease cost until it
 * was led, reads included, where the latency alone does not say why one system took longer.
 */
final class ScaleRequests {

  private static final String PREFIX = "api_requests_per_lease_";

  private ScaleRequests() {
  }

  /** Rows {@code {leases, system, requests: {verb: per lease}}}, by lease count, MCL first. */
  static ArrayNode of(List<JsonNode> side) {
    Map<Integer, Map<String, Map<String, List<Double>>>> by = group(side, "scale", PREFIX);
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    by.forEach((leases, systems) -> {
      for (String system : List.of("mcl", "baseline")) {
        Map<String, List<Double>> verbs = systems.get(system);
        if (verbs == null) {
          continue;
        }
        ObjectNode row = out.addObject();
        row.put("leases", leases);
        row.put("system", system);
        ObjectNode req = row.putObject("requests");
        verbs.forEach((verb, v) -> req.put(verb, Stats.of(v.stream().mapToDouble(Double::doubleValue).toArray())
            .p50()));
      }
    });
    return out;
  }

  /**
   * The side results of {@code bench} whose metric starts with {@code prefix}: lease count → system → metric without
   * the prefix → its samples in the order written.
   */
  static Map<Integer, Map<String, Map<String, List<Double>>>> group(List<JsonNode> side, String bench, String prefix) {
    Map<Integer, Map<String, Map<String, List<Double>>>> by = new TreeMap<>();
    for (JsonNode l : side) {
      String metric = l.path("metric").asText();
      if (!bench.equals(l.path("bench").asText()) || !metric.startsWith(prefix)) {
        continue;
      }
      by.computeIfAbsent(l.path("params").path("leases").asInt(), k -> new TreeMap<>())
          .computeIfAbsent(l.path("params").path("system").asText(), k -> new TreeMap<>())
          .computeIfAbsent(metric.substring(prefix.length()), k -> new ArrayList<>()).add(l.path("value").asDouble());
    }
    return by;
  }

  /** The table; nothing when no run counted requests (an embedded API server has no metrics). */
  static void markdown(StringBuilder md, JsonNode rows) {
    if (rows == null || rows.size() == 0) {
      return;
    }
    TreeSet<String> verbs = new TreeSet<>();
    rows.forEach(r -> r.path("requests").fieldNames().forEachRemaining(verbs::add));
    verbs.removeIf(v -> rows.findValues(v).stream().allMatch(n -> n.asDouble() == 0));
    md.append("Requests the API servers answered per lease until all were led (their own "
        + "`apiserver_request_total`, reads included; watches are long-lived and counted when opened):\n\n| leases | system |");
    verbs.forEach(v -> md.append(' ').append(v.replace('_', ' ').toUpperCase(java.util.Locale.ROOT)).append(" |"));
    md.append(" total |\n|---:|---|");
    verbs.forEach(v -> md.append("---:|"));
    md.append("---:|\n");
    for (JsonNode r : rows) {
      md.append("| ").append(r.path("leases").asInt()).append(" | ").append(r.path("system").asText()).append(" |");
      double total = 0;
      for (String v : verbs) {
        double n = r.path("requests").path(v).asDouble();
        total += n;
        md.append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", n)).append(" |");
      }
      md.append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", total)).append(" |\n");
    }
    md.append('\n');
  }
}
