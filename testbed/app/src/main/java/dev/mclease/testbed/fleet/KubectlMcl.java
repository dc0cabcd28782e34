package dev.mclease.testbed.fleet;

import dev.mclease.testbed.util.ChildProcesses;
import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubectl plugin {@code kubectl mcl} ({@code client/go/cmd/kubectl-mcl}, built once per JVM by
 * {@link GoBinaries}) run against a fleet: one merged kubeconfig with a context per cluster, named after the cluster,
 * and the commands {@code status}, {@code release} and {@code move} on the fleet's lease. Each returns the exit code
 * and what the plugin printed; the plugin itself waits for the hand-over and removes its annotation.
 */
public final class KubectlMcl {

  private static final Logger LOG = LoggerFactory.getLogger(KubectlMcl.class);
  /** Beyond the plugin's own --timeout: building and process start, and the removal of the annotation. */
  private static final Duration SLACK = Duration.ofSeconds(60);

  /** What one run printed: stdout (the result) and stderr (progress, warnings, per-context problems). */
  public record Result(int exitCode, String stdout, String stderr) {
  }

  private final Path kubeconfig;
  private final String lease;

  private KubectlMcl(Path kubeconfig, String lease) {
    this.kubeconfig = kubeconfig;
    this.lease = lease;
  }

  /** Why the plugin cannot be built here, or empty. */
  public static Optional<String> unavailable() {
    return GoBinaries.unavailable();
  }

  /** The plugin on every cluster of {@code fleet}, for the fleet's lease; writes the merged kubeconfig now. */
  public static KubectlMcl forFleet(Fleet fleet) {
    List<NamedCluster> clusters = new ArrayList<>();
    List<NamedAuthInfo> users = new ArrayList<>();
    List<NamedContext> contexts = new ArrayList<>();
    for (ClusterNode node : fleet.clusters()) {
      String name = node.name();
      Config one = read(node.cluster().kubeconfig());
      NamedContext ctx = one.getContexts().stream()
          .filter(c -> c.getName().equals(one.getCurrentContext())).findFirst()
          .orElse(one.getContexts().get(0));
      NamedCluster cluster = one.getClusters().stream().filter(c -> c.getName().equals(ctx.getContext().getCluster()))
          .findFirst().orElseThrow(() -> new IllegalStateException("no cluster " + ctx.getContext().getCluster()
              + " in " + node.cluster().kubeconfig()));
      NamedAuthInfo user = one.getUsers().stream().filter(u -> u.getName().equals(ctx.getContext().getUser()))
          .findFirst().orElseThrow(() -> new IllegalStateException("no user " + ctx.getContext().getUser()
              + " in " + node.cluster().kubeconfig()));
      // every kube-apiserver cluster's admin user has the same name: each gets the cluster's name here
      clusters.add(new NamedClusterBuilder(cluster).withName(name).build());
      users.add(new NamedAuthInfoBuilder(user).withName(name).build());
      contexts.add(new NamedContextBuilder(ctx).withName(name).editContext().withCluster(name).withUser(name)
          .withNamespace(fleet.namespace()).endContext().build());
    }
    Config merged = new ConfigBuilder().withApiVersion("v1").withKind("Config").withClusters(clusters).withUsers(users)
        .withContexts(contexts).withCurrentContext(contexts.get(0).getName()).build();
    Path file = Path.of("target", "kubectl-mcl", fleet.namespace() + "-" + UUID.randomUUID().toString().substring(0, 8)
        + ".kubeconfig").toAbsolutePath();
    try {
      Files.createDirectories(file.getParent());
      // JSON is YAML: client-go reads it as a kubeconfig
      Files.writeString(file, Serialization.asJson(merged), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return new KubectlMcl(file, fleet.namespace() + "/" + fleet.leaseName());
  }

  private static Config read(Path kubeconfig) {
    try {
      return Serialization.unmarshal(Files.readString(kubeconfig, StandardCharsets.UTF_8), Config.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + kubeconfig, e);
    }
  }

  /** The merged kubeconfig: one context per cluster of the fleet, named after it. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** {@code kubectl mcl status <ns/name> [args]}. */
  public Result status(String... args) {
    List<String> all = new ArrayList<>(List.of("status", lease));
    all.addAll(List.of(args));
    return run(Duration.ZERO, all);
  }

  /** {@code kubectl mcl release <ns/name> --timeout <timeout>}: waits for a leader with a larger token. */
  public Result release(Duration timeout) {
    return run(timeout, List.of("release", lease, "--timeout", timeout.toMillis() + "ms"));
  }

  /** {@code kubectl mcl move <ns/name> --to <cluster> --timeout <timeout>}: waits for {@code cluster} to lead. */
  public Result move(String cluster, Duration timeout) {
    return run(timeout, List.of("move", lease, "--to", cluster, "--timeout", timeout.toMillis() + "ms"));
  }

  /** Runs the plugin with {@code args} and KUBECONFIG set to {@link #kubeconfig()}. */
  public Result run(Duration pluginTimeout, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(GoBinaries.binary("kubectl-mcl").toString());
    cmd.addAll(args);
    Path err = kubeconfig.resolveSibling(kubeconfig.getFileName() + "-" + UUID.randomUUID().toString().substring(0, 8)
        + ".stderr");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    try {
      Process p = pb.start();
      ChildProcesses.register(p);
      try {
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(pluginTimeout.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("kubectl mcl " + String.join(" ", args) + " did not end within "
              + pluginTimeout.plus(SLACK));
        }
        Result r = new Result(p.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
        LOG.info("kubectl mcl {} → exit {}\n{}{}", String.join(" ", args), r.exitCode(), r.stderr(), r.stdout());
        return r;
      } finally {
        ChildProcesses.forget(p);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running kubectl mcl", e);
    }
  }
}
