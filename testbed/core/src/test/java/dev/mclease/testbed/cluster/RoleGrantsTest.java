package dev.mclease.testbed.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoleGrantsTest {

  @Test
  void aRuleGrantsAVerbOnLeasesOnlyWhereGroupResourceAndVerbAllMatch() {
    var rules = List.of(RoleGrants.onLeases("get", "update"),
        new PolicyRuleBuilder().withApiGroups("").withResources("events").withVerbs("create").build(),
        new PolicyRuleBuilder().withApiGroups("mclease.dev").withResources("multiclusterleases/status")
            .withVerbs("patch").build());
    assertThat(RoleGrants.LEASE_VERBS).filteredOn(v -> RoleGrants.grants(rules, v)).containsExactly("get", "update");
    assertThat(RoleGrants.grants(List.of(), "get")).isFalse();
  }

  @Test
  void freshNamespacesDiffer() {
    assertThat(RoleGrants.freshNamespace()).startsWith("t-").isNotEqualTo(RoleGrants.freshNamespace());
  }
}
