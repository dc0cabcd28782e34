package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ScalePlotTest {

  private static final String SUMMARY = """
      {"scale": [
        {"leases": 10, "mcl_all_led_ms": 300, "baseline_all_led_ms": 150,
         "mcl_heap_growth_mib": 1.0, "baseline_heap_growth_mib": 0.5,
         "resources": {"mcl": {"jvm_cpu_ms": 480}, "baseline": {"jvm_cpu_ms": 230}}},
        {"leases": 1000, "mcl_all_led_ms": 12000, "baseline_all_led_ms": 4000,
         "mcl_heap_growth_mib": 10.0, "baseline_heap_growth_mib": -0.1,
         "resources": {"mcl": {"jvm_cpu_ms": 12000}, "baseline": {"jvm_cpu_ms": 4700}}}],
       "scale_requests": [
        {"leases": 10, "system": "mcl", "requests": {"get": 1.6, "post": 1.0, "patch_status": 1.0, "put": 0.5}},
        {"leases": 10, "system": "baseline", "requests": {"get": 1.0, "post": 1.0}}]}
      """;

  @Test
  void panelsTakePerLeaseFiguresFromTheSummaryAndLeaveOutWhatCannotGoOnALogAxis() throws Exception {
    List<ScalePlot.Panel> panels = ScalePlot.panels(new ObjectMapper().readTree(SUMMARY));

    assertThat(panels).extracting(ScalePlot.Panel::title).hasSize(4);
    assertThat(panels.get(0).curves().get("mcl")).containsExactly(new ScalePlot.Point(10, 300),
        new ScalePlot.Point(1000, 12000));
    assertThat(panels.get(1).curves().get("mcl")).containsExactly(new ScalePlot.Point(10, 102.4),
        new ScalePlot.Point(1000, 10.24));
    // a heap that shrank over the window has no place on a log axis
    assertThat(panels.get(1).curves().get("baseline")).containsExactly(new ScalePlot.Point(10, 51.2));
    assertThat(panels.get(2).curves().get("baseline")).containsExactly(new ScalePlot.Point(10, 23),
        new ScalePlot.Point(1000, 4.7));
    // writes = POST + PUT + PATCH + PATCH STATUS + DELETE; reads are not writes
    assertThat(panels.get(3).curves().get("mcl")).containsExactly(new ScalePlot.Point(10, 2.5));
    assertThat(panels.get(3).curves().get("baseline")).containsExactly(new ScalePlot.Point(10, 1.0));
  }

  @Test
  void renderIsWellFormedSvgWithAPointPerFigureAndALineThroughEachCurve() throws Exception {
    String svg = ScalePlot.render(ScalePlot.panels(new ObjectMapper().readTree(SUMMARY)));
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));

    // 2 + 2 + 2 + 1 + 2 + 2 + 1 + 1 points, plus 2 legend dots
    assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(15);
    // a line only where a curve has two points or more: led (2), heap MCL, CPU (2)
    NodeList lines = doc.getElementsByTagName("polyline");
    assertThat(lines.getLength()).isEqualTo(5);
    // the time curve rises: a larger figure sits higher, so at a smaller y
    String[] led = ((Element) lines.item(0)).getAttribute("points").split(" ");
    assertThat(Double.parseDouble(led[1].split(",")[1])).isLessThan(Double.parseDouble(led[0].split(",")[1]));
  }

  @Test
  void aSteadyWindowAddsPanelsForWritesPerLeaseMinuteAndCpuPerLease() throws Exception {
    String withSteady = SUMMARY.trim().replaceFirst("}$", """
        , "scale_steady": [
          {"leases": 10, "system": "mcl", "writes_per_lease_minute": 30.0,
           "resources": {"window_ms": 30000, "jvm_cpu_ms": 300, "apiserver_cpu_ms": 150}},
          {"leases": 10, "system": "baseline", "writes_per_lease_minute": 28.0}]}
        """);
    List<ScalePlot.Panel> panels = ScalePlot.panels(new ObjectMapper().readTree(withSteady));

    assertThat(panels).hasSize(6);
    assertThat(panels.get(4).curves().get("mcl")).containsExactly(new ScalePlot.Point(10, 30));
    assertThat(panels.get(4).curves().get("baseline")).containsExactly(new ScalePlot.Point(10, 28));
    // 450 CPU-ms in 30 s = 15 millicores, over 10 leases; no window, no point
    assertThat(panels.get(5).curves().get("mcl")).containsExactly(new ScalePlot.Point(10, 1.5));
    assertThat(panels.get(5).curves().get("baseline")).isEmpty();
  }

  @Test
  void logAxisCoversWholeDecadesAroundTheValues() {
    ScalePlot.LogAxis axis = ScalePlot.LogAxis.of(List.of(3.0, 12_000.0));
    assertThat(axis).isEqualTo(new ScalePlot.LogAxis(0, 5));
    assertThat(axis.fraction(1)).isEqualTo(0);
    assertThat(axis.fraction(100_000)).isEqualTo(1);
    assertThat(ScalePlot.LogAxis.of(List.of(10.0))).isEqualTo(new ScalePlot.LogAxis(1, 2));
    assertThat(ScalePlot.decade(-2)).isEqualTo("0.01");
    assertThat(ScalePlot.decade(4)).isEqualTo("10,000");
  }

}
