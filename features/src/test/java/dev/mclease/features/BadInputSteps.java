package dev.mclease.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.client.CandidateRunner;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.controller.backend.etcd.EtcdBackendConfig;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.cluster.EmbeddedCluster;
import dev.mclease.testbed.cluster.K3sCluster;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.kube.KubeBinaries;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Input nobody should have written: invalid specs, garbage in etcd, a missing CRD, a candidate writing status. */
public final class BadInputSteps {

  private static final Duration POLL = Duration.ofMillis(50);

  private final World world;
  private final List<Condition> lastConditions = new ArrayList<>();
  private final List<KubernetesClientException> writeRefusals = new ArrayList<>();
  private int writes;

  public BadInputSteps(World world) {
    this.world = world;
  }

  // ------------------------------------------------------------------------------------------ invalid spec

  @When("^someone writes the lease \"([^\"]+)/([^\"]+)\" straight into every cluster with "
      + "(leaseDurationSeconds|holderIdentity) (.+)$")
  public void writeInvalidSpec(String namespace, String name, String field, String value) {
    MultiClusterLeaseSpec spec = new MultiClusterLeaseSpec("intruder", 15, MicroTimes.of(Instant.now()));
    if (field.equals("leaseDurationSeconds")) {
      spec.setLeaseDurationSeconds(Integer.parseInt(value));
    } else {
      int length = Integer.parseInt(value.replaceAll("\\D", ""));
      spec.setHolderIdentity("x".repeat(length));
    }
    writeRefusals.clear();
    writes = 0;
    for (ClusterNode n : world.fleet().clusters()) {
      MultiClusterLease lease = new MultiClusterLease();
      lease.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
      lease.setSpec(spec);
      writes++;
      try {
        // through the cluster's own client, around every candidate: no candidate would write this
        n.cluster().client().resources(MultiClusterLease.class).inNamespace(namespace).resource(lease).create();
      } catch (KubernetesClientException e) {
        writeRefusals.add(e);
      }
    }
  }

  @Then("every API server refuses it with {int} Invalid, naming {string}")
  public void everyApiServerRefuses(int code, String field) {
    assertThat(writeRefusals).as("refusals").hasSize(writes);
    for (KubernetesClientException e : writeRefusals) {
      assertThat(e.getCode()).as("HTTP status of %s", e.getMessage()).isEqualTo(code);
      assertThat(e.getStatus().getMessage()).contains(field);
    }
  }

  @Then("every API server accepts it")
  public void everyApiServerAccepts() {
    assertThat(writeRefusals).as("refusals").isEmpty();
    assertThat(writes).as("writes").isPositive();
  }

  /**
   * Replaces the CRD with a copy whose schema accepts any spec and status (as an old or hand-edited CRD would):
   * the API server no longer stands between bad input and the controller.
   */
  @When("the MultiClusterLease CRD in every cluster is replaced by one without a validation schema")
  public void crdWithoutSchema() {
    for (ClusterNode n : world.fleet().clusters()) {
      var crds = n.cluster().client().apiextensions().v1().customResourceDefinitions();
      CustomResourceDefinition crd = crds.withName(MultiClusterLease.CRD_NAME).get();
      JSONSchemaProps anything = new JSONSchemaPropsBuilder().withType("object")
          .withXKubernetesPreserveUnknownFields(true).build();
      JSONSchemaProps open = new JSONSchemaPropsBuilder().withType("object")
          .addToProperties("spec", anything).addToProperties("status", anything).build();
      crd.getSpec().getVersions().forEach(v -> v.getSchema().setOpenAPIV3Schema(open));
      crds.resource(crd).update();
    }
  }

  @Then("within {int} second(s) every controller reports condition {word} {word} with reason {word} on {string}")
  public void everyControllerReports(int seconds, String type, String status, String reason, String lease) {
    String[] nsName = lease.split("/");
    lastConditions.clear();
    for (ClusterNode n : world.fleet().clusters()) {
      lastConditions.add(awaitCondition(n.cluster(), nsName[0], nsName[1], type, status, reason, seconds));
    }
  }

  @Then("the old leader's controller reports condition {word} {word} with reason {word}")
  public void oldLeadersControllerReports(String type, String status, String reason) {
    Cluster cluster = world.fleet().cluster(world.oldLeader.clusterName()).cluster();
    lastConditions.clear();
    lastConditions.add(awaitCondition(cluster, world.fleet().namespace(), world.fleet().leaseName(), type, status,
        reason, 5));
  }

  @Then("that condition's message names {string}")
  public void conditionMessageNames(String text) {
    assertThat(lastConditions).as("conditions read").isNotEmpty();
    for (Condition c : lastConditions) {
      assertThat(c.getMessage()).as("message of condition %s", c.getType()).contains(text);
    }
  }

