package dev.mclease.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scaling curve as plain SVG: log-log panels over the number of leases — until all are led: the time, heap
 * growth, CPU of the bench JVM and API writes, the last three per lease; in the steady state after that: API writes
 * per lease-minute and CPU per lease — MultiClusterLease beside the baseline. A curve that bends upwards in a
 * per-lease panel is what grows faster than linearly. No plotting library.
 */
public final class ScalePlot {

  private static final int PANEL_W = 480;
  private static final int PANEL_H = 260;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 30;
  private static final int BOTTOM = 45;
  private static final List<String> SYSTEMS = List.of("mcl", "baseline");

  private ScalePlot() {
  }

  /** One point of a curve: {@code leases} on the x axis, the figure on the y axis. */
  public record Point(double leases, double value) {
  }

  /** One panel: a title and a curve per system ({@code mcl}, {@code baseline}), points in order of leases. */
  public record Panel(String title, Map<String, List<Point>> curves) {
  }

  /**
   * The panels from a summary's {@code scale}, {@code scale_requests} and (when a run had a steady window)
   * {@code scale_steady}; figures ≤ 0 are left out.
   */
  public static List<Panel> panels(JsonNode summary) {
    Map<String, List<Point>> led = curves();
    Map<String, List<Point>> heap = curves();
    Map<String, List<Point>> cpu = curves();
    for (JsonNode r : summary.path("scale")) {
      double n = r.path("leases").asDouble();
      for (String system : SYSTEMS) {
        add(led.get(system), n, r.path(system + "_all_led_ms").asDouble(0));
        add(heap.get(system), n, r.path(system + "_heap_growth_mib").asDouble(0) * 1024 / n);
        add(cpu.get(system), n, r.path("resources").path(system).path("jvm_cpu_ms").asDouble(0) / n);
      }
    }
    Map<String, List<Point>> writes = curves();
    for (JsonNode r : summary.path("scale_requests")) {
      List<Point> curve = writes.get(r.path("system").asText());
      if (curve != null) {
        add(curve, r.path("leases").asDouble(), ScaleSteady.writes(r.path("requests")));
      }
    }
    List<Panel> panels = new ArrayList<>(List.of(new Panel("time until all are led (ms)", led),
        new Panel("heap growth per lease (KiB)", heap),
        new Panel("CPU of the bench JVM per lease (ms)", cpu),
        new Panel("API writes per lease until all led", writes)));
    if (summary.path("scale_steady").size() > 0) {
      Map<String, List<Point>> steadyWrites = curves();
      Map<String, List<Point>> steadyCpu = curves();
      for (JsonNode r : summary.path("scale_steady")) {
        List<Point> w = steadyWrites.get(r.path("system").asText());
        if (w != null) {
          add(w, r.path("leases").asDouble(), r.path("writes_per_lease_minute").asDouble(0));
          add(steadyCpu.get(r.path("system").asText()), r.path("leases").asDouble(),
              ScaleSteady.millicoresPerLease(r));
        }
      }
      panels.add(new Panel("steady: API writes per lease-minute", steadyWrites));
      panels.add(new Panel("steady: CPU per lease, all processes (millicores)", steadyCpu));
    }
    return panels;
  }

  /** The SVG document: the panels two by two. */
  public static String render(List<Panel> panels) {
    int cols = 2;
    int rows = (panels.size() + cols - 1) / cols;
    int width = cols * PANEL_W;
    int height = 50 + rows * PANEL_H;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Scale: leases per controller "
        + "(log-log)</text>\n");
    svg.append(SvgPlot.legend(10, 40, SvgPlot.MCL_COLOR, "MultiClusterLease"))
        .append(SvgPlot.legend(180, 40, SvgPlot.BASE_COLOR, "baseline: fabric8 LeaseLock"));
    for (int i = 0; i < panels.size(); i++) {
      panel(svg, panels.get(i), (i % cols) * PANEL_W, 50 + (i / cols) * PANEL_H);
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  /** A log axis over whole decades that holds every value ({@code lo} and {@code hi} are exponents of 10). */
  record LogAxis(int lo, int hi) {

    static LogAxis of(List<Double> values) {
      double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(1);
      double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(10);
      int lo = (int) Math.floor(Math.log10(min));
      int hi = (int) Math.ceil(Math.log10(max));
      return new LogAxis(lo, Math.max(hi, lo + 1));
    }

    /** Where {@code v} falls between 0 (the lowest decade) and 1 (the highest). */
    double fraction(double v) {
      return (Math.log10(v) - lo) / (hi - lo);
    }
  }

  private static void panel(StringBuilder svg, Panel p, int x0, int y0) {
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    p.curves().values().forEach(c -> c.forEach(pt -> {
      xs.add(pt.leases());
      ys.add(pt.value());
    }));
    LogAxis ax = LogAxis.of(xs);
    LogAxis ay = LogAxis.of(ys);
    int left = x0 + LEFT;
    int right = x0 + PANEL_W - RIGHT;
    int top = y0 + TOP;
    int bottom = y0 + PANEL_H - BOTTOM;
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", left,
        top - 10, SvgPlot.escape(p.title())));
    for (int d = ax.lo(); d <= ax.hi(); d++) {
      double xx = left + ax.fraction(Math.pow(10, d)) * (right - left);
      svg.append(gridLine(xx, top, xx, bottom));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s"
          + "</text>%n", xx, bottom + 16, decade(d)));
    }
    for (int d = ay.lo(); d <= ay.hi(); d++) {
      double yy = bottom - ay.fraction(Math.pow(10, d)) * (bottom - top);
      svg.append(gridLine(left, yy, right, yy));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s"
          + "</text>%n", left - 6, yy + 4, decade(d)));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">leases"
        + "</text>%n", (left + right) / 2, bottom + 32));
    for (Map.Entry<String, List<Point>> c : p.curves().entrySet()) {
      String color = "mcl".equals(c.getKey()) ? SvgPlot.MCL_COLOR : SvgPlot.BASE_COLOR;
      StringBuilder pts = new StringBuilder();
      for (Point pt : c.getValue()) {
        double xx = left + ax.fraction(pt.leases()) * (right - left);
        double yy = bottom - ay.fraction(pt.value()) * (bottom - top);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xx, yy));
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
            + "<title>%s leases: %s</title></circle>%n", xx, yy, color, (long) pt.leases(), value(pt.value())));
      }
      if (c.getValue().size() > 1) {
        svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
            + "stroke-width=\"2\"/>%n", pts.toString().trim(), color));
      }
    }
  }

  private static Map<String, List<Point>> curves() {
    Map<String, List<Point>> m = new LinkedHashMap<>();
    SYSTEMS.forEach(s -> m.put(s, new ArrayList<>()));
    return m;
  }

  private static void add(List<Point> curve, double leases, double value) {
    if (leases > 0 && value > 0 && Double.isFinite(value)) {
      curve.add(new Point(leases, value));
    }
  }

  private static String gridLine(double x1, double y1, double x2, double y2) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
        x1, y1, x2, y2);
  }

  static String decade(int d) {
    double v = Math.pow(10, d);
    if (d >= 0) {
      return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%." + (-d) + "f", v);
  }

  private static String value(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
  }
}
