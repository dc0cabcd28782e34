package dev.mclease.controller;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * One lease's key in the global lock store as this controller knows it, and the backend calls that change it: the
 * acquisition this controller holds ({@link #mine()}) and its newest echo, another session's hold
 * ({@link OtherHolder}), what the backend last reported wrong (a malformed value, an error), and whether the holder
 * must be looked up again. {@link LeaseWorker} decides when to acquire, release or look up; this does it and keeps
 * the view consistent with what the backend answered.
 *
 * <p>Every way {@link #mine()} ends (released, lost, its key reported deleted) forgets its echo and asks for a lookup:
 * the release wait ({@link ReleaseRule}) is judged from the echo of that very acquisition only, and a standby must not
 * wait on a holder it has not seen. Not thread-safe: run on the lease's serialized executor, like the worker.
 */
final class GlobalLock {

  private final String key;
  private final String clusterName;
  private final GlobalLockBackend backend;
  private final LeaseEvents events;
  private final Clock clock;
  private final ControllerMetrics metrics;
  private final Logger log;

  private Acquisition mine;
  private final OtherHolder other;
  private String malformed;
  private String backendError;
  private boolean needLookup = true;
  /** The newest echo of {@link #mine}; null until its first echo. */
  private LastEcho lastEcho;

  /** @param log the worker's logger */
  GlobalLock(String key, String clusterName, GlobalLockBackend backend, LeaseEvents events, Clock clock,
      LongSupplier nanoTime, ControllerMetrics metrics, Logger log) {
    this.key = key;
    this.clusterName = clusterName;
    this.backend = backend;
    this.events = events;
    this.clock = clock;
    this.other = new OtherHolder(nanoTime, backend::watchReportsEveryChange);
    this.metrics = metrics;
    this.log = log;
  }

  /** The acquisition this controller holds, or null. */
  Acquisition mine() {
    return mine;
  }

  /** The newest echo of {@link #mine()}; null until its first echo. */
  LastEcho lastEcho() {
    return lastEcho;
  }

  /** Another session's hold, or null when none is known. */
  Held otherHeld() {
    return other.held();
  }

  /** When the backend last confirmed {@link #otherHeld()}. */
  long otherSeenAtNanos() {
    return other.seenAtNanos();
  }

  /** The backend key holds a value nobody can read (the message), or null. */
  String malformed() {
    return malformed;
  }

  /** The last backend call failed (its message), or null. */
  String backendError() {
    return backendError;
  }

  /** Whether the holder must be asked for again: not known yet, or the view may have missed a change. */
  boolean needLookup() {
    return needLookup;
  }

  /** The backend key changed (watch). */
  void onLockEvent(LockEvent e) {
    switch (e.type()) {
      case RELEASED -> {
        if (mine != null && (e.token() == mine.token())) {
          lose("the backend key was deleted or expired (token " + e.token() + ")");
        }
        other.released(e.token());
        malformed = null;
      }
      case ACQUIRED -> {
        if (mine != null && e.token() == mine.token()) {
          return;
        }
        if (e.holder() == null) {
          malformed = "backend key " + key + " was written with a malformed value (token " + e.token() + ")";
          other.forget();
        } else if (other.watchedAcquisition(new Held(e.holder(), e.token()))) {
          malformed = null;
        }
      }
      case RESYNC -> needLookup = true;
      default -> throw new IllegalStateException("unknown event " + e);
    }
  }

  /**
   * Lost without releasing: once heldUntil has passed the session can no longer vouch for the key, and that is final
   * (a lapse is never revived: HeldUntil).
   */
  void loseIfLapsed(long now) {
    if (mine != null) {
      long hu = backend.heldUntilNanos();
      if (hu == Long.MIN_VALUE || hu - now <= 0) {
        lose("the backend session expired before it could be renewed");
      }
    }
  }

  /**
   * The heartbeat {@code renewTime} was echoed with the window granted now. Only its first echo is kept: the window
   * is fixed once per heartbeat ({@link LastEcho}).
   */
  void echoed(MicroTime renewTime, long seenNanos, long windowNanos) {
    if (lastEcho == null || !Objects.equals(renewTime, lastEcho.renewTime())) {
      lastEcho = new LastEcho(renewTime, seenNanos, windowNanos);
      metrics.echoed();
    }
  }

  void acquire(String candidate, String instance) {
    Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
    try {
      AcquireResult r = backend.acquire(key, new LockValue(candidate, clusterName, at));
      backendError = null;
      malformed = null;
      needLookup = false;
      if (r instanceof AcquireResult.Granted g) {
        mine = new Acquisition(candidate, instance, g.token(), at);
        other.forget();
        lastEcho = null;
        metrics.acquired();
        metrics.held(1);
        events.acquired(candidate, g.token());
      } else if (r instanceof AcquireResult.HeldBy h) {
        if (other.held() == null || other.held().token() != h.token()) {
          log.debug("{}: held by {} of cluster {} (token {})", key, h.holder().holder(), h.holder().cluster(),
              h.token());
        }
        other.learned(new Held(h.holder(), h.token()));
      }
    } catch (MalformedValueException e) {
      onMalformed(e);
    } catch (BackendException e) {
      onBackendError("acquire", e);
    }
  }

  void lookup() {
    try {
      Optional<Held> h = backend.current(key);
      if (h.isPresent()) {
        other.learned(h.get());
      } else {
        other.forget();
      }
      malformed = null;
      backendError = null;
      needLookup = false;
    } catch (MalformedValueException e) {
      onMalformed(e);
      needLookup = false;
    } catch (BackendException e) {
      onBackendError("current", e);
    }
  }

  /**
   * Another cluster's session holds the key, the backend answers, and the watch will report the end of that hold
   * ({@link OtherHolder#heldElsewhereOnTheWatch}: never for a key held in this cluster's own name).
   */
  boolean heldElsewhereOnTheWatch() {
    return malformed == null && backendError == null && other.heldElsewhereOnTheWatch(clusterName);
  }

  /** Releases {@link #mine()}: true when the backend answered and it is gone, false when it failed (still held). */
  boolean release(ReleaseReason why) {
    try {
      backend.release(key, mine.token());
      backendError = null;
      events.released(mine, why);
      metrics.released(why.label());
      metrics.held(-1);
      mine = null;
      lastEcho = null;
      needLookup = true;
      return true;
    } catch (BackendException e) {
      onBackendError("release", e);
      return false;
    }
  }

  private void lose(String why) {
    events.lost(mine, why);
    metrics.lost();
    metrics.held(-1);
    mine = null;
    lastEcho = null;
    needLookup = true;
  }

  private void onMalformed(MalformedValueException e) {
    malformed = e.getMessage();
    other.forget();
    backendError = null;
    events.malformed(e.getMessage());
  }

  private void onBackendError(String op, BackendException e) {
    metrics.backendError(op);
    if (Thread.currentThread().isInterrupted()) {
      log.debug("{}: backend {} interrupted by shutdown: {}", key, op, e.getMessage());
    } else if (!Objects.equals(backendError, e.getMessage())) {
      log.warn("{}: backend {} failed: {}", key, op, e.getMessage());
    }
    backendError = e.getMessage();
  }
}
