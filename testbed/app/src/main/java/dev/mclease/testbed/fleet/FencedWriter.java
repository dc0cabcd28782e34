package dev.mclease.testbed.fleet;

import dev.mclease.client.gate.LeaderWriteGate;
import dev.mclease.client.gate.WriteRefusedException;
import dev.mclease.testbed.fencing.FencedRow;
import dev.mclease.testbed.fencing.FencedWrite;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A candidate's side effect: while it leads, it writes to a {@link FencedRow} every {@code interval}, each write
 * admitted by the client's {@link LeaderWriteGate} on the candidate's lock and monotonic clock, with the token the gate
 * returned. It runs on a thread of its own, which freezes with the candidate ({@link CandidateNode#awaitRunnable()})
 * both before its check and between its check and its write: a pause in the second place is the window only the
 * fence closes, and its write lands late.
 *
 * <p>The instant recorded with each write is taken <em>between</em> two readings of "this leadership is on" (set
 * after the history's START, cleared before its STOP, see {@link CandidateNode.LeadershipHook}), and the lock's
 * deadline is recorded after the check: so the instant lies inside the leadership the history shows, unless the gate
 * let a write through that it should not have — which is what {@code FencedWriteChecker} looks for.
 */
public final class FencedWriter implements CandidateNode.LeadershipHook, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FencedWriter.class);

  /** One leadership as this writer knows it. */
  private record Lead(long token, LeaderWriteGate gate, int incarnation) {
  }

  private final CandidateNode node;
  private final FencedRow row;
  private final ScheduledExecutorService loop;
  private final AtomicReference<Runnable> afterNextCheck = new AtomicReference<>();
  private final List<WriteRefusedException> gateRefusals = new CopyOnWriteArrayList<>();
  private final List<FencedWrite> writes = new CopyOnWriteArrayList<>();
  private volatile Lead lead;
  /** The newest leadership, kept after its STOP: for {@link #writeNow()}. */
  private volatile Lead lastLead;
  private FencedRow.Session session;

  private FencedWriter(CandidateNode node, FencedRow row, Duration interval) {
    this.node = node;
    this.row = row;
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, node.identity() + "-fenced-writer");
      t.setDaemon(true);
      return t;
    });
    loop.scheduleWithFixedDelay(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Starts writing to {@code row} whenever {@code node} leads, every {@code interval}. */
  public static FencedWriter attach(CandidateNode node, FencedRow row, Duration interval) {
    FencedWriter w = new FencedWriter(Objects.requireNonNull(node, "node"), Objects.requireNonNull(row, "row"),
        interval);
    node.addLeadershipHook(w);
    return w;
  }

  public CandidateNode node() {
    return node;
  }

  @Override
  public void started(CandidateNode n, long token) {
    // the gate judges on the candidate's own lock and monotonic clock, as the application would
    Lead l = new Lead(token, LeaderWriteGate.forLock(n.lock(), n.nanoTime()), n.incarnation());
    lastLead = l;
    lead = l;
  }

  @Override
  public void stopped(CandidateNode n) {
    lead = null;
  }

  /**
   * Runs {@code action} on the writer's thread right after its next check that the gate passed, before the write:
   * e.g. pausing the candidate there, to open the window between check and write.
   */
  public void afterNextCheck(Runnable action) {
    afterNextCheck.set(action);
  }

  /** Writes the gate refused (not sent), oldest first. */
  public List<WriteRefusedException> gateRefusals() {
    return List.copyOf(gateRefusals);
  }

  /** This writer's attempts as the row logged them, oldest first. */
  public List<FencedWrite> writes() {
    return List.copyOf(writes);
  }

  /**
   * One write now, on the caller's thread, through the gate of the newest leadership whether or not its STOP has
   * been heard: what a process that has not heard onStopLeading yet would do. A write the gate lets through here is
   * logged like any other, so the checker judges it.
   *
   * @throws WriteRefusedException when the gate refuses (also kept in {@link #gateRefusals()})
   * @throws IllegalStateException when this candidate never led
   */
  public FencedWrite writeNow() {
    Lead l = lastLead;
    if (l == null) {
      throw new IllegalStateException(node + " never led: no gate to write through");
    }
    long at = System.nanoTime();
    long wall = System.currentTimeMillis();
    long token;
    try {
      token = l.gate().admit("UPDATE of fenced row " + row.name());
    } catch (WriteRefusedException e) {
      gateRefusals.add(e);
      throw e;
    }
    try (FencedRow.Session s = row.open()) {
      FencedWrite w = s.write(token, node.identity(), l.incarnation(), at, wall, node.identity() + "@" + at);
      writes.add(w);
      return w;
    }
  }

  private void tick() {
    try {
      node.awaitRunnable();
      Lead l = lead;
      if (l == null) {
        return;
      }
      long at = System.nanoTime(); // the history's time base
      long wall = System.currentTimeMillis();
      if (lead != l) {
        return;
      }
      long token;
      try {
        token = l.gate().admit("UPDATE of fenced row " + row.name());
      } catch (WriteRefusedException e) {
        gateRefusals.add(e);
        LOG.info("{}: {}", node, e.getMessage());
        return;
      }
      node.recordConfirmationNow();
      if (lead != l) {
        return; // stopped meanwhile: this check may postdate its STOP
      }
      Runnable action = afterNextCheck.getAndSet(null);
      if (action != null) {
        action.run();
      }
      node.awaitRunnable(); // a pause here: the write goes out late, with the token checked before
      writes.add(session().write(token, node.identity(), l.incarnation(), at, wall, node.identity() + "@" + at));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // a write cut by a fault: its outcome is in the row's log if it committed
      LOG.debug("{}: fenced write failed", node, e);
      closeSession();
    }
  }

  private FencedRow.Session session() {
    if (session == null) {
      session = row.open();
    }
    return session;
  }

  private void closeSession() {
    if (session != null) {
      session.close();
      session = null;
    }
  }

  @Override
  public void close() {
    lead = null;
    loop.shutdownNow();
    try {
      loop.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeSession();
  }

  @Override
  public String toString() {
    return "FencedWriter[" + node + " -> " + row.name() + "]";
  }
}
