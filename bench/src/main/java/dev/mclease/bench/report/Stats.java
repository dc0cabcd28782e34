package dev.mclease.bench.report;

import java.util.Arrays;

/**
 * Summary statistics of a small sample. Percentiles use the nearest-rank method: the p-th percentile is the
 * smallest sample such that at least p % of the samples are ≤ it — always an observed value, so with fewer
 * than 100 samples p99 is the maximum.
 */
public record Stats(int n, double min, double p50, double p90, double p99, double max, double mean) {

  /** Statistics of {@code samples} (not modified); all NaN when empty. */
  public static Stats of(double[] samples) {
    if (samples.length == 0) {
      return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double[] s = samples.clone();
    Arrays.sort(s);
    return new Stats(s.length, s[0], percentile(s, 50), percentile(s, 90), percentile(s, 99), s[s.length - 1],
        Arrays.stream(s).average().orElse(Double.NaN));
  }

  /**
   * Nearest-rank percentile of sorted samples.
   *
   * @param sorted ascending, non-empty
   * @param p in (0, 100]
   */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  /** {@code a / b}, or NaN when either is missing or b is 0. */
  public static double ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? Double.NaN : a / b;
  }
}
