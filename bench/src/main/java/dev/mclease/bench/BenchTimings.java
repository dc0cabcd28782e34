package dev.mclease.bench;

import dev.mclease.testbed.fleet.Timings;

/** The two timing sets the benchmarks run with, by the name used in their {@code timings} parameter. */
public final class BenchTimings {

  private BenchTimings() {
  }

  /** "fast" = {@link Timings#fast()} (L=2s D=1.5s R=0.2s, G=3s), "defaults" = {@link Timings#defaults()}. */
  public static Timings named(String name) {
    switch (name) {
      case "fast":
        return Timings.fast();
      case "defaults":
        return Timings.defaults();
      default:
        throw new IllegalArgumentException("unknown timings '" + name + "': use fast or defaults");
    }
  }
}