  private Condition awaitCondition(Cluster cluster, String namespace, String name, String type, String status,
      String reason, int seconds) {
    Condition[] seen = new Condition[1];
    await("condition " + type + "=" + status + " reason " + reason + " on " + namespace + "/" + name + " in "
        + cluster.name()).atMost(Duration.ofSeconds(seconds)).pollInterval(POLL).untilAsserted(() -> {
          MultiClusterLease lease = cluster.client().resources(MultiClusterLease.class).inNamespace(namespace)
              .withName(name).get();
          assertThat(lease).as("the lease").isNotNull();
          MultiClusterLeaseStatus st = lease.getStatus();
          assertThat(st).as("status of %s/%s in %s", namespace, name, cluster.name()).isNotNull();
          Optional<Condition> c = st.condition(type);
          assertThat(c).as("condition %s in %s", type, st).isPresent();
          assertThat(c.get().getStatus()).as("status of %s", c.get()).isEqualTo(status);
          assertThat(c.get().getReason()).as("reason of %s", c.get()).isEqualTo(reason);
          seen[0] = c.get();
        });
    return seen[0];
  }

  // ------------------------------------------------------------------------------------------------ etcd

  @Then("nobody holds {string} in etcd")
  public void nobodyHolds(String lease) throws Exception {
    assertThat(etcdValue(lease)).as("backend key of %s", lease).isEmpty();
  }

