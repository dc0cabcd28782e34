package dev.mclease.controller.backend.gcs;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.HeldUntil;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions of {@link GcsLockBackend}: this process's own session object, created, rewritten every K and given
 * up, and the judgement of <em>other</em> sessions on this process's monotonic clock.
 *
 * <ul>
 *   <li><b>Own session</b> = object {@code <prefix>/sessions/<id>}, metadata {@code dead=false}, rewritten every K
 *       with {@code ifGenerationMatch} of the generation it last wrote. {@code heldUntil} = send instant of the last
 *       answered rewrite + G ({@link HeldUntil}: a rewrite answered after that instant does not revive it; the session
 *       is then given up and its object deleted, which frees its keys at once). A failed precondition means either a
 *       contender marked it dead (lost) or a rewrite of ours that timed out was applied after all (its generation is
 *       taken up, the session goes on).</li>
 *   <li><b>Another session is dead</b> when its object is missing, says {@code dead=true}, or when this process has
 *       seen its generation unchanged for G since it first saw it; it is then marked {@code dead=true} with
 *       {@code ifGenerationMatch} of that very generation, so a rewrite of its owner that raced in makes the mark fail.
 *       A marked session can never be rewritten by its owner again. No timestamp of GCS is compared with any
 *       clock.</li>
 * </ul>
 */
final class GcsSessions {

  static final String DEAD = "dead";
  private static final Logger LOG = LoggerFactory.getLogger(GcsSessions.class);

  private final GcsObjects objects;
  private final Duration ttl;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final HeldUntil heldUntil;
  private final BackendListeners listeners;
  private final Runnable onLost;
  private final Object lock = new Object();
  /** Other sessions: generation seen and the monotonic instant it was first seen here. */
  private final Map<String, long[]> observed = new ConcurrentHashMap<>();

  private volatile String id;
  private volatile long generation;
  private volatile String stale;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  private volatile boolean suspended;

  /** @param onLost called (under the session lock) whenever the session ends: the backend forgets its grants */
  GcsSessions(GcsObjects objects, Duration ttl, LongSupplier nanoTime, BackendListeners listeners, Runnable onLost) {
    this.objects = objects;
    this.ttl = ttl;
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.listeners = listeners;
    this.onLost = onLost;
  }

  /** The live session's id, or null. */
  String current() {
    return id;
  }

  long heldUntilNanos() {
    return heldUntil.nanos();
  }

  BackendHealth health() {
    return health;
  }

  /** After {@link #giveUp()}: an acquisition opens a session again. */
  void resume() {
    suspended = false;
  }

  /** The live session, creating one (and deleting the object of the one that lapsed) when there is none. */
  String ensure() throws BackendException {
    synchronized (lock) {
      if (id != null && heldUntil.live()) {
        return id;
      }
      if (id != null) {
        lost("no successful rewrite before the session's TTL ran out");
      }
      String old = stale;
      if (old != null) {
        objects.delete(objects.sessionObject(old)); // our keys under the lapsed session are free at once
        stale = null;
      }
      String next = UUID.randomUUID().toString();
      long send = nanoTime.getAsLong();
      try {
        generation = objects.write(objects.sessionObject(next), Map.of(DEAD, "false"), "", 0);
      } catch (GcsObjects.PreconditionFailed e) {
        throw new BackendException("GCS session object " + objects.where(objects.sessionObject(next))
            + " existed before it was created; will retry with another id");
      }
      id = next;
      heldUntil.started(send, ttlNanos);
      health = BackendHealth.ok();
      LOG.info("GCS session {} created ({}), G = {}", next, objects.where(objects.sessionObject(next)), ttl);
    }
    listeners.fireSessionChange();
    return id;
  }

