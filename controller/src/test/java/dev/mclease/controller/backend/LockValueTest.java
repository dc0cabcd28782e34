package dev.mclease.controller.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class LockValueTest {

  @Test
  void roundTripsTheProtocolJson() {
    LockValue v = new LockValue("pod-a", "east", Instant.parse("2026-03-01T10:00:00.123456Z"));
    assertThat(v.toJson()).isEqualTo("{\"holder\":\"pod-a\",\"cluster\":\"east\",\"acquiredAt\":\"2026-03-01T10:00:00.123456Z\"}");
    assertThat(LockValue.fromJson(v.toJson())).isEqualTo(v);
    assertThat(LockValue.fromJson("{\"holder\":\"a\",\"cluster\":\"b\",\"acquiredAt\":\"2026-03-01T11:00:00+01:00\"}")
        .acquiredAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
  }

  @Test
  void rejectsAnythingElse() {
    assertThatThrownBy(() -> LockValue.fromJson("garbage")).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> LockValue.fromJson("[1]")).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> LockValue.fromJson("{\"holder\":\"a\",\"cluster\":\"b\"}"))
        .hasMessageContaining("acquiredAt");
    assertThatThrownBy(() -> LockValue.fromJson("{\"holder\":\"a\",\"cluster\":\"b\",\"acquiredAt\":\"now\"}"))
        .hasMessageContaining("RFC 3339");
    assertThatThrownBy(() -> LockValue.fromJson("{\"holder\":\"\",\"cluster\":\"b\",\"acquiredAt\":\"2026-03-01T10:00:00Z\"}"))
        .hasMessageContaining("empty");
  }
}
