package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ControllerConfigTest {

  @Test
  void defaultsAndShortTimingsAreValid() {
    ControllerConfig d = ControllerConfig.defaults("east");
    d.validate();
    assertThat(d.candidateRenewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.candidateRetryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(d.backendTtl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(d.backendRenewInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(d.safetyMargin()).isEqualTo(Duration.ofSeconds(2));
    assertThat(d.retryPeriod()).isEqualTo(d.candidateRetryPeriod());
    assertThat(d.namespaces()).isEmpty();

    ControllerConfig s = ControllerConfig.shortTimings("east");
    s.validate();
    assertThat(s.candidateRenewDeadline()).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.backendTtl()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void kPlusDPlusMMustBeBelowG() {
    ControllerConfig c = ControllerConfig.builder("east").backendTtl(Duration.ofSeconds(14)).build();
    assertThatThrownBy(c::validate).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("K + D + M < G")
        .hasMessageContaining("K=2s + D=10s + M=2s = 14s >= G=14s");
  }

  @Test
  void dPlusRPlusMMustBeBelowG() {
    ControllerConfig c = ControllerConfig.builder("east").backendRenewInterval(Duration.ofMillis(500))
        .candidateRetryPeriod(Duration.ofSeconds(3)).backendTtl(Duration.ofSeconds(15)).build();
    assertThatThrownBy(c::validate).hasMessageContaining("D + R + M < G")
        .hasMessageContaining("D=10s + R=3s + M=2s = 15s >= G=15s");
  }

  @Test
  void otherMistakesAreNamed() {
    assertThatThrownBy(() -> ControllerConfig.builder("").build().validate()).hasMessageContaining("clusterName");
    assertThatThrownBy(() -> ControllerConfig.builder("e").candidateRetryPeriod(Duration.ZERO).build().validate())
        .hasMessageContaining("candidateRetryPeriod (R) must be > 0");
    assertThatThrownBy(() -> ControllerConfig.builder("e").candidateRenewDeadline(Duration.ofSeconds(2)).build()
        .validate()).hasMessageContaining("D=2s must be greater than the candidate retry period R=2s");
    assertThatThrownBy(() -> ControllerConfig.builder("e").safetyMargin(Duration.ofSeconds(-1)).build().validate())
        .hasMessageContaining("safetyMargin (M) must not be negative");
  }

  @Test
  void durationFlagsAcceptHumanUnits() {
    var c = new ControllerMain.DurationConverter();
    assertThat(c.convert("20s")).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.convert("1500ms")).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("PT3S")).isEqualTo(Duration.ofSeconds(3));
    assertThatThrownBy(() -> c.convert("soon")).hasMessageContaining("not a duration");
  }
}
