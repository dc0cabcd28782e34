package dev.mclease.bench.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A latency-distribution strip plot as plain SVG: one row per scenario, timings and system, every sample a dot
 * on a logarithmic millisecond axis, with the p50 (solid) and p99 (dashed) marked. No plotting library.
 */
public final class SvgPlot {

  static final double MIN_MS = 10;
  static final double MAX_MS = 100_000;
  private static final int LEFT = 330;
  private static final int RIGHT = 30;
  private static final int WIDTH = 1000;
  private static final int TOP = 50;
  private static final int ROW = 24;
  static final String MCL_COLOR = "#1f6fd1";
  static final String BASE_COLOR = "#e07b00";

  private SvgPlot() {
  }

  /** X coordinate of {@code ms} on the log axis, clamped to the plot area. */
  static double x(double ms) {
    double v = Math.max(MIN_MS, Math.min(MAX_MS, ms));
    double f = (Math.log10(v) - Math.log10(MIN_MS)) / (Math.log10(MAX_MS) - Math.log10(MIN_MS));
    return LEFT + f * (WIDTH - LEFT - RIGHT);
  }

  /** The SVG document for {@code series} (order kept), labelled with {@code names} of scenarios. */
  public static String render(List<ReportWriter.Series> series, Map<String, String> names) {
    int height = TOP + Math.max(1, series.size()) * ROW + 60;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
        .append(height).append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Failover latency per sample "
        + "(log scale, ms); solid = p50, dashed = p99</text>\n");
    svg.append(legend(10, 38, MCL_COLOR, "MultiClusterLease")).append(legend(180, 38, BASE_COLOR,
        "baseline: fabric8 LeaseLock"));
    int bottom = TOP + series.size() * ROW;
    for (double tick = MIN_MS; tick <= MAX_MS; tick *= 10) {
      for (int m : new int[] {1, 2, 5}) {
        double v = tick * m;
        if (v > MAX_MS) {
          continue;
        }
        double xx = x(v);
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n",
            xx, TOP - 4, xx, bottom, m == 1 ? "#bbb" : "#eee"));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s"
            + "</text>%n", xx, bottom + 16, label(v)));
      }
    }
    int row = 0;
    for (ReportWriter.Series s : series) {
      int y = TOP + row * ROW + ROW / 2;
      String color = "mcl".equals(s.system()) ? MCL_COLOR : BASE_COLOR;
      if (row % 2 == 0) {
        svg.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f7f7f7\"/>%n",
            y - ROW / 2, WIDTH, ROW));
      }
      String name = names.getOrDefault(s.scenario(), s.scenario()) + " [" + s.timings() + "] "
          + ("mcl".equals(s.system()) ? "MCL" : "baseline");
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 8,
          y + 4, escape(name)));
      for (double v : s.samples()) {
        svg.append(String.format(Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%d\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.55\"/>%n", x(v), y, color));
      }
      Stats st = s.stats();
      if (st.n() > 0) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
            + "stroke-width=\"2\"/>%n", x(st.p50()), y - 9, x(st.p50()), y + 9, color));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
            + "stroke-width=\"2\" stroke-dasharray=\"3,2\"/>%n", x(st.p99()), y - 9, x(st.p99()), y + 9, color));
      }
      row++;
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">ms</text>%n", WIDTH - RIGHT,
        bottom + 32));
    svg.append("</svg>\n");
    return svg.toString();
  }

  static String legend(int x, int y, String color, String text) {
    return String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s"
        + "</text>%n", x + 5, y - 4, color, x + 14, y, escape(text));
  }

  static String label(double ms) {
    return ms >= 1000 ? String.format(Locale.ROOT, "%.0fs", ms / 1000) : String.format(Locale.ROOT, "%.0f", ms);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
