package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HandOverTest {

  private static final long L = 2_000_000_000L;
  private final HandOver east = new HandOver("east");

  private static HandOver.Request req(Map<String, String> annotations) {
    return HandOver.Request.of(annotations);
  }

  @Test
  void annotationsAreReadAndUnreadableOnesAskNothing() {
    assertThat(req(null)).isEqualTo(HandOver.Request.NONE);
    assertThat(req(Map.of(HandOver.RELEASE_TOKEN, " 42 ", HandOver.PREFERRED_CLUSTER, " west ")))
        .isEqualTo(new HandOver.Request(OptionalLong.of(42), "west"));
    assertThat(req(Map.of(HandOver.RELEASE_TOKEN, "forty-two", HandOver.PREFERRED_CLUSTER, "  ")))
        .isEqualTo(HandOver.Request.NONE);
  }

  @Test
  void aReleaseStepsDownOnlyTheAcquisitionWithThatTokenThenHoldsBackForL() {
    HandOver.Request r = req(Map.of(HandOver.RELEASE_TOKEN, "7"));
    assertThat(east.stepDown(r, 6, 0, L)).as("another acquisition").isNull();
    assertThat(east.stepDown(r, 7, 0, L)).isEqualTo(ReleaseReason.OPERATOR_RELEASE);
    assertThat(east.acquireFrom(r, 10, L)).as("no hold-back before the release").isEqualTo(10);
    east.released(ReleaseReason.OPERATOR_RELEASE, 100, L);
    assertThat(east.acquireFrom(r, 100, L)).isEqualTo(100 + L);
    assertThat(east.acquireFrom(r, 100 + L, L)).isEqualTo(100 + L);
    assertThat(east.stepDown(r, 8, 100 + L, L)).as("the next acquisition keeps its key").isNull();
  }

  @Test
  void otherReleasesDoNotHoldBack() {
    east.released(ReleaseReason.HOLDER_CHANGED, 100, L);
    assertThat(east.acquireFrom(HandOver.Request.NONE, 100, L)).isEqualTo(100);
  }

  @Test
  void anotherClusterPreferredStepsDownAndHoldsBackFor2LAfterTheFirstSighting() {
    HandOver.Request west = req(Map.of(HandOver.PREFERRED_CLUSTER, "west"));
    assertThat(east.stepDown(west, 7, 1_000, L)).isEqualTo(ReleaseReason.MOVED);
    assertThat(east.acquireFrom(west, 1_500, L)).isEqualTo(1_000 + 2 * L);
    assertThat(east.stepDown(west, 8, 1_000 + 2 * L - 1, L)).isEqualTo(ReleaseReason.MOVED);
    assertThat(east.stepDown(west, 8, 1_000 + 2 * L, L)).as("a preference is honoured for 2L, no longer").isNull();
    assertThat(east.acquireFrom(west, 1_000 + 2 * L, L)).isEqualTo(1_000 + 2 * L);
  }

  @Test
  void theOwnClusterPreferredChangesNothing() {
    HandOver.Request own = req(Map.of(HandOver.PREFERRED_CLUSTER, "east"));
    assertThat(east.stepDown(own, 7, 0, L)).isNull();
    assertThat(east.acquireFrom(own, 0, L)).isEqualTo(0);
  }

  @Test
  void aNewPreferenceIsANewSightingAndRemovingItEndsTheHoldBack() {
    HandOver.Request west = req(Map.of(HandOver.PREFERRED_CLUSTER, "west"));
    HandOver.Request north = req(Map.of(HandOver.PREFERRED_CLUSTER, "north"));
    east.stepDown(west, 7, 0, L);
    assertThat(east.acquireFrom(north, 3 * L, L)).isEqualTo(3 * L + 2 * L);
    assertThat(east.acquireFrom(HandOver.Request.NONE, 3 * L + 1, L)).isEqualTo(3 * L + 1);
  }
}
