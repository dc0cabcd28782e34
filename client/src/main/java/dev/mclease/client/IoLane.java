package dev.mclease.client;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock's one thread for requests to the API server, and how long a caller waits for it. The elector's thread
 * must never block longer than a tick on a slow or unreachable server: it waits at most the given bound and then
 * answers from the last observed state, while the request goes on here. Heartbeats do not pile up behind a request
 * that hangs; one that hangs past renewDeadline becomes a reported problem.
 */
final class IoLane implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IoLane.class);

  private final String subject;
  private final LongSupplier nanoTime;
  private final Duration renewDeadline;
  private final Problems problems;
  private final ExecutorService io;
  // guarded by this
  private Future<?> inFlight;
  private long inFlightSinceNanos;

  IoLane(String subject, String threadName, LongSupplier nanoTime, Duration renewDeadline, Problems problems) {
    this.subject = subject;
    this.nanoTime = nanoTime;
    this.renewDeadline = renewDeadline;
    this.problems = problems;
    this.io = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs {@code work} here, waiting at most {@code wait}; null if it failed or did not finish in time (or, when
   * {@code skipWhileBusy}, if the previous request still runs). A {@link LockException} from the work is rethrown.
   */
  <T> T run(Callable<T> work, Duration wait, String what, boolean skipWhileBusy) {
    Future<T> f;
    synchronized (this) {
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
      try {
        f = io.submit(work);
      } catch (RejectedExecutionException e) {
        return null; // closed
      }
      inFlight = f;
      inFlightSinceNanos = nanoTime.getAsLong();
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
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    io.shutdownNow();
  }
}
