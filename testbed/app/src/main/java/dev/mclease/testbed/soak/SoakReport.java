package dev.mclease.testbed.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mclease.testbed.soak.SoakSummary.Failure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes a soak's report.md (for people) and report.json (every history, for tools) into the plan's directory. */
public final class SoakReport {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SoakReport() {
  }

  /** Writes both files; returns the path of report.md. {@code fenceUnavailable}: why no row was checked, or null. */
  public static Path write(SoakPlan plan, List<HistoryResult> results, Duration took, String fenceUnavailable) {
    SoakSummary summary = SoakSummary.of(results);
    Path dir = plan.outDir();
    try {
      Files.createDirectories(dir);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("plan", plan);
      json.put("tookSeconds", took.toSeconds());
      json.put("fenceUnavailable", fenceUnavailable);
      json.put("summary", summary);
      json.put("histories", results);
      JSON.writeValue(dir.resolve("report.json").toFile(), json);
      Path md = dir.resolve("report.md");
      Files.writeString(md, markdown(plan, summary, took, fenceUnavailable), StandardCharsets.UTF_8);
      return md;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The report for people: totals, per store, faults by type, failing seeds with their replay commands. */
  static String markdown(SoakPlan plan, SoakSummary s, Duration took, String fenceUnavailable) {
    StringBuilder b = new StringBuilder("# Soak report\n\n");
    long last = plan.firstSeed() + plan.histories() - 1;
    b.append(String.format(Locale.ROOT, "%d histories: seeds %d to %d on %s, cluster kind %s, lock-store outages %s,"
        + " %d at a time; took %d s (%.1f s a history).%n%n", s.histories(), plan.firstSeed(), last,
        String.join(", ", plan.backends()), plan.clusterKind(), plan.storeOutages() ? "on" : "off", plan.parallel(),
        took.toSeconds(), s.histories() == 0 ? 0 : took.toMillis() / 1000.0 / s.histories()));
    b.append(s.ok() ? "**Verdict: every history passed.**\n\n"
        : "**Verdict: " + s.failing() + " of " + s.histories() + " histories failed.**\n\n");
    b.append("| | |\n|---|---|\n");
    row(b, "histories", s.histories());
    row(b, "faults injected", s.faults());
    row(b, "overlaps (two leaders at once)", s.overlaps());
    row(b, "token-order violations", s.tokenViolations());
    row(b, "leaderless gaps over the bound, outside faults (checker)", s.gapMisses());
    row(b, "faults whose gap outlasted its bound", s.faultGapMisses());
    row(b, "recovery after the last heal, p50 / p99 / max", s.recovery() == null ? "none"
        : s.recovery().p50Millis() + " / " + s.recovery().p99Millis() + " / " + s.recovery().maxMillis()
            + " ms (" + s.recovery().samples() + " histories)");
    row(b, "recovered later than the bound / never", s.lateRecoveries() + " / " + s.noRecovery());
    row(b, "histories that could not run to their end", s.errors());
    row(b, "fenced writes accepted / refused (histories checked)", s.fencing().histories() == 0
        ? "not checked" + (fenceUnavailable == null ? "" : ": " + fenceUnavailable)
        : s.fencing().accepted() + " / " + s.fencing().refused() + " (" + s.fencing().histories() + ")");
    row(b, "fenced writes outside their leadership or out of token order", s.fencing().histories() == 0
        ? "not checked" : s.fencing().violations());
    b.append("\n## By lock store\n\n| store | histories | failing |\n|---|---:|---:|\n");
    s.byBackend().forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v.histories()).append(" | ")
        .append(v.failing()).append(" |\n"));
    b.append("\n## Faults by type\n\nA fault's gap: the longest leaderless stretch that began while it was the latest"
        + " fault injected; the bound holds the part outside every fault.\n\n"
        + "| fault | injected | longest gap | longest outside faults | bound | over the bound |\n"
        + "|---|---:|---:|---:|---:|---:|\n");
    s.faultsByType().forEach((k, v) -> b.append(String.format(Locale.ROOT, "| %s | %d | %d ms | %d ms | %d ms | %d |%n",
        k, v.count(), v.longestGapMillis(), v.longestCountedMillis(), v.boundMillis(), v.overBound())));
    if (!s.failures().isEmpty()) {
      b.append("\n## Failing histories\n\n");
      for (Failure f : s.failures()) {
        b.append("- seed ").append(f.seed()).append(" on ").append(f.backend()).append(": ")
            .append(f.problems().stream().map(Enum::name).collect(Collectors.joining(", ")))
            .append(f.error() == null ? "" : " (" + f.error() + ")").append('\n');
        f.violations().forEach(v -> b.append("  - ").append(v).append('\n'));
        if (f.keptIn() != null) {
          b.append("  - kept in `").append(f.keptIn()).append("`\n");
        }
        b.append("  - replay: `").append(plan.replay(f.seed(), f.backend())).append("`\n");
      }
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String name, Object value) {
    b.append("| ").append(name).append(" | ").append(value).append(" |\n");
  }
}
