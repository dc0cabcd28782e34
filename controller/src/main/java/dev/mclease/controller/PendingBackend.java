package dev.mclease.controller;

import dev.mclease.controller.backend.GlobalLockBackend;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lock backend being connected on a thread of its own, so that a starting controller builds its API client and
 * checks the CRD meanwhile (each is the first connection to its server: TLS, or a gRPC channel and a session grant,
 * tens of milliseconds apiece). Hand {@link #future()} to {@link ElectionController}; {@link #close()} closes the
 * backend however the start ended, also when it is still connecting.
 */
public final class PendingBackend implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PendingBackend.class);

  private final CompletableFuture<GlobalLockBackend> future;

  private PendingBackend(CompletableFuture<GlobalLockBackend> future) {
    this.future = future;
  }

  /** Starts {@code connect} (for example {@code () -> BackendFactory.create(cfg, nanoTime)}) on a daemon thread. */
  public static PendingBackend connect(Supplier<GlobalLockBackend> connect) {
    return new PendingBackend(CompletableFuture.supplyAsync(connect, r -> {
      Thread t = new Thread(r, "mclease-backend-connect");
      t.setDaemon(true);
      t.start();
    }));
  }

  /** Completes with the connected backend, or exceptionally with why it could not connect. */
  public CompletableFuture<GlobalLockBackend> future() {
    return future;
  }

  /** Closes the backend now if it is connected, else as soon as it is; a failed connection has nothing to close. */
  @Override
  public void close() {
    future.whenComplete((backend, failure) -> {
      if (backend != null) {
        try {
          backend.close();
        } catch (Exception e) {
          LOG.debug("closing the backend failed", e);
        }
      }
    });
  }
}
