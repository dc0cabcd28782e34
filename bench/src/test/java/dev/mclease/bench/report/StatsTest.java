package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StatsTest {

  private static final double[] ONE_TO_TEN = {7, 3, 10, 1, 5, 2, 9, 4, 8, 6};

  @Test
  void nearestRankPercentilesAreObservedSamples() {
    Stats s = Stats.of(ONE_TO_TEN);
    assertThat(s.n()).isEqualTo(10);
    assertThat(s.p50()).isEqualTo(5);
    assertThat(s.p90()).isEqualTo(9);
    assertThat(s.p99()).isEqualTo(10);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.max()).isEqualTo(10);
    assertThat(s.mean()).isEqualTo(5.5);
  }

  @Test
  void withFewerThanAHundredSamplesP99IsTheMaximum() {
    assertThat(Stats.of(new double[] {120, 80, 300, 90}).p99()).isEqualTo(300);
  }

  @Test
  void aHundredSamplesGiveTheNinetyNinthAsP99() {
    double[] v = new double[100];
    for (int i = 0; i < 100; i++) {
      v[i] = i + 1;
    }
    assertThat(Stats.of(v).p99()).isEqualTo(99);
    assertThat(Stats.of(v).p50()).isEqualTo(50);
  }

  @Test
  void oneSampleIsEveryPercentile() {
    Stats s = Stats.of(new double[] {42});
    assertThat(s.p50()).isEqualTo(42);
    assertThat(s.p99()).isEqualTo(42);
  }

  @Test
  void inputIsNotReordered() {
    double[] v = {3, 1, 2};
    Stats.of(v);
    assertThat(v).containsExactly(3, 1, 2);
  }

  @Test
  void noSamplesGiveNaNAndBadPercentilesAreRefused() {
    assertThat(Stats.of(new double[0]).p50()).isNaN();
    assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 101)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ratioIsNaNWhenAFigureIsMissing() {
    assertThat(Stats.ratio(200, 1000)).isEqualTo(0.2);
    assertThat(Stats.ratio(Double.NaN, 1)).isNaN();
    assertThat(Stats.ratio(1, 0)).isNaN();
  }
}