  @Given("the lease's key in etcd holds {string} written straight into etcd")
  public void malformedValue(String value) {
    String lease = world.fleet().namespace() + "/" + world.fleet().leaseName();
    Client etcd = etcd();
    ByteSequence key = key(lease);
    world.inject("malformed", Fault.simple("malformed value in etcd at " + key, () -> {
      try {
        etcd.getKVClient().put(key, ByteSequence.from(value, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("could not write into etcd", e);
      }
    }, () -> {
      try {
        etcd.getKVClient().delete(key).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("could not delete from etcd", e);
      }
    }));
  }

  @Then("the lease's key in etcd still holds {string}")
  public void stillHolds(String value) throws Exception {
    assertThat(etcdValue(world.fleet().namespace() + "/" + world.fleet().leaseName())).contains(value);
  }

  @When("the malformed value is deleted from etcd")
  public void deleteMalformed() {
    world.heal("malformed");
  }

  private Optional<String> etcdValue(String lease) throws Exception {
    List<KeyValue> kvs = etcd().getKVClient().get(key(lease)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0).getValue().toString(StandardCharsets.UTF_8));
  }

  private Client etcdClient;

  private Client etcd() {
    if (etcdClient == null) {
      etcdClient = world.closeLater(Client.builder().endpoints(world.fleet().etcd().endpoints().toArray(String[]::new))
          .build());
    }
    return etcdClient;
  }

  private static ByteSequence key(String lease) {
    return ByteSequence.from(EtcdBackendConfig.DEFAULT_KEY_PREFIX + "/" + lease, StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------- start, CRD

  @Given("the MultiClusterLease CRD is not installed in {string}")
  public void noCrd(String cluster) {
    Cluster c = world.fleet().cluster(cluster).cluster();
    if (c instanceof ApiServerCluster real) {
      real.uninstallCrd();
    } else {
      assertThat(c).as("cluster %s", cluster).isInstanceOf(EmbeddedCluster.class);
      ((EmbeddedCluster) c).uninstallCrd();
    }
  }

  /** Starts every controller, then every candidate; a component that refuses to start is remembered, not fatal. */
  @When("the controllers and candidates start")
  public void start() {
    world.markEvent();
    for (ClusterNode n : world.fleet().clusters()) {
      try {
        n.controller().start();
      } catch (RuntimeException e) {
        world.startFailures.put(n.name(), e);
      }
    }
    world.fleet().candidates().forEach(CandidateNode::start);
  }

  @Then("the controller of {string} refused to start with an error naming {string}")
  public void controllerRefused(String cluster, String text) {
    assertThat(world.startFailures).as("controllers that refused to start").containsKey(cluster);
    assertThat(world.startFailures.get(cluster)).hasMessageContaining(text);
    assertThat(world.fleet().cluster(cluster).controller().isRunning()).as("controller of %s running", cluster)
        .isFalse();
  }

  @Then("within {int} second(s) the candidate in {string} reports a problem naming {string}")
  public void candidateProblem(int seconds, String cluster, String text) {
    CandidateNode c = world.fleet().cluster(cluster).candidates().get(0);
    await(c + " to report a problem naming '" + text + "'").atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .untilAsserted(() -> assertThat(c.lock().problem()).as("problem of %s", c).hasValueSatisfying(
            p -> assertThat(p).contains(text)));
    assertThat(c.isLeader()).as("%s leading", c).isFalse();
  }

  // ---------------------------------------------------------------------------------------------- RBAC

  /** Where the deploy manifests are, from this module's directory (the RoleBinding pattern and the ClusterRole). */
  private static final Path DEPLOY = Path.of(System.getProperty("mclease.deploy.dir", "../controller/deploy"));

  private final List<KubernetesClientException> statusRefusals = new ArrayList<>();
  private String serviceAccountUser;
  private MultiClusterLeaseLock saLock;
  private CandidateRunner saRunner;
  private String saNamespace;
  private String saRole;
  private Cluster saCluster;

  /**
   * Gives a candidate ServiceAccount exactly what docs/deploy.md prescribes (the ClusterRole mclease-candidate of
   * controller/deploy, bound in the lease's namespace as examples/candidate-rolebinding.yaml does), then tries, with
   * that account's own token from the TokenRequest API, to write the lease's status by update and by patch.
   */
  @When("the candidate's service account tries to write the lease's status")
  public void candidateWritesStatus() {
    Cluster cluster = world.fleet().clusters().get(0).cluster();
    String ns = world.fleet().namespace();
    String sa = "candidate";
    KubernetesClient admin = cluster.client();
    admin.resource(manifest("clusterrole-candidate.yaml")).forceConflicts().serverSideApply();
    bind(admin, ns, sa, "ClusterRole", "mclease-candidate");
    serviceAccountUser = "system:serviceaccount:" + ns + ":" + sa;
    try (KubernetesClient asCandidate = asServiceAccount(cluster, ns, sa)) {
      awaitAllowed(asCandidate, ns, "get");
      var leases = asCandidate.resources(MultiClusterLease.class).inNamespace(ns);
      MultiClusterLease lease = leases.withName(world.fleet().leaseName()).get();
      assertThat(lease).as("the candidate may read the lease").isNotNull();
      assertThat(lease.getStatus()).as("the status its controller wrote").isNotNull();
      lease.getStatus().setLeader("someone-else");
      statusRefusals.clear();
      statusRefusals.add(catchThrowableOfType(KubernetesClientException.class,
          () -> leases.resource(lease).updateStatus()));
      statusRefusals.add(catchThrowableOfType(KubernetesClientException.class,
          () -> leases.withName(world.fleet().leaseName()).subresource("status").patch(
              PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"leader\":\"someone-else\"}}")));
    }
  }

  @Then("the API server refuses it with 403 Forbidden")
  public void refusedForbidden() {
    assertThat(statusRefusals).as("the status writes as the candidate (update, patch)").hasSize(2);
    for (KubernetesClientException e : statusRefusals) {
      assertThat(e).as("a status write as the candidate").isNotNull();
      assertThat(e.getCode()).as("HTTP status of %s", e.getMessage()).isEqualTo(403);
      assertThat(e.getStatus().getMessage()).contains("User \"" + serviceAccountUser + "\" cannot")
          .contains("resource \"multiclusterleases/status\"");
    }
  }

  /**
   * Starts a candidate of the fleet's lease in {@code cluster} that is not one of the fleet's: it talks to its API
   * server as a ServiceAccount of its own whose Role is the mclease-candidate rule without {@code verb}.
   */
  @When("a candidate starts in {string} as a service account whose Role lacks {string}")
  public void serviceAccountCandidate(String clusterName, String verb) {
    saCluster = world.fleet().cluster(clusterName).cluster();
    saNamespace = world.fleet().namespace();
    String sa = "operator-" + clusterName;
    saRole = sa;
    serviceAccountUser = "system:serviceaccount:" + saNamespace + ":" + sa;
    KubernetesClient admin = saCluster.client();
    PolicyRule granted = candidateRule();
    assertThat(granted.getVerbs()).as("the candidate's ClusterRole").contains(verb);
    admin.rbac().roles().inNamespace(saNamespace).resource(new RoleBuilder().withNewMetadata().withName(sa)
        .endMetadata().withRules(new PolicyRuleBuilder(granted).withVerbs(granted.getVerbs().stream()
            .filter(v -> !v.equals(verb)).toList()).build()).build()).create();
    bind(admin, saNamespace, sa, "Role", sa);
    KubernetesClient client = world.closeLater(asServiceAccount(saCluster, saNamespace, sa));
    awaitAllowed(client, saNamespace, "get");
    Timings t = world.timings();
    saLock = MultiClusterLeaseLock.builder(saNamespace, world.fleet().leaseName(), sa + "-1")
        .leaseDuration(t.leaseDuration()).renewDeadline(t.renewDeadline()).retryPeriod(t.retryPeriod()).build();
    saRunner = world.closeLater(CandidateRunner.builder(client, saLock).build());
    saRunner.start();
  }

  @Then("within {int} second(s) that candidate reports a problem naming {string}")
  public void serviceAccountCandidateProblem(int seconds, String text) {
    await("the service-account candidate to report a problem naming '" + text + "'")
        .atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .untilAsserted(() -> assertThat(saLock.problem()).hasValueSatisfying(p -> assertThat(p).contains(text)));
    assertThat(saRunner.isLeader()).as("the service-account candidate leading").isFalse();
  }

  @Then("that problem names the rule to grant and quotes the API server's 403 for its service account")
  public void problemNamesTheRuleAndTheServer() {
    assertThat(saLock.problem()).hasValueSatisfying(p -> assertThat(p)
        .contains("grant the candidate's ServiceAccount a Role with the rule {apiGroups: [\"mclease.dev\"], "
            + "resources: [\"multiclusterleases\"], verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\", \"patch\"]}")
        .contains("Server said: ")
        .contains("User \"" + serviceAccountUser + "\" cannot create resource \"multiclusterleases\" in API group "
            + "\"mclease.dev\" in the namespace \"" + saNamespace + "\""));
  }

  @When("that candidate's Role is given {string}")
  public void grant(String verb) {
    saCluster.client().rbac().roles().inNamespace(saNamespace).withName(saRole).edit(r -> {
      PolicyRule rule = r.getRules().get(0);
      List<String> verbs = new ArrayList<>(rule.getVerbs());
      verbs.add(verb);
      return new RoleBuilder(r).withRules(new PolicyRuleBuilder(rule).withVerbs(verbs).build()).build();
    });
  }

  @Then("within {int} second(s) that candidate's problem clears, and it does not lead")
  public void problemClears(int seconds) {
    await("the service-account candidate's problem to clear").atMost(Duration.ofSeconds(seconds)).pollInterval(POLL)
        .untilAsserted(() -> assertThat(saLock.problem()).as("problem").isEmpty());
    assertThat(saRunner.isLeader()).as("the service-account candidate leading").isFalse();
  }

  /**
   * A client acting as ServiceAccount {@code ns/sa}: on a real API server with a token from its TokenRequest API; on
   * k3s through the admin's impersonation. The embedded mock has no RBAC, so the scenario is skipped there.
   */
  private static KubernetesClient asServiceAccount(Cluster cluster, String ns, String sa) {
    if (cluster instanceof ApiServerCluster real) {
      return real.newClientAs(ns, sa, real.apiServer());
    }
    assumeTrue(cluster instanceof K3sCluster, "RBAC needs a real API server (" + KubeBinaries.INSTALL_HINT + ")");
    KubernetesClient admin = cluster.client();
    admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(sa)
        .endMetadata().build()).serverSideApply();
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
        .withImpersonateUsername("system:serviceaccount:" + ns + ":" + sa)
        .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + ns).build()).build();
  }

