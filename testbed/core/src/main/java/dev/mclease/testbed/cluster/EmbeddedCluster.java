package dev.mclease.testbed.cluster;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseCrd;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process Kubernetes API server on loopback: the fabric8 CRUD mock server behind
 * {@link EmbeddedApiDispatcher}, which closes the gaps between the mock and a real API server.
 *
 * <p>Besides the {@link Cluster} contract it lets tests refuse verbs with 403 ({@link #forbid}) and remove or
 * re-add the MultiClusterLease CRD ({@link #uninstallCrd()}, {@link #installCrd()}).
 */
public final class EmbeddedCluster implements Cluster {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCluster.class);
  /** The token in every embedded kubeconfig; the embedded server authenticates nobody. */
  static final String TOKEN = "mclease-testbed";
  /** The user named in 403 messages. */
  static final String USER = "system:serviceaccount:mclease:testbed";

  /**
   * MockWebServer logs every request at INFO through java.util.logging; in long runs that is megabytes of noise.
   * Held in a field because java.util.logging keeps loggers only weakly.
   */
  private static final java.util.logging.Logger MOCK_LOG = quietMockServerLog();

  private final String name;
  private final KubernetesMockServer server;
  private final AccessRules access = new AccessRules();
  private final EmbeddedApiDispatcher dispatcher;
  private final URI apiServer;
  private final Path kubeconfig;
  private final KubernetesClient client;
  private final AtomicBoolean closed = new AtomicBoolean();

  EmbeddedCluster(String name, boolean installCrd, Path kubeconfigDir) {
    this.name = name;
    MockWebServer web = new MockWebServer();
    this.dispatcher = new EmbeddedApiDispatcher(new KubernetesCrudDispatcher(), access, web, USER,
        () -> "127.0.0.1:" + web.getPort());
    this.server = new KubernetesMockServer(new Context(), web, new HashMap<>(), dispatcher, false);
    server.start(InetAddress.getLoopbackAddress(), 0);
    this.apiServer = URI.create("http://127.0.0.1:" + server.getPort());
    this.kubeconfig = Kubeconfigs.write(kubeconfigDir, name, apiServer, TOKEN);
    this.client = Kubeconfigs.client(apiServer, TOKEN);
    for (String ns : new String[] {"default", "kube-system", "kube-public"}) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    if (installCrd) {
      installCrd();
    }
    LOG.info("Embedded cluster {} serves {} (kubeconfig {})", name, apiServer, kubeconfig);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public URI apiServer() {
    return apiServer;
  }

  @Override
  public KubernetesClient client() {
    return client;
  }

  @Override
  public KubernetesClient newClient() {
    return newClient(apiServer);
  }

  @Override
  public KubernetesClient newClient(URI apiServerOverride) {
    return Kubeconfigs.client(apiServerOverride, TOKEN);
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Creates the MultiClusterLease CRD (status subresource on); a no-op when it exists. */
  public void installCrd() {
    var crds = client.apiextensions().v1().customResourceDefinitions();
    if (crds.withName(MultiClusterLease.CRD_NAME).get() == null) {
      crds.resource(MultiClusterLeaseCrd.definition()).create();
    }
  }

  /**
   * Deletes the MultiClusterLease CRD: from then on every request for {@code multiclusterleases} answers 404,
   * as on a cluster where it was never installed. Objects already stored stay hidden until it is re-installed.
   */
  public void uninstallCrd() {
    client.apiextensions().v1().customResourceDefinitions().withName(MultiClusterLease.CRD_NAME).delete();
  }

  /**
   * Answers 403 Forbidden to {@code verb} on {@code resource} from now on.
   *
   * @param verb get, list, watch, create, update, patch, delete, deletecollection, or {@code *}
   * @param resource an RBAC resource: {@code multiclusterleases}, {@code multiclusterleases/status},
   *     {@code leases}, ... or {@code *}; a subresource is separate from its resource, as in RBAC
   */
  public void forbid(String verb, String resource) {
    access.forbid(verb, resource);
  }

  /** Undoes one {@link #forbid} (the same verb and resource strings). */
  public void allow(String verb, String resource) {
    access.allow(verb, resource);
  }

  /**
   * With {@code true}, creating a namespaced object in a namespace that does not exist answers 404
   * {@code namespaces "x" not found}, as on a real cluster. Off by default because the mock never required it
   * and many tests create objects in ad-hoc namespaces; {@code default}, {@code kube-system} and
   * {@code kube-public} always exist.
   */
  public void requireNamespaces(boolean on) {
    dispatcher.requireNamespaces(on);
  }

  /** Undoes every {@link #forbid}. */
  public void allowAll() {
    access.allowAll();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    client.close();
    server.shutdown();
    try {
      Files.deleteIfExists(kubeconfig);
    } catch (java.io.IOException e) {
      LOG.debug("Could not delete {}", kubeconfig, e);
    }
    LOG.info("Embedded cluster {} stopped", name);
  }

  private static java.util.logging.Logger quietMockServerLog() {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(MockWebServer.class.getName());
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  @Override
  public String toString() {
    return "EmbeddedCluster[" + name + " " + apiServer + "]";
  }
}
