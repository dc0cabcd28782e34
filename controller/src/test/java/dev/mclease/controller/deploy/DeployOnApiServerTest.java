package dev.mclease.controller.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.mclease.client.CandidateRunner;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.controller.ControllerConfig;
import dev.mclease.controller.ElectionController;
import dev.mclease.controller.backend.memory.InMemoryLockStore;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.ApiServerClusterProvider;
import dev.mclease.testbed.kube.KubeBinaries;
import dev.mclease.testbed.kube.Kubectl;
import dev.mclease.testbed.util.TempDirs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

/**
 * {@code controller/deploy} on a real kube-apiserver (RBAC on): {@code kubectl apply -k} as docs/deploy.md says,
 * then every component as its ServiceAccount with a token from the TokenRequest API. The RBAC split is judged by the
 * server: 403s, {@code kubectl auth can-i}, SelfSubjectRulesReview, and the real controller and candidate running with
 * the grants of the manifests — and without one of them, where the message each prints is checked against the
 * server's own 403.
 *
 * <p>One private cluster for the class (the kustomization installs cluster-wide objects and the CRD itself), started
 * without the CRD. Every test works in a namespace of its own and runs its controller for that namespace only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the kubectl apply tests first: the second changes what the first re-applies
class DeployOnApiServerTest {

  private static final Path DEPLOY = Path.of(System.getProperty("mclease.deploy.dir", "deploy")).toAbsolutePath();
  private static final Path DOCS = DEPLOY.resolve("../../docs/deploy.md").normalize();
  private static final String SYSTEM_NS = "mclease-system";
  private static final String CONTROLLER_SA = "mclease-controller";
  private static final String CLUSTER = "deploy";
  private static final Duration RBAC_PROPAGATION = Duration.ofSeconds(10);
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  private static ApiServerClusterProvider provider;
  private static ApiServerCluster cluster;
  private static String firstApply;
  private static Path work;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void applyTheKustomization() {
    assumeTrue(KubeBinaries.available(), KubeBinaries.INSTALL_HINT);
    provider = new ApiServerClusterProvider();
    cluster = provider.start(CLUSTER, false);
    work = TempDirs.create("mclease-deploy-test-");
    if (Kubectl.available()) {
      firstApply = Kubectl.run(cluster.kubeconfig(), "apply", "-k", DEPLOY.toString());
    } else {
      // Without kubectl the RBAC tests still run: the same manifests, applied one by one (the kubectl tests skip).
      for (String file : resources()) {
        HasMetadata r = K8S.unmarshal(read(DEPLOY.resolve(file)));
        cluster.client().resource(r).forceConflicts().serverSideApply();
      }
    }
    // the CRD came with the kustomization: wait until it is served
    await("the CRD served").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
        cluster.client().resources(MultiClusterLease.class).inAnyNamespace().list() != null);
  }

  @AfterAll
  static void closeCluster() {
    if (provider != null) {
      provider.close();
    }
    TempDirs.deleteRecursively(work);
  }

  @AfterEach
  void closeWhatTheTestStarted() {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        // best effort: the cluster goes away with the class
      }
    }
    if (logs != null) {
      ((Logger) LoggerFactory.getLogger("dev.mclease")).detachAppender(logs);
    }
  }

  // ------------------------------------------------------------------------------------------ kubectl apply

  @Test
  @Order(1)
  void kubectlApplyKustomizeCreatesEveryObjectAndIsIdempotent() {
    assumeTrue(Kubectl.available(), Kubectl.MISSING);
    assertThat(firstApply).contains(
        "namespace/mclease-system created",
        "customresourcedefinition.apiextensions.k8s.io/multiclusterleases.mclease.dev created",
        "serviceaccount/mclease-controller created",
        "clusterrole.rbac.authorization.k8s.io/mclease-candidate created",
        "clusterrole.rbac.authorization.k8s.io/mclease-controller created",
        "clusterrolebinding.rbac.authorization.k8s.io/mclease-controller created",
        "configmap/mclease-controller created",
        "service/mclease-controller created",
        "deployment.apps/mclease-controller created");
    assertThat(firstApply.lines().filter(l -> l.endsWith(" created")).count()).as(firstApply)
        .isEqualTo(resources().size());

    // Again: nothing changes. kubectl still prints "configured" for the CRD: the generated CRD says `priority: 0` on
    // each printer column, which the server drops (the default), so kubectl's three-way diff of the versions list
    // always finds a difference and sends the list again; the server finds nothing to change (same resourceVersion).
    var crd = cluster.client().apiextensions().v1().customResourceDefinitions().withName(MultiClusterLease.CRD_NAME);
    String crdVersion = crd.get().getMetadata().getResourceVersion();
    String again = Kubectl.run(cluster.kubeconfig(), "apply", "-k", DEPLOY.toString());
    assertThat(again.lines().toList()).as(again).hasSize(resources().size()).allSatisfy(l -> assertThat(l).endsWith(
        l.startsWith("customresourcedefinition.") ? " configured" : " unchanged"));
    assertThat(crd.get().getMetadata().getResourceVersion()).as("the CRD after the second apply").isEqualTo(crdVersion);
    assertThat(crd.get().getSpec().getVersions().get(0).getAdditionalPrinterColumns())
        .allSatisfy(c -> assertThat(c.getPriority()).as("printer column %s", c.getName()).isNull());
    assertThat(Kubectl.exec(cluster.kubeconfig(), "diff", "-k", DEPLOY.toString()).exitCode())
        .as("kubectl diff -k: no difference").isZero();
    assertThat(Kubectl.run(cluster.kubeconfig(), "wait", "--for=condition=Established", "--timeout=60s",
        "crd/" + MultiClusterLease.CRD_NAME)).contains("condition met");

    // what the server kept: kustomize's namespace and labels on every object, the Deployment as validated
    Deployment d = cluster.client().apps().deployments().inNamespace(SYSTEM_NS).withName("mclease-controller").get();
    assertThat(d.getMetadata().getLabels()).containsEntry("app.kubernetes.io/part-of", "mclease");
    assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(CONTROLLER_SA);
    String ns = namespace("get");
    cluster.client().resources(MultiClusterLease.class).inNamespace(ns).resource(lease("demo", "pod-1")).create();
    assertThat(Kubectl.run(cluster.kubeconfig(), "get", "mcl", "-n", ns)).contains("HOLDER", "LEADER", "CLUSTER",
        "TOKEN", "pod-1");
  }

  /** Section 3 of docs/deploy.md, verbatim: the Secret and the per-cluster overlay, applied with kubectl. */
  @Test
  @Order(2)
  void theDocsOverlayAndSecretApply() throws IOException {
    assumeTrue(Kubectl.available(), Kubectl.MISSING);
    String docs = Files.readString(DOCS);
    Matcher m = Pattern.compile("cat > overlays/east/kustomization.yaml <<'YAML'\n(.*?)\nYAML\n", Pattern.DOTALL)
        .matcher(docs);
    assertThat(m.find()).as("the overlay in " + DOCS).isTrue();
    String overlay = m.group(1);
    assertThat(overlay).contains("  - ../../controller/deploy");
    // The docs run it from the repository's root. Here the overlay lives in a temporary directory, with
    // controller/deploy a symbolic link beside it (kustomize refuses an absolute path as a resource).
    Files.createDirectories(work.resolve("controller"));
    Files.createSymbolicLink(work.resolve("controller/deploy"), DEPLOY);
    Path dir = Files.createDirectories(work.resolve("overlays/east"));
    Files.writeString(dir.resolve("kustomization.yaml"), overlay + "\n");
    for (String f : List.of("ca.pem", "client.pem", "client-key.pk8.pem")) {
      Files.writeString(work.resolve(f), "not a real " + f + "\n");
    }
    Kubectl.run(cluster.kubeconfig(), "-n", SYSTEM_NS, "create", "secret", "generic", "mclease-etcd-tls",
        "--from-file=ca.crt=" + work.resolve("ca.pem"), "--from-file=tls.crt=" + work.resolve("client.pem"),
        "--from-file=tls.key=" + work.resolve("client-key.pk8.pem"));

    String applied = Kubectl.run(cluster.kubeconfig(), "apply", "-k", dir.toString());
    assertThat(applied).contains("configmap/mclease-controller configured", "deployment.apps/mclease-controller configured");
    ConfigMap cm = cluster.client().configMaps().inNamespace(SYSTEM_NS).withName("mclease-controller").get();
    assertThat(cm.getData()).containsEntry("MCL_CLUSTER_NAME", "east").containsEntry("MCL_ETCD_ENDPOINTS",
        "https://etcd-0.example.com:2379,https://etcd-1.example.com:2379,https://etcd-2.example.com:2379");
    Deployment d = cluster.client().apps().deployments().inNamespace(SYSTEM_NS).withName("mclease-controller").get();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("registry.example.com/mclease-controller:0.1.0");
    assertThat(cluster.client().secrets().inNamespace(SYSTEM_NS).withName("mclease-etcd-tls").get().getData())
        .containsOnlyKeys("ca.crt", "tls.crt", "tls.key");
    assertThat(Kubectl.run(cluster.kubeconfig(), "apply", "-k", DEPLOY.toString())).as("back to the base")
        .contains("configmap/mclease-controller configured");
  }

  // -------------------------------------------------------------------------------------------- the candidate

  @Test
  void aCandidatesTokenMayWriteSpecButNotStatusAndNothingOutsideItsGrant() {
    String ns = namespace("cand");
    String other = namespace("other");
    KubernetesClient candidate = candidate(ns, "my-operator");
    var leases = candidate.resources(MultiClusterLease.class).inNamespace(ns);

    MultiClusterLease created = leases.resource(lease("demo", "pod-1")).create();
    assertThat(created.getSpec().getHolderIdentity()).isEqualTo("pod-1");
    assertThat(leases.list().getItems()).extracting(l -> l.getMetadata().getName()).containsExactly("demo");
    MultiClusterLease read = leases.withName("demo").get();
    read.getSpec().setHolderIdentity("pod-2");
    assertThat(leases.resource(read).update().getSpec().getHolderIdentity()).isEqualTo("pod-2");
    assertThat(leases.withName("demo").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"holderIdentity\":\"pod-3\"}}").getSpec().getHolderIdentity()).isEqualTo("pod-3");
    try (Watch w = leases.watch(ignoring())) {
      assertThat(w).as("a watch as the candidate").isNotNull();
    }

    String user = "system:serviceaccount:" + ns + ":my-operator";
    // the status subresource, by every verb that writes it
    MultiClusterLease current = leases.withName("demo").get();
    current.setStatus(new MultiClusterLeaseStatus());
    current.getStatus().setLeader("pod-3");
    assertForbidden(() -> leases.resource(current).updateStatus(), user, "update", "multiclusterleases/status");
    assertForbidden(() -> leases.withName("demo").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"status\":{\"leader\":\"pod-3\"}}"), user, "patch", "multiclusterleases/status");
    assertThat(cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName("demo").get().getStatus())
        .as("status after the refused writes").isNull();
    // verbs and objects outside the grant
    assertForbidden(() -> leases.withName("demo").delete(), user, "delete", "multiclusterleases");
    assertForbidden(() -> candidate.resources(MultiClusterLease.class).inNamespace(other).list(), user, "list",
        "multiclusterleases");
    assertForbidden(() -> candidate.resources(MultiClusterLease.class).inAnyNamespace().list(), user, "list",
        "multiclusterleases");
    assertForbidden(() -> candidate.configMaps().inNamespace(ns).list(), user, "list", "configmaps");
    assertForbidden(() -> candidate.secrets().inNamespace(ns).list(), user, "list", "secrets");
    assertForbidden(() -> candidate.v1().events().inNamespace(ns).resource(event(ns, "demo")).create(), user,
        "create", "events");
    assertForbidden(() -> candidate.leases().inNamespace(ns).resource(new LeaseBuilder().withNewMetadata()
        .withName("x").endMetadata().build()).create(), user, "create", "leases");

    assertThat(rulesBeyondDefaults(candidate, ns)).as("everything the candidate may do in its namespace")
        .containsExactly("mclease.dev/multiclusterleases: create,get,list,patch,update,watch");
    assertThat(rulesBeyondDefaults(candidate, other)).as("and in another namespace").isEmpty();
  }

  /**
   * Both spellings of the can-i question, pinned: {@code multiclusterleases/status} names an object called "status"
   * (yes to anyone who may update MultiClusterLeases); the subresource is asked for with {@code --subresource=status}.
   */
  @Test
  void kubectlAuthCanISaysNoToTheCandidateOnStatus() {
    assumeTrue(Kubectl.available(), Kubectl.MISSING);
    String ns = namespace("cani");
    candidate(ns, "my-operator");
    Path admin = cluster.kubeconfig();
    String as = "--as=system:serviceaccount:" + ns + ":my-operator";

    assertCanI(admin, "no", "update", "multiclusterleases", "--subresource=status", "-n", ns, as);
    assertCanI(admin, "no", "patch", "multiclusterleases", "--subresource=status", "-n", ns, as);
    assertCanI(admin, "yes", "update", "multiclusterleases/status", "-n", ns, as); // the object named "status"
    assertCanI(admin, "yes", "update", "multiclusterleases", "-n", ns, as);
    assertCanI(admin, "yes", "create", "multiclusterleases.mclease.dev", "-n", ns, as);
    assertCanI(admin, "no", "delete", "multiclusterleases", "-n", ns, as);
    assertCanI(admin, "no", "update", "multiclusterleases", "-n", "default", as);
    assertCanI(admin, "no", "create", "events", "-n", ns, as);

    // the same with the candidate's own token, as a pod would ask
    Path own = cluster.kubeconfigAs(ns, "my-operator");
    assertThat(Kubectl.run(own, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
        .isEqualTo("system:serviceaccount:" + ns + ":my-operator");
    assertCanI(own, "no", "update", "multiclusterleases", "--subresource=status", "-n", ns);
    assertCanI(own, "yes", "update", "multiclusterleases", "-n", ns);
    assertThat(Kubectl.exec(own, "-n", ns, "get", "secrets").stderr()).contains("Forbidden",
        "cannot list resource \"secrets\"");
  }

  // ------------------------------------------------------------------------------------------- the controller

  @Test
  void theControllersTokenMayReadLeasesWriteStatusAndEventsAndNothingElse() {
    String ns = namespace("ctl");
    cluster.client().resources(MultiClusterLease.class).inNamespace(ns).resource(lease("demo", "pod-1")).create();
    KubernetesClient controller = cluster.clientAs(SYSTEM_NS, CONTROLLER_SA);
    String user = "system:serviceaccount:" + SYSTEM_NS + ":" + CONTROLLER_SA;
    var all = controller.resources(MultiClusterLease.class);

    assertThat(all.inAnyNamespace().list().getItems()).extracting(l -> l.getMetadata().getNamespace()).contains(ns);
    try (Watch w = all.inAnyNamespace().watch(ignoring())) {
      assertThat(w).isNotNull();
    }
    MultiClusterLease patched = all.inNamespace(ns).withName("demo").subresource("status").patch(
        PatchContext.of(PatchType.JSON), "[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"leader\":\"pod-1\"}}]");
    assertThat(patched.getStatus().getLeader()).isEqualTo("pod-1");
    MultiClusterLease current = all.inNamespace(ns).withName("demo").get();
    current.getStatus().setLeaderCluster(CLUSTER);
    assertThat(all.inNamespace(ns).resource(current).updateStatus().getStatus().getLeaderCluster()).isEqualTo(CLUSTER);
    assertThat(controller.v1().events().inNamespace(ns).resource(event(ns, "demo")).create()).isNotNull();
    assertThat(controller.events().v1().events().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.events.v1
        .EventBuilder().withNewMetadata().withName("demo.new").endMetadata().withEventTime(MicroTimes.of(Instant.now()))
        .withReportingController("mclease.dev/election-controller").withReportingInstance("test").withAction("Elect")
        .withReason("Test").withType("Normal").withNewRegarding().withApiVersion("mclease.dev/v1alpha1")
        .withKind("MultiClusterLease").withNamespace(ns).withName("demo").endRegarding().build()).create()).isNotNull();

    // never spec: not even its own namespace's objects
    MultiClusterLease again = all.inNamespace(ns).withName("demo").get();
    again.getSpec().setHolderIdentity("controller");
    assertForbidden(() -> all.inNamespace(ns).resource(again).update(), user, "update", "multiclusterleases");
    assertForbidden(() -> all.inNamespace(ns).withName("demo").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"holderIdentity\":\"controller\"}}"), user, "patch", "multiclusterleases");
    assertForbidden(() -> all.inNamespace(ns).resource(lease("mine", "controller")).create(), user, "create",
        "multiclusterleases");
    assertForbidden(() -> all.inNamespace(ns).withName("demo").delete(), user, "delete", "multiclusterleases");
    // nor anything else: not the Secret it mounts, not its ConfigMap, no pods, no Leases, no reading events
    assertForbidden(() -> controller.secrets().inNamespace(SYSTEM_NS).list(), user, "list", "secrets");
    assertForbidden(() -> controller.configMaps().inNamespace(SYSTEM_NS).withName("mclease-controller").get(), user,
        "get", "configmaps");
    assertForbidden(() -> controller.pods().inAnyNamespace().list(), user, "list", "pods");
    assertForbidden(() -> controller.leases().inNamespace(ns).list(), user, "list", "leases");
    assertForbidden(() -> controller.v1().events().inNamespace(ns).list(), user, "list", "events");
    assertForbidden(() -> controller.apiextensions().v1().customResourceDefinitions().withName(MultiClusterLease.CRD_NAME)
        .get(), user, "get", "customresourcedefinitions");

    assertThat(rulesBeyondDefaults(controller, ns)).as("everything the controller may do in a namespace")
        .containsExactlyInAnyOrder(
            "/events: create,patch",
            "events.k8s.io/events: create,patch",
            "mclease.dev/multiclusterleases: get,list,watch",
            "mclease.dev/multiclusterleases/status: patch,update");
  }

  @Test
  void kubectlAuthCanIForTheController() {
    assumeTrue(Kubectl.available(), Kubectl.MISSING);
    Path admin = cluster.kubeconfig();
    String as = "--as=system:serviceaccount:" + SYSTEM_NS + ":" + CONTROLLER_SA;
    assertCanI(admin, "yes", "patch", "multiclusterleases", "--subresource=status", "-A", as);
    assertCanI(admin, "yes", "watch", "multiclusterleases", "-A", as);
    assertCanI(admin, "no", "update", "multiclusterleases", "-A", as);
    assertCanI(admin, "yes", "create", "events", "-n", "default", as);
    assertCanI(admin, "no", "get", "secrets", "-n", SYSTEM_NS, as);
  }

  /** The real controller and a real candidate, each with its token and exactly the manifests' grants, elect. */
  @Test
  void theControllerAndACandidateElectAsTheirServiceAccounts() {
    String ns = namespace("elect");
    CandidateRunner runner = runCandidate(candidate(ns, "my-operator"), ns, "pod-1");
    ElectionController controller = runController(cluster.clientAs(SYSTEM_NS, CONTROLLER_SA), ns, new SimpleMeterRegistry());

    await("the candidate confirmed").atMost(Duration.ofSeconds(15)).until(runner::isLeader);
    MultiClusterLeaseStatus st = cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName("demo")
        .get().getStatus();
    assertThat(st.getLeader()).isEqualTo("pod-1");
    assertThat(st.getLeaderCluster()).isEqualTo(CLUSTER);
    await("the controller's event").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(cluster.client().v1().events().inNamespace(ns).list().getItems())
            .anySatisfy(e -> {
              assertThat(e.getReason()).isEqualTo("GlobalLockAcquired");
              assertThat(e.getSource().getComponent()).isEqualTo("mclease-controller/" + CLUSTER);
            }));
    assertThat(controller.isReady()).isTrue();
  }

  // -------------------------------------------------------------------------------------------- missing grants

  @Test
  void aControllerWithoutAnyGrantRefusesToStartNamingTheClusterRole() {
    String ns = namespace("nogrant");
    KubernetesClient unbound = cluster.newClientAs(SYSTEM_NS, "unbound-" + ns, cluster.apiServer());
    toClose.add(unbound);
    ElectionController controller = new ElectionController(unbound, backend(), config(ns), Clock.systemUTC(),
        System::nanoTime, new SimpleMeterRegistry());
    toClose.add(controller);
    assertThatThrownBy(controller::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("The controller may not list " + MultiClusterLease.CRD_NAME + " in cluster " + CLUSTER
            + ": apply controller/deploy (ClusterRole mclease-controller and its binding)")
        .cause().isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(403);
          assertThat(e.getStatus().getMessage()).contains("User \"system:serviceaccount:" + SYSTEM_NS + ":unbound-"
              + ns + "\" cannot list resource \"multiclusterleases\"");
        });
  }

  @Test
  void aControllerWithoutTheStatusGrantSaysWhatToGrantAndConfirmsNobody() {
    String ns = namespace("nostatus");
    KubernetesClient client = controllerWith(ns, r -> !r.getResources().contains("multiclusterleases/status"));
    captureLogs();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CandidateRunner runner = runCandidate(candidate(ns, "my-operator"), ns, "pod-1");
    runController(client, ns, registry);

    String sa = "system:serviceaccount:" + SYSTEM_NS + ":ctl-" + ns;
    ILoggingEvent warn = awaitLog(Level.WARN, "status write failed");
    assertThat(warn.getFormattedMessage()).contains(ns + "/demo: status write failed",
        "Forbidden: may not patch " + MultiClusterLease.CRD_NAME + "/status in namespace " + ns,
        "ClusterRole mclease-controller", "User \"" + sa + "\" cannot patch resource \"multiclusterleases/status\"");
    assertThat(registry.get("mclease.status.write.errors").counter().count()).isPositive();
    assertThat(runner.isLeader()).as("confirmed without a status").isFalse();
    assertThat(cluster.client().resources(MultiClusterLease.class).inNamespace(ns).withName("demo").get()
        .getStatus()).isNull();
    assertThat(logs.list.stream().filter(e -> e.getFormattedMessage().contains("status write failed")).count())
        .as("one WARN while the same write keeps failing").isEqualTo(1);
  }

  @Test
  void aControllerWithoutTheEventsGrantStillElectsAndSaysEventsAreNotRecorded() {
    String ns = namespace("noevents");
    KubernetesClient client = controllerWith(ns, r -> !r.getResources().contains("events"));
    captureLogs();
    CandidateRunner runner = runCandidate(candidate(ns, "my-operator"), ns, "pod-1");
    runController(client, ns, new SimpleMeterRegistry());

    await("the candidate confirmed").atMost(Duration.ofSeconds(15)).until(runner::isLeader);
    String sa = "system:serviceaccount:" + SYSTEM_NS + ":ctl-" + ns;
    ILoggingEvent warn = awaitLog(Level.WARN, "may not create events");
    assertThat(warn.getFormattedMessage()).contains("Forbidden: may not create events in namespace " + ns,
        "ClusterRole mclease-controller", "leader election is not affected",
        "User \"" + sa + "\" cannot create resource \"events\"");
    assertThat(cluster.client().v1().events().inNamespace(ns).list().getItems()).isEmpty();
  }

  @Test
  void aCandidateWithoutCreateSaysWhatToGrantAndLeadsOnceGranted() {
    String ns = namespace("nocreate");
    PolicyRule withoutCreate = new PolicyRuleBuilder(candidateRule()).withVerbs(candidateRule().getVerbs().stream()
        .filter(v -> !v.equals("create")).toList()).build();
    KubernetesClient candidate = cluster.newClientAs(ns, "my-operator", cluster.apiServer());
    toClose.add(candidate);
    cluster.client().rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata()
        .withName("candidate-without-create").endMetadata().withRules(withoutCreate).build()).create();
    bindRole(ns, "my-operator", "Role", "candidate-without-create");
    awaitAllowed(candidate, ns, "", "get", true);
    runController(cluster.clientAs(SYSTEM_NS, CONTROLLER_SA), ns, new SimpleMeterRegistry());
    CandidateRunner runner = runCandidate(candidate, ns, "pod-1");
    MultiClusterLeaseLock lock = lockOf(runner);

    String user = "system:serviceaccount:" + ns + ":my-operator";
    await("the candidate's problem").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(lock.problem()).hasValueSatisfying(p -> assertThat(p).startsWith(
            "Forbidden: may not create multiclusterleases.mclease.dev in namespace " + ns + "; grant the candidate's "
                + "ServiceAccount a Role with the rule {apiGroups: [\"mclease.dev\"], resources: "
                + "[\"multiclusterleases\"], verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\", \"patch\"]} and a "
                + "RoleBinding. Server said: ")
            .contains("User \"" + user + "\" cannot create resource \"multiclusterleases\" in API group "
                + "\"mclease.dev\" in the namespace \"" + ns + "\"")));
    assertThat(runner.isLeader()).isFalse();

    // doing what the message says is enough
    cluster.client().rbac().roles().inNamespace(ns).withName("candidate-without-create").edit(r ->
        new RoleBuilder(r).withRules(candidateRule()).build());
    await("the candidate confirmed once granted").atMost(Duration.ofSeconds(20)).until(runner::isLeader);
    assertThat(lock.problem()).isEmpty();
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static List<String> resources() {
    try {
      var k = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
          .readTree(DEPLOY.resolve("kustomization.yaml").toFile());
      List<String> r = new ArrayList<>();
      k.path("resources").forEach(n -> r.add(n.asText()));
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T extends HasMetadata> T manifest(String file, Class<T> type) {
    try (InputStream in = Files.newInputStream(DEPLOY.resolve(file))) {
      return K8S.unmarshal(in, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static PolicyRule candidateRule() {
    List<PolicyRule> rules = manifest("clusterrole-candidate.yaml", ClusterRole.class).getRules();
    assertThat(rules).hasSize(1);
    return rules.get(0);
  }

  /** A fresh namespace of this test's own. */
  private static String namespace(String what) {
    String ns = what + "-" + UUID.randomUUID().toString().substring(0, 6);
    cluster.ensureNamespace(ns);
    return ns;
  }

  /**
   * ServiceAccount {@code ns/sa} bound to the manifests' ClusterRole mclease-candidate the way docs/deploy.md
   * section 4 does it (with kubectl when there is one); its client, once the authorizer answers by the binding.
   */
  private KubernetesClient candidate(String ns, String sa) {
    String token = cluster.tokenFor(ns, sa); // creates the ServiceAccount
    assertThat(token).isNotBlank();
    if (Kubectl.available()) {
      Kubectl.run(cluster.kubeconfig(), "-n", ns, "create", "rolebinding", sa + "-mclease-candidate",
          "--clusterrole=mclease-candidate", "--serviceaccount=" + ns + ":" + sa);
    } else {
      bindRole(ns, sa, "ClusterRole", "mclease-candidate");
    }
    KubernetesClient c = cluster.newClientAs(ns, sa, cluster.apiServer());
    toClose.add(c);
    awaitAllowed(c, ns, "", "create", true);
    return c;
  }

  private static void bindRole(String ns, String sa, String kind, String role) {
    cluster.client().rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata()
        .withName(sa + "-" + role).endMetadata().withNewRoleRef("rbac.authorization.k8s.io", kind, role)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace(ns).endSubject().build()).create();
  }

  /**
   * A controller ServiceAccount {@code mclease-system/ctl-<ns>} with the manifests' controller rules that
   * {@code keep} keeps, bound cluster-wide like the real one; its client, once the authorizer answers by them.
   */
  private KubernetesClient controllerWith(String ns, Predicate<PolicyRule> keep) {
    String sa = "ctl-" + ns;
    List<PolicyRule> rules = manifest("clusterrole-controller.yaml", ClusterRole.class).getRules().stream()
        .filter(keep).toList();
    cluster.client().rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName(sa)
        .endMetadata().withRules(rules).build()).create();
    cluster.client().rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
        .withName(sa).endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", sa).addNewSubject()
        .withKind("ServiceAccount").withName(sa).withNamespace(SYSTEM_NS).endSubject().build()).create();
    KubernetesClient c = cluster.newClientAs(SYSTEM_NS, sa, cluster.apiServer());
    toClose.add(c);
    awaitAllowed(c, ns, "", "watch", true);
    return c;
  }

  /** The RBAC authorizer reads bindings from an informer: wait until it judges by the new ones. */
  private static void awaitAllowed(KubernetesClient as, String ns, String subresource, String verb, boolean allowed) {
    await("RBAC: " + verb + " multiclusterleases " + subresource + " in " + ns + " allowed=" + allowed)
        .atMost(RBAC_PROPAGATION).until(() -> Boolean.valueOf(allowed).equals(as.authorization().v1()
            .selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder().withNewSpec()
                .withNewResourceAttributes().withGroup(MultiClusterLease.GROUP).withResource(MultiClusterLease.PLURAL)
                .withSubresource(subresource).withVerb(verb).withNamespace(ns).endResourceAttributes().endSpec()
                .build()).getStatus().getAllowed()));
  }

  private static ControllerConfig config(String ns) {
    ControllerConfig s = ControllerConfig.shortTimings(CLUSTER);
    return ControllerConfig.builder(CLUSTER).namespaces(Set.of(ns)).candidateRenewDeadline(s.candidateRenewDeadline())
        .candidateRetryPeriod(s.candidateRetryPeriod()).backendTtl(s.backendTtl())
        .backendRenewInterval(s.backendRenewInterval()).safetyMargin(s.safetyMargin()).build();
  }

  private InMemoryLockStore.Session backend() {
    InMemoryLockStore store = new InMemoryLockStore(System::nanoTime);
    toClose.add(store);
    ControllerConfig cfg = ControllerConfig.shortTimings(CLUSTER);
    InMemoryLockStore.Session session = store.session(cfg.backendTtl(), cfg.backendRenewInterval());
    toClose.add(session);
    return session;
  }

  /** The real election controller for namespace {@code ns} only, with {@code client}'s identity; started. */
  private ElectionController runController(KubernetesClient client, String ns, SimpleMeterRegistry registry) {
    ElectionController c = new ElectionController(client, backend(), config(ns), Clock.systemUTC(), System::nanoTime,
        registry);
    toClose.add(c);
    c.start();
    return c;
  }

  private final java.util.Map<CandidateRunner, MultiClusterLeaseLock> locks = new java.util.HashMap<>();

  /** A real candidate for {@code ns/demo} with the controller's short timings; started. */
  private CandidateRunner runCandidate(KubernetesClient client, String ns, String identity) {
    ControllerConfig s = ControllerConfig.shortTimings(CLUSTER);
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(ns, "demo", identity).leaseDuration(Duration.ofSeconds(2))
        .renewDeadline(s.candidateRenewDeadline()).retryPeriod(s.candidateRetryPeriod()).build();
    CandidateRunner runner = CandidateRunner.builder(client, lock).build();
    toClose.add(runner);
    locks.put(runner, lock);
    runner.start();
    return runner;
  }

  private MultiClusterLeaseLock lockOf(CandidateRunner runner) {
    return locks.get(runner);
  }

  private void captureLogs() {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger("dev.mclease")).addAppender(logs);
  }

  private ILoggingEvent awaitLog(Level level, String text) {
    ILoggingEvent[] found = new ILoggingEvent[1];
    await("a " + level + " line naming '" + text + "'").atMost(Duration.ofSeconds(15)).until(() -> {
      synchronized (logs) {
        for (ILoggingEvent e : List.copyOf(logs.list)) {
          if (e.getLevel().equals(level) && e.getFormattedMessage().contains(text)) {
            found[0] = e;
            return true;
          }
        }
      }
      return false;
    });
    return found[0];
  }

  private static void assertCanI(Path kubeconfig, String answer, String... args) {
    List<String> cmd = new ArrayList<>(List.of("auth", "can-i"));
    cmd.addAll(List.of(args));
    Kubectl.Result r = Kubectl.exec(kubeconfig, cmd.toArray(String[]::new));
    assertThat(r.stdout().strip()).as("kubectl %s: %s", String.join(" ", cmd), r).isEqualTo(answer);
    assertThat(r.exitCode()).as("exit code of kubectl %s", String.join(" ", cmd)).isEqualTo(answer.equals("yes") ? 0 : 1);
  }

  private static void assertForbidden(ThrowingCallable call, String user, String verb, String resource) {
    assertThatThrownBy(call).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
      assertThat(e.getCode()).as("HTTP status of %s", e.getMessage()).isEqualTo(403);
      assertThat(e.getStatus().getMessage()).contains("User \"" + user + "\" cannot " + verb + " resource \""
          + resource + "\"");
    });
  }

  /**
   * What SelfSubjectRulesReview says {@code as} may do in {@code ns}, minus what a ServiceAccount without any binding
   * may do there (the default ClusterRoles give every authenticated user a few rules: self reviews, and in 1.37
   * reading clustertrustbundles), one {@code group/resource: verbs} line per rule.
   */
  private List<String> rulesBeyondDefaults(KubernetesClient as, String ns) {
    KubernetesClient unbound = cluster.newClientAs(ns, "unbound", cluster.apiServer());
    toClose.add(unbound);
    Set<String> defaults = rules(unbound, ns);
    assertThat(defaults).as("what any authenticated user may do").isNotEmpty()
        .noneMatch(r -> r.startsWith("mclease.dev/") || r.contains("events"));
    Set<String> beyond = rules(as, ns);
    beyond.removeAll(defaults);
    return List.copyOf(beyond);
  }

  private static Set<String> rules(KubernetesClient as, String ns) {
    List<ResourceRule> rules = as.authorization().v1().selfSubjectRulesReview().create(
        new SelfSubjectRulesReviewBuilder().withNewSpec().withNamespace(ns).endSpec().build()).getStatus()
        .getResourceRules();
    Set<String> out = new TreeSet<>();
    for (ResourceRule r : rules) {
      for (String group : r.getApiGroups()) {
        for (String resource : r.getResources()) {
          out.add(group + "/" + resource + (r.getResourceNames().isEmpty() ? "" : " " + r.getResourceNames())
              + ": " + String.join(",", new TreeSet<>(r.getVerbs())));
        }
      }
    }
    return out;
  }

  private static MultiClusterLease lease(String name, String holder) {
    MultiClusterLease l = new MultiClusterLease();
    l.setMetadata(new ObjectMetaBuilder().withName(name).build());
    l.setSpec(new MultiClusterLeaseSpec(holder, 15, MicroTimes.of(Instant.now())));
    return l;
  }

  private static Event event(String ns, String name) {
    return new EventBuilder().withNewMetadata().withNamespace(ns).withName(name + "." + UUID.randomUUID()
        .toString().substring(0, 8)).endMetadata().withNewInvolvedObject().withApiVersion("mclease.dev/v1alpha1")
        .withKind("MultiClusterLease").withNamespace(ns).withName(name).endInvolvedObject().withReason("Test")
        .withMessage("test").withType("Normal").build();
  }

  private static <T> Watcher<T> ignoring() {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T resource) {
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    };
  }
}
