package dev.mclease.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultiClusterLeaseSerializationTest {

  @Test
  void microTimeKeepsMicrosecondsInRfc3339AsTheApiServerWritesIt() {
    Instant instant = Instant.parse("2026-11-24T10:15:30.123456789Z");
    MicroTime time = MicroTimes.of(instant);
    assertThat(time.getTime()).isEqualTo("2026-11-24T10:15:30.123456Z");
    assertThat(MicroTimes.toInstant(time)).isEqualTo(Instant.parse("2026-11-24T10:15:30.123456Z"));
  }

  @Test
  void microTimePadsWholeSecondsToSixDigits() {
    assertThat(MicroTimes.of(Instant.parse("2026-11-24T10:15:30Z")).getTime())
        .isEqualTo("2026-11-24T10:15:30.000000Z");
  }

  @Test
  void microTimeReadsOtherRfc3339Forms() {
    assertThat(MicroTimes.toInstant(new MicroTime("2026-11-24T11:15:30.5+01:00")))
        .isEqualTo(Instant.parse("2026-11-24T10:15:30.500Z"));
    assertThat(MicroTimes.toInstant(null)).isNull();
    assertThatThrownBy(() -> MicroTimes.toInstant(new MicroTime("yesterday")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("yesterday");
  }

  @Test
  void resourceRoundTripsThroughJsonUnchanged() {
    MultiClusterLease lease = new MultiClusterLease();
    lease.getMetadata().setName("my-operator");
    lease.getMetadata().setNamespace("ops");
    lease.setSpec(new MultiClusterLeaseSpec("pod-a", 15, new MicroTime("2026-11-24T10:15:30.123456Z")));
    MultiClusterLeaseStatus status = new MultiClusterLeaseStatus();
    status.setLeader("pod-a");
    status.setLeaderCluster("east");
    status.setFencingToken(42L);
    status.setAcquireTime(new MicroTime("2026-11-24T10:15:00.000001Z"));
    status.setObservedRenewTime(new MicroTime("2026-11-24T10:15:30.123456Z"));
    status.setObservedGeneration(3L);
    status.setConditions(List.of(new ConditionBuilder().withType(Conditions.LEADER).withStatus(Conditions.TRUE)
        .withReason(Conditions.REASON_ACQUIRED).withMessage("m").withLastTransitionTime("2026-11-24T10:15:00Z")
        .build()));
    lease.setStatus(status);

    String json = Serialization.asJson(lease);
    assertThat(json).contains("\"apiVersion\":\"mclease.dev/v1alpha1\"", "\"kind\":\"MultiClusterLease\"",
        "\"renewTime\":\"2026-11-24T10:15:30.123456Z\"", "\"fencingToken\":42");
    MultiClusterLease back = Serialization.unmarshal(json, MultiClusterLease.class);
    assertThat(back.getSpec()).isEqualTo(lease.getSpec());
    assertThat(back.getStatus()).isEqualTo(lease.getStatus());
    assertThat(back.getStatus().condition(Conditions.LEADER)).isPresent();
  }

  @Test
  void releasedSpecOmitsNothingButNulls() {
    MultiClusterLeaseSpec released = new MultiClusterLeaseSpec("", 15, null);
    assertThat(Serialization.asJson(released)).isEqualTo("{\"holderIdentity\":\"\",\"leaseDurationSeconds\":15}");
  }
}