  /** A RoleBinding of {@code kind/role} to ServiceAccount {@code ns/sa}, as examples/candidate-rolebinding.yaml. */
  private static void bind(KubernetesClient admin, String ns, String sa, String kind, String role) {
    RoleBinding example = (RoleBinding) manifest("examples/candidate-rolebinding.yaml");
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder(example).editMetadata()
        .withName(sa + "-" + role).withNamespace(ns).endMetadata().editRoleRef().withKind(kind).withName(role)
        .endRoleRef().withSubjects(new SubjectBuilder(example.getSubjects().get(0)).withName(sa).withNamespace(ns)
            .build()).build()).serverSideApply();
  }

  /** The RBAC authorizer reads bindings from an informer: wait until it judges by the new ones. */
  private static void awaitAllowed(KubernetesClient as, String ns, String verb) {
    await("RBAC to let " + verb + " multiclusterleases in " + ns).atMost(Duration.ofSeconds(10)).pollInterval(POLL)
        .until(() -> Boolean.TRUE.equals(as.authorization().v1().selfSubjectAccessReview().create(
            new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                .withGroup(MultiClusterLease.GROUP).withResource(MultiClusterLease.PLURAL).withVerb(verb)
                .withNamespace(ns).endResourceAttributes().endSpec().build()).getStatus().getAllowed()));
  }

  private static PolicyRule candidateRule() {
    List<PolicyRule> rules = ((ClusterRole) manifest("clusterrole-candidate.yaml")).getRules();
    assertThat(rules).as("rules of the candidate's ClusterRole").hasSize(1);
    return rules.get(0);
  }

  private static HasMetadata manifest(String file) {
    try {
      return new KubernetesSerialization().unmarshal(Files.readString(DEPLOY.resolve(file)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DEPLOY.resolve(file).toAbsolutePath(), e);
    }
  }
}
