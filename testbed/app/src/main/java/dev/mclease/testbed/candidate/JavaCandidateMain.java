package dev.mclease.testbed.candidate;

import dev.mclease.client.MultiClusterLeaseLock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One Java candidate as an OS process, for the testbed's faults on real processes (SIGSTOP, SIGKILL, a wall clock
 * moved by libfaketime): fabric8's {@code LeaderElector} on a {@link MultiClusterLeaseLock}, campaigning again after
 * each loss as a replica would. It speaks the Go candidate's line protocol on stdout ({@link LeadershipReporter}),
 * so the testbed records both into the fleet's history the same way ({@code CandidateProcess}). SIGTERM releases the
 * lease and exits 0 after {@code MCLEASE RELEASED}.
 */
@Command(name = "mclease-java-candidate", mixinStandardHelpOptions = true,
    description = "A Java candidate process (fabric8 LeaderElector on a MultiClusterLeaseLock) for the testbed.")
public final class JavaCandidateMain implements Runnable {

  @Option(names = "--kubeconfig", required = true, description = "kubeconfig of this candidate's own cluster")
  Path kubeconfig;
  @Option(names = "--namespace", defaultValue = "default", description = "namespace of the MultiClusterLease")
  String namespace;
  @Option(names = "--name", defaultValue = "demo", description = "name of the MultiClusterLease")
  String name;
  @Option(names = "--identity", required = true, description = "this candidate's identity")
  String identity;
  @Option(names = "--lease-duration", defaultValue = "15000", description = "L in milliseconds")
  long leaseMillis;
  @Option(names = "--renew-deadline", defaultValue = "10000", description = "D in milliseconds")
  long renewMillis;
  @Option(names = "--retry-period", defaultValue = "2000", description = "R in milliseconds")
  long retryMillis;

  private final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  private volatile boolean running = true;
  private volatile CompletableFuture<?> election;

  public static void main(String[] args) {
    System.exit(new CommandLine(new JavaCandidateMain()).execute(args));
  }

  @Override
  public void run() {
    Duration lease = Duration.ofMillis(leaseMillis);
    Duration renew = Duration.ofMillis(renewMillis);
    Duration retry = Duration.ofMillis(retryMillis);
    KubernetesClient client;
    try {
      client = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString())).build();
    } catch (java.io.IOException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), "cannot read " + kubeconfig + ": " + e);
    }
    MultiClusterLeaseLock lock = MultiClusterLeaseLock.builder(namespace, name, identity)
        .leaseDuration(lease).renewDeadline(renew).retryPeriod(retry).build();
    LeadershipReporter reporter = new LeadershipReporter(lock, out);
    out.println("MCLEASE READY instance=" + lock.instance());
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "deadline-reporter");
      t.setDaemon(true);
      return t;
    });
    // the lock's deadline moves with every echo it observes, not only on elector ticks: report it as it moves
    ticker.scheduleWithFixedDelay(reporter::report, 0, 20, TimeUnit.MILLISECONDS);
    CountDownLatch released = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running = false;
      CompletableFuture<?> f = election;
      if (f != null) {
        f.cancel(true);
      }
      try {
        released.await(renew.toMillis() + 5000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "release-on-sigterm"));
    while (running) {
      // fabric8's elector runs once; a replica that lost campaigns again with the same lock (same instance)
      CompletableFuture<?> f = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
          .withName(name).withLock(lock).withLeaseDuration(lease).withRenewDeadline(renew).withRetryPeriod(retry)
          .withReleaseOnCancel(true)
          .withLeaderCallbacks(new LeaderCallbacks(reporter::started, reporter::stopped, leader -> { }))
          .build()).build().start();
      election = f;
      try {
        f.get();
      } catch (Exception e) {
        // cancelled on SIGTERM, or the elector ended with an error: campaign again unless we are leaving
      }
    }
    reporter.stopped();
    ticker.shutdownNow();
    // close() releases when this instance still holds the cluster's spec (best effort, bounded by the client)
    lock.close();
    client.close();
    out.println("MCLEASE RELEASED");
    released.countDown();
  }
}
