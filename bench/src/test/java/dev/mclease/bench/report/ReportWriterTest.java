package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class ReportWriterTest {

  @TempDir
  Path out;

  private JsonNode summary;

  @BeforeEach
  void writeFromCannedResults() throws URISyntaxException {
    Path canned = Path.of(getClass().getResource("/canned/jmh-result.json").toURI()).getParent();
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("date", "2026-01-01T00:00:00Z");
    run.put("quick", true);
    run.put("cores", 2);
    run.put("cluster_kind", "apiserver");
    run.put("api_server", "kube-apiserver v1.37.2, a process per cluster");
    summary = ReportWriter.write(canned.resolve("jmh-result.json"), canned.resolve("side.jsonl"), run, out);
  }

  @Test
  void latencyRatiosAreMclOverTheSameRunsBaseline() {
    JsonNode handover = row("graceful_handover");
    assertThat(handover.path("mcl").path("p50_ms").asDouble()).isEqualTo(200);
    assertThat(handover.path("mcl").path("p99_ms").asDouble()).isEqualTo(300);
    assertThat(handover.path("baseline").path("p50_ms").asDouble()).isEqualTo(1100);
    assertThat(handover.path("ratio_p50").asDouble()).isEqualTo(200.0 / 1100);
    assertThat(handover.path("ratio_p99").asDouble()).isEqualTo(300.0 / 1200);
  }

  @Test
  void jmhUnitsAreConvertedToMilliseconds() {
    assertThat(row("candidate_crash").path("mcl").path("p99_ms").asDouble()).isEqualTo(2600);
  }

  @Test
  void controllerLossIsComparedWithTheBaselinesCrash() {
    JsonNode loss = row("controller_loss");
    assertThat(loss.path("baseline_scenario").asText()).isEqualTo("candidate_crash");
    assertThat(loss.path("ratio_p50").asDouble()).isEqualTo(2.0);
  }

  @Test
  void scaleAndCostCarryRatiosAndTheTargetsAreJudged() {
    JsonNode scale = summary.path("scale").get(0);
    assertThat(scale.path("leases").asInt()).isEqualTo(1000);
    assertThat(scale.path("ratio_all_led").asDouble()).isEqualTo(4.0);
    assertThat(scale.path("ratio_heap_growth").asDouble()).isEqualTo(3.0);
    assertThat(summary.path("cost").path("ratios").path("api_writes_per_candidate_minute").asDouble()).isEqualTo(5.0);
    assertThat(summary.path("cost").path("etcd_requests_per_controller_minute_by_method").path("LeaseKeepAlive")
        .asDouble()).isEqualTo(200);
    // the canned run: handover p99 300 ms, crash p99 2600 ms (L = 2 s), 1000 leases 4x the baseline's
    assertThat(target("graceful handover p99 <= 50 ms (fast)").path("met").asBoolean()).isFalse();
    assertThat(target("crash failover p99 <= leaseDuration + 0.5 s (fast)").path("limit_ms").asDouble())
        .isEqualTo(2500);
    assertThat(target("crash failover p99 <= leaseDuration + 0.5 s (fast)").path("met").asBoolean()).isFalse();
    assertThat(target("API writes per fleet-minute <= 2.0x the baseline's").path("value_ms").asDouble())
        .isEqualTo(5.0);
    assertThat(target("API writes per fleet-minute <= 2.0x the baseline's").path("met").asBoolean()).isFalse();
    // no Txn at all in the canned etcd figures: none was sent
    assertThat(target("etcd Txn per standby controller-minute <= 2 (all Txn counted as the standbys')")
        .path("met").asBoolean()).isTrue();
  }

  @Test
  void writesAndStoreCallsAreSplitByWriterAndTheStandbysAcquiresAreJudged() throws Exception {
    String md = Files.readString(out.resolve(ReportWriter.REPORT));
    assertThat(md).contains("| candidate heartbeats (spec) | 40.0 | 20.0 |",
        "| controller echoes (status) | 40.0 | 0.0 |",
        "| lock-store acquire calls (etcd: a Txn each) | 0 | 1.5 |");
    JsonNode acquires = target("etcd Txn per standby controller-minute <= 2 (its acquire calls)");
    assertThat(acquires.path("value_ms").asDouble()).isEqualTo(1.5);
    assertThat(acquires.path("met").asBoolean()).isTrue();
  }

  @Test
  void targetsThePlanDidNotMeasureSaySo() throws Exception {
    // the canned run has fast timings only and no 10,000 leases
    for (String what : new String[] {"graceful handover p99 <= 150 ms (defaults)",
        "controller loss p50 <= 1.0x the baseline's crash failover (defaults)", "10000 leases all led <= 60 s"}) {
      assertThat(target(what).path("met").isNull()).as(what).isTrue();
    }
    assertThat(Files.readString(out.resolve(ReportWriter.REPORT)))
        .contains("| 10000 leases all led <= 60 s |  | 60000 ms | not measured |");
  }

  @Test
  void theApiServersCpuAndMemoryStandBesideOurs() throws Exception {
    JsonNode mcl = summary.path("scale").get(0).path("resources").path("mcl");
    assertThat(mcl.path("jvm_cpu_ms").asDouble()).isEqualTo(6000);
    assertThat(mcl.path("apiserver_cpu_ms").asDouble()).isEqualTo(7000);
    assertThat(mcl.path("apiserver_rss_mib").asDouble()).isEqualTo(1000);
    assertThat(summary.path("scale").get(0).path("resources").path("baseline").path("apiserver_cpu_ms").asDouble())
        .isEqualTo(800);
    assertThat(summary.path("cost").path("resources").path("mcl").path("apiserver_millicores").asDouble())
        .isEqualTo(90);

    String md = Files.readString(out.resolve(ReportWriter.REPORT));
    assertThat(md).contains("## CPU and memory: ours and the API server's",
        "| CPU ours (bench JVM) | CPU kube-apiserver(s) | CPU their etcd | CPU lock-store etcd | API-server share |");
    // (7000 + 1500) / (7000 + 1500 + 6000 + 1500) = 53 %; the baseline has no lock store: (800 + 200) / 2000;
    // CPU floor = all CPU / 2 cores: 16000 / 2 (the canned window is exactly CPU-bound) and 2000 / 2
    assertThat(md).contains("| 1000 | mcl | 8000 | 8000 | 6000 | 7000 | 1500 | 1500 | 53% | 900 | 1000 | 150.0 | 80 |");
    assertThat(md).contains("| 1000 | baseline | 2000 | 1000 | 1000 | 800 | 200 |  | 50% |");
    assertThat(md).contains("CPU floor = all CPU of the window / 2 cores");
    assertThat(md).contains("| mcl | 15 | 120 | 90 |  |  | 43% |  | 810 |  |");
    assertThat(md).contains("real `kube-apiserver` processes: kube-apiserver v1.37.2");
    assertThat(md).contains("it took 2400 ms for MCL and 90 ms for the baseline");
  }

  @Test
  void ofTwoWindowsTheShorterIsShownWhole() {
    // the canned mcl 1000-lease scale has a second, longer window (9000 ms) with less JVM CPU and a smaller RSS:
    // per-figure medians would take those, mixing the two windows
    JsonNode mcl = summary.path("scale").get(0).path("resources").path("mcl");
    assertThat(mcl.path("windows").asInt()).isEqualTo(2);
    assertThat(mcl.path("window_ms").asDouble()).isEqualTo(8000);
    assertThat(mcl.path("jvm_cpu_ms").asDouble()).isEqualTo(6000);
    assertThat(mcl.path("apiserver_rss_mib").asDouble()).isEqualTo(1000);
  }

  @Test
  void theHeapTargetIsJudgedInMibAtTheLargestRunWhenTenThousandIsMissing() throws Exception {
    JsonNode heap = target(ReportWriter.HEAP_TARGET + ": measured at 1000 leases only");
    assertThat(heap.path("value_ms").asDouble()).isEqualTo(60);
    assertThat(heap.path("limit_ms").asDouble()).isEqualTo(256);
    assertThat(heap.path("met").asBoolean()).isTrue();
    assertThat(Files.readString(out.resolve(ReportWriter.REPORT))).contains("| 60.0 MiB | 256.0 MiB | yes |");
  }

  @Test
  void summaryJsonIsStrictJsonWithoutNaN() throws Exception {
    String text = Files.readString(out.resolve(ReportWriter.SUMMARY));
    assertThat(text).doesNotContain("NaN");
    assertThat(new ObjectMapper().readTree(text).path("run").path("cores").asInt()).isEqualTo(2);
  }

  @Test
  void markdownHasTheTablesThePlotAndTheRatios() throws Exception {
    String md = Files.readString(out.resolve(ReportWriter.REPORT));
    assertThat(md).contains("## Failover latency (ms)", "## Scale", "## Cost", "## Targets",
        "![latency distribution](latency.svg)", "![scaling curve](scale.svg)", "--quick");
    assertThat(md).contains("| Graceful handover (releaseOnCancel) | fast | 3 | 200 | 300 | graceful handover | 3 | 1100 "
        + "| 1200 | 0.18× | 0.25× |");
    assertThat(md).contains("n/a (no second store)");
  }

  @Test
  void plotIsWellFormedSvgWithADotPerSample() throws Exception {
    Document doc = svg(ReportWriter.PLOT);
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    // 3 + 3 handover, 2 + 2 crash, 1 controller loss = 11 samples, plus 2 legend dots
    assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(13);
  }

  @Test
  void aRunWithAScaleStepGetsTheScalingPlotToo() throws Exception {
    Document doc = svg(ReportWriter.SCALE_PLOT);
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    assertThat(doc.getDocumentElement().getTextContent()).contains("time until all are led (ms)");
  }

  @Test
  void logAxisIsMonotonicAndClamped() {
    assertThat(SvgPlot.x(100)).isLessThan(SvgPlot.x(1000));
    assertThat(SvgPlot.x(1)).isEqualTo(SvgPlot.x(SvgPlot.MIN_MS));
    assertThat(SvgPlot.x(1e9)).isEqualTo(SvgPlot.x(SvgPlot.MAX_MS));
    assertThat(SvgPlot.label(2000)).isEqualTo("2s");
  }

  /** The written SVG file {@code name}, parsed (a parse error fails the test: the file is not well-formed). */
  private Document svg(String name) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(Files.readString(out.resolve(name)).getBytes(StandardCharsets.UTF_8)));
  }

  private JsonNode row(String scenario) {
    for (JsonNode r : summary.path("latency")) {
      if (r.path("scenario").asText().equals(scenario)) {
        return r;
      }
    }
    throw new AssertionError("no row " + scenario + " in " + summary);
  }

  private JsonNode target(String what) {
    for (JsonNode t : summary.path("targets")) {
      if (t.path("target").asText().equals(what)) {
        return t;
      }
    }
    throw new AssertionError("no target " + what);
  }
}
