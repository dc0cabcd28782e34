package dev.mclease.testbed.history;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Draws a {@link History} as an SVG timeline: one row per cluster, a bar per leadership interval coloured by
 * identity and labelled with its fencing token, fault spans shaded across all rows, notes as ticks on top,
 * and a time axis in seconds from the first event.
 */
public final class TimelineRenderer {

  private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
      "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  private static final int LEFT = 140;
  private static final int PLOT = 1000;
  private static final int TOP = 40;
  private static final int ROW = 34;
  private static final int BAR = 22;

  private TimelineRenderer() {
  }

  /** Writes the SVG to {@code file} (parent directories are created). */
  public static void writeSvg(History history, Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, svg(history), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write timeline to " + file, e);
    }
  }

  /** The SVG document as a string. */
  public static String svg(History history) {
    List<HistoryEvent> events = history.events();
    List<LeadershipInterval> intervals = HistoryChecker.intervals(history);
    long t0 = events.isEmpty() ? 0 : events.get(0).tNanos();
    long t1 = events.isEmpty() ? 1 : Math.max(events.get(events.size() - 1).tNanos(), t0 + 1);
    double span = (t1 - t0) / 1e9;

    Set<String> clusters = new LinkedHashSet<>();
    Map<String, String> colours = new LinkedHashMap<>();
    for (HistoryEvent e : events) {
      if (e.cluster() != null) {
        clusters.add(e.cluster());
      }
      if (e.identity() != null && e.type() == HistoryEvent.Type.START) {
        colours.computeIfAbsent(e.identity(), k -> PALETTE[colours.size() % PALETTE.length]);
      }
    }
    List<String> rows = new ArrayList<>(clusters);
    List<HistoryEvent> faultStarts = events.stream().filter(e -> e.type() == HistoryEvent.Type.FAULT_START).toList();
    // fault descriptions are long and faults come close together: number them on the plot, list them below
    int height = TOP + Math.max(rows.size(), 1) * ROW + 60 + 18 * ((colours.size() + 3) / 4)
        + (faultStarts.isEmpty() ? 0 : 10 + 16 * ((faultStarts.size() + 1) / 2));
    int width = LEFT + PLOT + 40;

    StringBuilder s = new StringBuilder();
    s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height));
    s.append("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n");

    int plotBottom = TOP + Math.max(rows.size(), 1) * ROW;
    for (long[] f : HistoryChecker.faults(history)) {
      double x0 = x(f[0], t0, t1);
      double x1 = Math.max(x(f[1], t0, t1), x0 + 1);
      s.append(String.format(Locale.ROOT, "<rect class=\"fault\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
          + "fill=\"#999999\" fill-opacity=\"0.25\"/>\n", x0, TOP - 10, x1 - x0, plotBottom - TOP + 10));
    }
    int faultNo = 0;
    for (HistoryEvent e : events) {
      if (e.type() == HistoryEvent.Type.FAULT_START) {
        faultNo++;
        // alternate two heights so that labels of faults close in time do not overprint each other
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#555555\" font-size=\"10\">"
            + "F%d<title>%s</title></text>\n", x(e.tNanos(), t0, t1) + 2, TOP - 14 - (faultNo % 2) * 11, faultNo,
            esc(e.detail())));
      } else if (e.type() == HistoryEvent.Type.NOTE) {
        double x = x(e.tNanos(), t0, t1);
        s.append(String.format(Locale.ROOT, "<line class=\"note\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
            + "stroke=\"#333333\" stroke-dasharray=\"2,2\"><title>%s</title></line>\n", x, TOP - 10, x, plotBottom,
            esc(e.detail())));
      }
    }

    for (int r = 0; r < rows.size(); r++) {
      int y = TOP + r * ROW;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", LEFT - 8,
          y + ROW / 2 + 4, esc(rows.get(r))));
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>\n",
          LEFT, y + ROW, LEFT + PLOT, y + ROW));
    }
    for (LeadershipInterval i : intervals) {
      int r = rows.indexOf(i.cluster());
      if (r < 0) {
        continue;
      }
      double x0 = x(i.startNanos(), t0, t1);
      double w = Math.max(x(i.endNanos(), t0, t1) - x0, 1);
      int y = TOP + r * ROW + (ROW - BAR) / 2;
      String colour = colours.getOrDefault(i.identity(), PALETTE[0]);
      s.append(String.format(Locale.ROOT, "<rect class=\"leader\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
          + "fill=\"%s\"><title>%s token %d, %.3f s to %.3f s (%s)</title></rect>\n", x0, y, w, BAR, colour,
          esc(i.identity()), i.token(), (i.startNanos() - t0) / 1e9, (i.endNanos() - t0) / 1e9,
          i.endedBy().name().toLowerCase(Locale.ROOT)));
      String label = "#" + i.token();
      if (w > 7 * label.length()) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"white\">%s</text>\n", x0 + 4,
            y + BAR / 2 + 4, esc(label)));
      }
    }

    // Time axis: a "nice" step giving at most about ten ticks.
    double step = niceStep(span / 10);
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", LEFT,
        plotBottom, LEFT + PLOT, plotBottom));
    for (double t = 0; t <= span + 1e-9; t += step) {
      double x = LEFT + PLOT * t / span;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s s</text>\n", x, plotBottom, x, plotBottom + 5, x,
          plotBottom + 18, trim(t)));
    }

    int ly = plotBottom + 40;
    int k = 0;
    for (Map.Entry<String, String> c : colours.entrySet()) {
      int lx = LEFT + (k % 4) * 250;
      int y = ly + (k / 4) * 18;
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\">%s</text>\n", lx, y - 10, c.getValue(), lx + 16, y, esc(c.getKey())));
      k++;
    }
    int fy = ly + 18 * ((colours.size() + 3) / 4) + 10;
    for (int f = 0; f < faultStarts.size(); f++) {
      HistoryEvent e = faultStarts.get(f);
      int fx = LEFT + (f % 2) * (PLOT / 2);
      int y = fy + (f / 2) * 16;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-size=\"11\">F%d  %s s  %s"
          + "</text>\n", fx, y, f + 1, trim((e.tNanos() - t0) / 1e9), esc(e.detail())));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static double x(long t, long t0, long t1) {
    return LEFT + PLOT * (double) (t - t0) / (t1 - t0);
  }

  private static double niceStep(double raw) {
    if (raw <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String trim(double t) {
    String v = String.format(Locale.ROOT, "%.3f", t);
    return v.replaceAll("\\.?0+$", "");
  }

  private static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
