package dev.mclease.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/** {@code ApiLatencyBench}'s results: one request's latency on these API servers, per kind of request. */
final class ApiLatency {

  private static final String BENCH = "dev.mclease.bench.ApiLatencyBench.";

  private ApiLatency() {
  }

  /** Rows {@code {request, samples, p50_ms, p90_ms, p99_ms}} from JMH's result (SampleTime, in ms). */
  static ArrayNode of(JsonNode jmh) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (JsonNode r : jmh) {
      String name = r.path("benchmark").asText();
      if (!name.startsWith(BENCH)) {
        continue;
      }
      JsonNode m = r.path("primaryMetric");
      double scale = "ms/op".equals(m.path("scoreUnit").asText("ms/op")) ? 1 : Double.NaN;
      JsonNode pct = m.path("scorePercentiles");
      ObjectNode row = out.addObject();
      row.put("request", name.substring(BENCH.length()));
      long samples = 0;
      for (JsonNode fork : m.path("rawDataHistogram")) {
        for (JsonNode iteration : fork) {
          for (JsonNode bucket : iteration) {
            samples += bucket.path(1).asLong();
          }
        }
      }
      row.put("samples", samples);
      row.put("p50_ms", pct.path("50.0").asDouble(Double.NaN) * scale);
      row.put("p90_ms", pct.path("90.0").asDouble(Double.NaN) * scale);
      row.put("p99_ms", pct.path("99.0").asDouble(Double.NaN) * scale);
    }
    return out;
  }

  /** The table; nothing when the run had no such step. */
  static void markdown(StringBuilder md, JsonNode rows) {
    if (rows == null || rows.size() == 0) {
      return;
    }
    md.append("## One request on these API servers and the lock store (nothing else running)\n\n")
        .append("The floor under the failover figures: a graceful handover is at least one spec write, one status ")
        .append("patch, two lock-store writes and three watch deliveries in a row (`ApiLatencyBench`; ")
        .append("`lockStoreAcquireRelease` is the two lock-store writes together).\n\n")
        .append("| request | samples | p50 (ms) | p90 (ms) | p99 (ms) |\n|---|---:|---:|---:|---:|\n");
    for (JsonNode r : rows) {
      md.append("| ").append(r.path("request").asText()).append(" | ").append(r.path("samples").asLong())
          .append(" | ").append(ms(r.path("p50_ms"))).append(" | ").append(ms(r.path("p90_ms")))
          .append(" | ").append(ms(r.path("p99_ms"))).append(" |\n");
    }
    md.append('\n');
  }

  private static String ms(JsonNode v) {
    return v.isNumber() && !Double.isNaN(v.asDouble()) ? String.format(Locale.ROOT, "%.1f", v.asDouble()) : "";
  }
}
