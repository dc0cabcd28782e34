package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs a fleet with a live view until Ctrl-C or the given duration. */
final class Session {

  private Session() {
  }

  static int run(Fleet fleet, Duration duration, PrintStream out) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        closed.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "mcl-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (LiveView view = new LiveView(fleet, out)) {
      printClusters(fleet, out);
      fleet.start();
      view.start();
      if (duration == null) {
        out.println("running; Ctrl-C to stop");
        stop.await();
      } else {
        out.println("running for " + duration.toSeconds() + " s; Ctrl-C to stop earlier");
        stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      out.println("stopping...");
      fleet.close();
      out.println("stopped cleanly");
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // Ctrl-C: the hook is running and waits for 'closed'
      }
    }
    return 0;
  }

  static void printClusters(Fleet fleet, PrintStream out) {
    out.println("timings: " + fleet.timings());
    out.println("lock store: " + fleet.store().describe());
    for (ClusterNode n : fleet.clusters()) {
      out.printf("cluster %-6s API %s  kubeconfig %s%n", n.name(), n.cluster().apiServer(), n.cluster().kubeconfig());
    }
    if (!fleet.clusters().isEmpty()) {
      out.printf("try: kubectl --kubeconfig %s get mcl -A%n", fleet.clusters().get(0).cluster().kubeconfig());
    }
  }
}
