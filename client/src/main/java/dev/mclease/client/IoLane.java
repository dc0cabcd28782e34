package dev.mclease.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock's lane for requests to the API server: one request at a time, in order, and how long a caller waits for
 * it. The elector's thread must never block longer than a tick on a slow or unreachable server: it waits at most the
 * given bound and then answers from the last observed state, while the request goes on here. Heartbeats do not pile
 * up behind a request that hangs; one that hangs past renewDeadline becomes a reported problem.
 *
 * <p>Why lanes share one pool instead of each owning a thread: a process that contends for many leases (a sharded
 * controller, the scale bench's 10,000 locks) would otherwise keep one idle thread per lock, and a thread's stack
 * costs far more than a lock. The pool grows only with the requests in flight — a lane holds a thread while its
 * request runs, never while it is idle — and threads idle for {@link #IDLE_THREAD_TTL} end, so a request that hangs
 * in one lane never takes another lane's thread (the isolation a thread per lock gave), and N idle locks cost none.
 */
final class IoLane implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IoLane.class);
  /** How long a pool thread with nothing to do stays. */
  static final Duration IDLE_THREAD_TTL = Duration.ofSeconds(30);
  private static final AtomicInteger THREADS = new AtomicInteger();
  /** Unbounded and handing each task straight to a thread (no queue): a busy lane never waits for another's. */
  private static final ThreadPoolExecutor SHARED = newPool();

  private final String subject;
  private final String threadName;
  private final LongSupplier nanoTime;
  private final Duration renewDeadline;
  private final Problems problems;
  private final Executor pool;
  // guarded by this
  private final Queue<FutureTask<?>> queued = new ArrayDeque<>();
  private FutureTask<?> running;
  private FutureTask<?> inFlight;
  private long inFlightSinceNanos;
  private boolean closed;

  IoLane(String subject, String threadName, LongSupplier nanoTime, Duration renewDeadline, Problems problems) {
    this(subject, threadName, nanoTime, renewDeadline, problems, SHARED);
  }

  /** A lane on {@code pool}, which must run each task on a thread of its own at once (tests pass their own). */
  IoLane(String subject, String threadName, LongSupplier nanoTime, Duration renewDeadline, Problems problems,
      Executor pool) {
    this.subject = subject;
    this.threadName = threadName;
    this.nanoTime = nanoTime;
    this.renewDeadline = renewDeadline;
    this.problems = problems;
    this.pool = pool;
  }

  /** A pool as the lanes share: daemon threads, one per task in flight, each ending after {@link #IDLE_THREAD_TTL}. */
  static ThreadPoolExecutor newPool() {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD_TTL.toMillis(), TimeUnit.MILLISECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "mclease-io-" + THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Runs {@code work} on this lane after what was submitted before it, waiting at most {@code wait}; null if it
   * failed or did not finish in time (or, when {@code skipWhileBusy}, if the previous request still runs). A
   * {@link LockException} from the work is rethrown.
   */
  <T> T run(Callable<T> work, Duration wait, String what, boolean skipWhileBusy) {
    FutureTask<T> f;
    synchronized (this) {
      if (closed) {
        return null;
      }
      if (skipWhileBusy && inFlight != null && !inFlight.isDone()) {
        long pending = nanoTime.getAsLong() - inFlightSinceNanos;
        if (pending >= renewDeadline.toNanos()) {
          problems.report("hanging", "the API server has not answered a request for "
              + Duration.ofNanos(pending).toMillis() + " ms (more than renewDeadline " + renewDeadline
              + "); answering from the last observed state, so this candidate is not leader. Check the connection "
              + "to the API server and the client's request timeout.");
        }
        return null;
      }
      f = new FutureTask<>(work);
      inFlight = f;
      inFlightSinceNanos = nanoTime.getAsLong();
      if (running != null) {
        queued.add(f); // the lane's thread takes it when the request before it is done
      } else if (!start(f)) {
        return null; // the pool is shut down: the process is exiting
      }
    }
    try {
      return f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // not a problem yet (a busy API server); it becomes one when a request hangs past renewDeadline or fails
      LOG.debug("{}: no answer to a {} within {}; answering from the last observed state", subject, what, wait);
      return null;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LockException le) {
        throw le;
      }
      problems.report("unexpected:" + cause, "unexpected failure during " + what + ": " + cause);
      LOG.debug("{}: unexpected failure", subject, cause);
      return null;
    } catch (java.util.concurrent.CancellationException e) {
      return null; // closed while queued or running
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Hands {@code task} to the pool on an idle lane; caller holds the monitor. False when the pool refused it. */
  private boolean start(FutureTask<?> task) {
    try {
      pool.execute(() -> runOnPoolThread(task));
      running = task;
      return true;
    } catch (RejectedExecutionException e) {
      task.cancel(false);
      return false;
    }
  }

  /**
   * Runs the lane's tasks one after another on this pool thread until none is queued: a busy lane keeps its thread
   * instead of handing every next request to a new one.
   */
  private void runOnPoolThread(FutureTask<?> first) {
    Thread me = Thread.currentThread();
    String poolName = me.getName();
    FutureTask<?> task = first;
    while (task != null) {
      me.setName(threadName); // thread dumps and logs name the lock whose request this is
      try {
        task.run();
      } finally {
        me.setName(poolName);
        Thread.interrupted(); // a close() that interrupted this request must not reach the next one
      }
      synchronized (this) {
        task = queued.poll();
        running = task;
      }
    }
  }

  /** Cancels what is queued and interrupts the request in flight; later calls return null at once. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      queued.forEach(t -> t.cancel(false));
      queued.clear();
      if (running != null) {
        running.cancel(true);
      }
    }
  }
}
