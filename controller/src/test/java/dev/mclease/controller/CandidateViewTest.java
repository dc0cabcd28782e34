package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.MicroTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Liveness judged by observation on this process's clock (L = 2 s here), times in milliseconds. */
class CandidateViewTest {

  private static final long MS = 1_000_000L;

  @Test
  void aDeletedObjectWithoutLeaseDurationIsNeitherAliveNorAnError() {
    // it was invalid while it existed (never contended); its deletion used to throw a NullPointerException
    CandidateView v = CandidateView.of(new MultiClusterLeaseSpec("pod-a", null, null), 0, 1, true, false);
    assertThat(v.alive()).isFalse();
    assertThat(v.candidate()).isNull();
  }

  @ParameterizedTest(name = "holder '{0}', L {1}, silent for {2} ms, deleted {3}, stopping {4}")
  @CsvSource({
      // holder, L, silent for, deleted, stopping, alive, candidate, invalid
      "pod-a, 2, 0,    false, false, true,  pod-a, false",
      "pod-a, 2, 1999, false, false, true,  pod-a, false",
      "pod-a, 2, 2000, false, false, false, ,      false",  // exactly L of silence: no longer alive
      "'',    2, 0,    false, false, false, ,      false",  // no candidate
      "pod-a, 2, 0,    false, true,  true,  ,      false",  // alive, but not contended while stopping
      "pod-a, 2, 0,    true,  false, true,  ,      false",  // nor once deleted
      "pod-a, 0, 0,    false, false, false, ,      true",   // leaseDurationSeconds out of range
  })
  void aliveWhileTheHeartbeatChangedWithinL(String holder, int leaseSeconds, long silentMs, boolean deleted,
      boolean stopping, boolean alive, String candidate, boolean invalid) {
    MultiClusterLeaseSpec spec = new MultiClusterLeaseSpec(holder, leaseSeconds,
        new MicroTime("2099-01-01T00:00:00.000000Z")); // the value is never compared with a clock
    long seen = 7_000 * MS;
    CandidateView v = CandidateView.of(spec, seen, seen + silentMs * MS, deleted, stopping);
    assertThat(v.alive()).isEqualTo(alive);
    assertThat(v.candidate()).isEqualTo(candidate);
    assertThat(v.invalid() != null).isEqualTo(invalid);
    assertThat(v.holder()).isEqualTo(holder);
    if (alive) {
      assertThat(v.aliveUntilNanos()).isEqualTo(seen + leaseSeconds * 1000L * MS);
    }
  }
}
