package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The spec-only CAS: which fields are tested, with which values, and which 422s mean "spec changed". */
class SpecPatchTest {

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final MultiClusterLeaseSpec NEXT = new MultiClusterLeaseSpec("me", 15,
      MicroTimes.of(Instant.parse("2026-03-01T12:00:02.5Z")), 10_000L, "instance-2");

  @Test
  void testsTheThreeFieldsTheLocalElectionDecidesOnThenReplacesSpec() {
    MultiClusterLeaseSpec seen = new MultiClusterLeaseSpec("other", 15,
        MicroTimes.of(Instant.parse("2026-03-01T12:00:00.000001Z")), 10_000L, "instance-1");

    assertThat(SpecPatch.of(seen, NEXT, JSON)).isEqualTo("["
        + "{\"op\":\"test\",\"path\":\"/spec/holderIdentity\",\"value\":\"other\"},"
        + "{\"op\":\"test\",\"path\":\"/spec/holderInstance\",\"value\":\"instance-1\"},"
        + "{\"op\":\"test\",\"path\":\"/spec/renewTime\",\"value\":\"2026-03-01T12:00:00.000001Z\"},"
        + "{\"op\":\"add\",\"path\":\"/spec\",\"value\":{\"holderIdentity\":\"me\",\"leaseDurationSeconds\":15,"
        + "\"renewTime\":\"2026-03-01T12:00:02.500000Z\",\"renewDeadlineMilliseconds\":10000,"
        + "\"holderInstance\":\"instance-2\"}}]");
  }

  @Test
  void absentFieldsAreTestedAsNullAndAMissingSpecAsAWhole() {
    // a release (no instance) or a client before 0.2 (neither instance nor deadline)
    MultiClusterLeaseSpec released = new MultiClusterLeaseSpec("", 15, null);
    assertThat(SpecPatch.of(released, NEXT, JSON)).startsWith("["
        + "{\"op\":\"test\",\"path\":\"/spec/holderIdentity\",\"value\":\"\"},"
        + "{\"op\":\"test\",\"path\":\"/spec/holderInstance\",\"value\":null},"
        + "{\"op\":\"test\",\"path\":\"/spec/renewTime\",\"value\":null},"
        + "{\"op\":\"add\",\"path\":\"/spec\",");

    assertThat(SpecPatch.of(null, NEXT, JSON)).startsWith("["
        + "{\"op\":\"test\",\"path\":\"/spec\",\"value\":null},{\"op\":\"add\",\"path\":\"/spec\",");
  }

  @Test
  void onlyAFailedTestIsAStaleSpecAndItBecomesA409() {
    // what kube-apiserver 1.37 answers a failed test (ApiSemanticsContract checks it on the real server)
    KubernetesClientException failedTest = refused(422, new StatusBuilder().withCode(422).withReason("Invalid")
        .withMessage("the server rejected our request due to an error in our request").withNewDetails().endDetails()
        .build());
    KubernetesClientException schema = refused(422, new StatusBuilder().withCode(422).withReason("Invalid")
        .withMessage("MultiClusterLease.mclease.dev \"x\" is invalid: spec.holderIdentity: Too long")
        .withNewDetails().withName("x").withGroup("mclease.dev").withKind("MultiClusterLease")
        .addNewCause().withField("spec.holderIdentity").withReason("FieldValueTooLong").endCause().endDetails()
        .build());

    assertThat(SpecPatch.refusedAsStale(failedTest)).isTrue();
    assertThat(SpecPatch.refusedAsStale(schema)).as("names the object and the cause").isFalse();
    assertThat(SpecPatch.refusedAsStale(refused(409, new StatusBuilder().withCode(409).build()))).as("only 422s")
        .isFalse();
    assertThat(SpecPatch.asConflict(failedTest).getCode()).isEqualTo(409);
    assertThat(SpecPatch.asConflict(failedTest).getMessage()).contains("spec changed since it was read");
  }

  private static KubernetesClientException refused(int code, Status st) {
    return new KubernetesClientException(st.getMessage(), code, st);
  }
}