  /** One tick of the renewal timer: rewrite the session object, or open a session when there is none. */
  void renewOnce() {
    String cur = id;
    if (cur == null) {
      if (!suspended) {
        try {
          ensure();
        } catch (BackendException e) {
          boolean changed = health.reachable();
          health = BackendHealth.unreachable(e.getMessage());
          if (changed) {
            listeners.fireSessionChange();
          }
        }
      }
      return;
    }
    long send = nanoTime.getAsLong();
    boolean changed = false;
    try {
      long next = objects.write(objects.sessionObject(cur), Map.of(DEAD, "false"), "", generation);
      synchronized (lock) {
        if (cur.equals(id) && !heldUntil.renewed(send, ttlNanos)) {
          // answered after heldUntil (see HeldUntil): the next tick deletes the object, freeing its keys at once
          lost("heldUntil ran out before the rewrite was answered; its keys were already given up");
          changed = true;
        } else if (cur.equals(id)) {
          generation = next;
          if (!health.reachable()) {
            health = BackendHealth.ok();
            changed = true;
          }
        }
      }
    } catch (GcsObjects.PreconditionFailed e) {
      changed = preconditionFailed(cur);
    } catch (BackendException e) {
      synchronized (lock) {
        if (cur.equals(id)) {
          health = BackendHealth.unreachable("rewrite session: " + e.getMessage());
          changed = true;
          if (heldUntil.lapsed()) {
            lost("no successful rewrite before the session's TTL ran out (" + e.getMessage() + ")");
          }
        }
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Our rewrite found another generation: marked dead by a contender, or a late-applied rewrite of our own. */
  private boolean preconditionFailed(String cur) {
    Optional<GcsObjects.Obj> now;
    try {
      now = objects.read(objects.sessionObject(cur));
    } catch (BackendException e) {
      now = null; // cannot tell yet: the next tick tries again
    }
    synchronized (lock) {
      if (!cur.equals(id)) {
        return false;
      }
      if (heldUntil.lapsed()) {
        lost("heldUntil ran out before a rewrite got through");
        return true;
      }
      if (now == null) {
        return false;
      }
      if (now.isPresent() && !"true".equals(now.get().meta(DEAD))) {
        generation = now.get().generation(); // our own rewrite, applied after its answer timed out: go on from it
        return false;
      }
      lost("a contender declared the session dead (its generation stood still for G as it saw it)");
      stale = null;
      return true;
    }
  }

  /** Caller holds the session lock. */
  private void lost(String why) {
    LOG.warn("GCS session {} lost: {}; every key it held must be considered released", id, why);
    onLost.run();
    stale = id;
    id = null;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  /** Ends the session now (graceful shutdown): its object is deleted, which frees every key it holds. */
  void giveUp() throws BackendException {
    String s;
    synchronized (lock) {
      s = id;
      suspended = true;
      id = null;
      heldUntil.clear();
      onLost.run();
    }
    try {
      if (s != null) {
        objects.delete(objects.sessionObject(s));
      }
    } finally {
      listeners.fireSessionChange();
    }
  }

  /**
   * Whether another session is dead: its object is missing or marked dead, or this process has seen its
   * generation unchanged for G on its own clock (then it is marked dead here, conditioned on that generation).
   */
  boolean dead(String other) throws BackendException {
    String name = objects.sessionObject(other);
    Optional<GcsObjects.Obj> s = objects.read(name);
    if (s.isEmpty() || "true".equals(s.get().meta(DEAD))) {
      observed.remove(other);
      return true;
    }
    long gen = s.get().generation();
    long now = nanoTime.getAsLong();
    long[] seen = observed.get(other);
    if (seen == null || seen[0] != gen) {
      observed.put(other, new long[] {gen, now});
      return false;
    }
    if (now - seen[1] < ttlNanos) {
      return false;
    }
    try {
      objects.write(name, Map.of(DEAD, "true"), "", gen);
      LOG.info("GCS session {} unchanged for {} as seen here: marked dead", other, ttl);
      observed.remove(other);
      return true;
    } catch (GcsObjects.PreconditionFailed e) {
      return false; // it was rewritten meanwhile (or another contender marked it: the next read says so)
    }
  }
}
