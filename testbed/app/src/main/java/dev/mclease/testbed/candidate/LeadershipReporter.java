package dev.mclease.testbed.candidate;

import dev.mclease.client.Leadership;
import dev.mclease.client.MultiClusterLeaseLock;
import java.io.PrintStream;

/**
 * Prints a candidate process's leadership on stdout in the Go candidate's protocol:
 *
 * <pre>
 * MCLEASE START token=&lt;n&gt; validForNanos=&lt;n&gt;      onStartLeading, with the lock's own snapshot
 * MCLEASE CONFIRMED token=&lt;n&gt; validForNanos=&lt;n&gt;  the lock's deadline moved (a newer echo)
 * MCLEASE STOP                                   onStopLeading after a START
 * </pre>
 *
 * A START needs both: the elector said "started leading" and the lock's snapshot says leader; it is printed as soon
 * as both hold, so no leadership is left out of the history. {@code validForNanos} is relative: two processes'
 * monotonic clocks share no origin, and the reader adding it to its own clock can only move the deadline later.
 */
final class LeadershipReporter {

  private final MultiClusterLeaseLock lock;
  private final PrintStream out;
  // guarded by this
  private boolean elected;
  private boolean leading;
  private long lastUntil = Long.MIN_VALUE;

  LeadershipReporter(MultiClusterLeaseLock lock, PrintStream out) {
    this.lock = lock;
    this.out = out;
  }

  synchronized void started() {
    elected = true;
    report();
  }

  synchronized void stopped() {
    elected = false;
    if (leading) {
      leading = false;
      out.println("MCLEASE STOP");
    }
  }

  synchronized void report() {
    Leadership l = lock.leadership();
    if (!elected || !l.leader()) {
      return;
    }
    long validFor = l.validUntilNanos() - System.nanoTime();
    if (!leading) {
      leading = true;
      lastUntil = l.validUntilNanos();
      out.println("MCLEASE START token=" + l.fencingToken().orElse(-1) + " validForNanos=" + validFor);
    } else if (l.validUntilNanos() != lastUntil) {
      lastUntil = l.validUntilNanos();
      out.println("MCLEASE CONFIRMED token=" + l.fencingToken().orElse(-1) + " validForNanos=" + validFor);
    }
  }
}
