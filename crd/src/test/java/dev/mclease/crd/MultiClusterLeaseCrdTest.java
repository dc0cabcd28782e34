package dev.mclease.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MultiClusterLeaseCrdTest {

  private final CustomResourceDefinition crd = MultiClusterLeaseCrd.definition();
  private final CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);

  @Test
  void checkedInCopyIsIdenticalToTheGeneratedOne() throws IOException {
    Path checkedIn = Path.of(System.getProperty("mclease.crd.checkedIn",
        "multiclusterleases.mclease.dev-v1.yml"));
    assertThat(Files.readString(checkedIn, StandardCharsets.UTF_8))
        .as("crd/%s is stale: copy crd/target/classes%s over it", checkedIn.getFileName(),
            MultiClusterLeaseCrd.RESOURCE)
        .isEqualTo(MultiClusterLeaseCrd.yaml());
  }

  @Test
  void namesGroupVersionAndScope() {
    assertThat(crd.getMetadata().getName()).isEqualTo("multiclusterleases.mclease.dev");
    assertThat(crd.getSpec().getGroup()).isEqualTo("mclease.dev");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo("MultiClusterLease");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("mcl");
    assertThat(version.getName()).isEqualTo("v1alpha1");
    assertThat(version.getServed()).isTrue();
    assertThat(version.getStorage()).isTrue();
  }

  @Test
  void hasStatusSubresource() {
    assertThat(version.getSubresources()).isNotNull();
    assertThat(version.getSubresources().getStatus()).isNotNull();
  }

  @Test
  void validatesSpec() {
    JSONSchemaProps spec = version.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    JSONSchemaProps duration = spec.getProperties().get("leaseDurationSeconds");
    assertThat(duration.getType()).isEqualTo("integer");
    assertThat(duration.getMinimum()).isEqualTo(1.0);
    assertThat(duration.getMaximum()).isEqualTo(3600.0);
    assertThat(spec.getProperties().get("holderIdentity").getMaxLength()).isEqualTo(253L);
    assertThat(spec.getProperties().get("renewTime").getType()).isEqualTo("string");
    // published by clients from 0.2 on; optional, so objects of older clients stay valid
    assertThat(spec.getProperties().get("renewDeadlineMilliseconds").getType()).isEqualTo("integer");
    assertThat(spec.getProperties().get("renewDeadlineMilliseconds").getMinimum()).isEqualTo(1.0);
    assertThat(spec.getProperties().get("holderInstance").getMaxLength()).isEqualTo(64L);
    assertThat(spec.getRequired()).doesNotContain("renewDeadlineMilliseconds", "holderInstance");
  }

  @Test
  void statusCarriesEveryContractField() {
    JSONSchemaProps status = version.getSchema().getOpenAPIV3Schema().getProperties().get("status");
    assertThat(status.getProperties()).containsOnlyKeys("leader", "acquireTime", "conditions", "fencingToken",
        "observedRenewTime", "confirmationWindowMilliseconds", "leaderCluster", "observedGeneration");
    assertThat(status.getProperties().get("fencingToken").getType()).isEqualTo("integer");
    assertThat(status.getProperties().get("confirmationWindowMilliseconds").getType()).isEqualTo("integer");
    assertThat(status.getProperties().get("conditions").getItems().getSchema().getProperties())
        .containsKeys("type", "status", "reason", "message", "lastTransitionTime", "observedGeneration");
  }

  @Test
  void printerColumns() {
    List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
    assertThat(columns.stream().collect(Collectors.toMap(CustomResourceColumnDefinition::getName,
        CustomResourceColumnDefinition::getJsonPath)))
        .containsEntry("Holder", ".spec.holderIdentity")
        .containsEntry("Leader", ".status.leader")
        .containsEntry("Cluster", ".status.leaderCluster")
        .containsEntry("Token", ".status.fencingToken")
        .containsEntry("Age", ".metadata.creationTimestamp")
        .hasSize(5);
  }
}
