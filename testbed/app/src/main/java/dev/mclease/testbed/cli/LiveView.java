package dev.mclease.testbed.cli;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import java.io.PrintStream;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Prints who leads, as it changes: one line per change (cluster, identity, fencing token) and a compact
 * summary line every few seconds, with time since the fleet started.
 */
final class LiveView implements AutoCloseable {

  private final Fleet fleet;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "live-view");
    t.setDaemon(true);
    return t;
  });
  private final Consumer<String> also;
  private String lastLine = "";
  private int ticks;

  /** Prints to {@code out}; every line printed goes to {@code also} too (the live page's log). */
  LiveView(Fleet fleet, PrintStream out, Consumer<String> also) {
    this.fleet = fleet;
    this.out = out;
    this.also = also;
  }

  void start() {
    ticker.scheduleWithFixedDelay(this::tick, 0, 100, TimeUnit.MILLISECONDS);
  }

  private synchronized void tick() {
    try {
      List<CandidateNode> leaders = fleet.leaders();
      String line;
      if (leaders.isEmpty()) {
        line = "no leader";
      } else if (leaders.size() == 1) {
        CandidateNode l = leaders.get(0);
        line = "leader " + l.identity() + " in cluster " + l.clusterName() + ", fencing token " + l.fencingToken();
      } else {
        line = "SPLIT BRAIN: " + leaders;
      }
      if (!Objects.equals(line, lastLine)) {
        print(line);
        lastLine = line;
      }
      if (++ticks % 100 == 0) {
        print("  " + summary());
      }
    } catch (RuntimeException e) {
      print("(view error: " + e + ")");
    }
  }

  /** One line with the time since the fleet started, to the terminal and to {@code also}. */
  synchronized void print(String text) {
    String line = String.format(java.util.Locale.ROOT, "[%8.3fs] %s", elapsed(), text);
    out.println(line);
    also.accept(line);
  }

  private String summary() {
    StringBuilder b = new StringBuilder();
    for (ClusterNode n : fleet.clusters()) {
      b.append(n.name()).append(n.controller().isRunning() ? "" : "(controller down)").append(": ");
      for (CandidateNode c : n.candidates()) {
        b.append(c.identity()).append(c.isLeader() ? "*" : "").append(c.isRunning() ? "" : "(down)").append(' ');
      }
      b.append(" ");
    }
    return b.toString().trim();
  }

  double elapsed() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
