package dev.mclease.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Figures JMH has no place for (leases led, heap, request counts, the precise failover latency of each sample),
 * appended by the benchmark forks as JSON lines to the file named by the system property
 * {@value #PROPERTY}; {@code BenchMain} passes it to every fork and the report reads it back.
 */
public final class SideResults {

  /** System property naming the JSON-lines file. */
  public static final String PROPERTY = "mclease.bench.side";
  private static final ObjectMapper JSON = new ObjectMapper();

  private SideResults() {
  }

  /**
   * Appends one figure.
   *
   * @param bench e.g. "failover", "scale", "cost"
   * @param params what identifies the series: system, scenario, timings, leases, ...
   * @param metric e.g. "latency_ms", "all_led_ms", "heap_growth_mib"
   */
  public static synchronized void record(String bench, Map<String, ?> params, String metric, double value) {
    appendLine(bench, params, metric, value);
  }

  /**
   * Appends the CPU and memory of one measured window ({@code ResourceMeter.Window.stop()}), as bench
   * {@code "resources"} with {@code of} (the benchmark measured: "scale", "cost") added to {@code params}.
   */
  public static synchronized void resources(String of, Map<String, ?> params, Map<String, Double> metrics) {
    Map<String, Object> p = new LinkedHashMap<>(params);
    p.put("of", of);
    metrics.forEach((metric, value) -> appendLine("resources", p, metric, value));
  }

  private static void appendLine(String bench, Map<String, ?> params, String metric, double value) {
    String file = System.getProperty(PROPERTY);
    if (file == null || file.isBlank()) {
      return;
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("bench", bench);
    line.put("params", params);
    line.put("metric", metric);
    line.put("value", value);
    try {
      Files.writeString(Path.of(file), JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }
}
