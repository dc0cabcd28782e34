package dev.mclease.testbed.cli;

import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.web.LivePage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a fleet until Ctrl-C or the given duration: the live page (unless turned off), and either the demo's tour of
 * the fault catalogue followed by the live view, or the live view alone. A tour ends with the checker's verdict.
 */
final class Session {

  /**
   * What to run beside the fleet.
   *
   * @param tour walk through the fault catalogue, then print the verdict and the timeline into {@code outDir}
   * @param page the live page's options; null for none
   */
  record Plan(boolean tour, PageOptions page, Path outDir) {
  }

  private Session() {
  }

  static int run(Fleet fleet, Duration duration, PrintStream out, Plan plan) throws InterruptedException {
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
    LivePage page = null;
    Thread tour = null;
    boolean clean = true;
    FaultInjector injector = new FaultInjector(fleet.history());
    PageSink sink = new PageSink();
    try (LiveView view = new LiveView(fleet, out, sink)) {
      printClusters(fleet, out);
      fleet.start();
      if (plan.page() != null && !plan.page().off) {
        page = LivePage.start(fleet, injector, plan.page().port, view::print);
        sink.page = page;
        out.println("live page: " + page.url() + "  (open it in a browser: watch the election, inject faults)");
      }
      if (plan.tour()) {
        tour = new Thread(() -> {
          new DemoTour(fleet, injector, view::print).run();
          if (!Thread.currentThread().isInterrupted()) {
            view.start();
          }
        }, "demo-tour");
        tour.setDaemon(true);
        tour.start();
      } else {
        view.start();
      }
      if (duration == null) {
        out.println("running; Ctrl-C to stop");
        stop.await();
      } else {
        out.println("running for " + duration.toSeconds() + " s; Ctrl-C to stop earlier");
        stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (tour != null) {
        tour.interrupt();
        tour.join(TimeUnit.SECONDS.toMillis(30));
      }
      injector.close();
      if (plan.tour()) {
        clean = DemoTour.verdict(fleet, plan.outDir(), view::print).ok();
      }
    } finally {
      if (tour != null) {
        tour.interrupt();
      }
      injector.close();
      out.println("stopping...");
      if (page != null) {
        page.close();
      }
      fleet.close();
      out.println("stopped cleanly");
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // Ctrl-C: the hook is running and waits for 'closed'
      }
    }
    return clean ? 0 : 1;
  }

  /** The live view's lines, on to the page once there is one. */
  private static final class PageSink implements Consumer<String> {
    volatile LivePage page;

    @Override
    public void accept(String line) {
      LivePage p = page;
      if (p != null) {
        p.log(line);
      }
    }
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
