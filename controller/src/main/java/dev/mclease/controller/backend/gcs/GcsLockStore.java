package dev.mclease.controller.backend.gcs;

import com.google.cloud.storage.Storage;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.ContenderExpiry;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock store on Google Cloud Storage objects in one bucket, every write guarded by a generation precondition
 * ({@link GcsObjects}, the only class that talks to GCS); the session lifecycle is
 * {@link dev.mclease.controller.backend.session.SessionKeeper}'s.
 *
 * <ul>
 *   <li><b>Session</b> = object {@code <prefix>/sessions/<id>}, metadata {@code dead=false}; a renewal rewrites it
 *       with {@code ifGenerationMatch} of the generation it last wrote. A failed precondition means a contender marked
 *       it dead (gone), or a rewrite of ours whose answer timed out was applied after all (inconclusive: its
 *       generation is taken up). Ending a session deletes its object, which frees every key it holds at once.</li>
 *   <li><b>Expiry</b> is judged by a contender on <em>its own</em> monotonic clock ({@link ContenderExpiry}) on the
 *       session object's {@code generation}; the mark is a rewrite {@code dead=true} with {@code ifGenerationMatch}
 *       of the generation that stood still. GCS timestamps are never read.</li>
 *   <li><b>Lock</b> = object {@code <prefix>/locks/<ns>/<name>}, metadata {@code session} (empty = free),
 *       {@code token} and {@code value} (the protocol JSON, also the content). It is never deleted: released =
 *       {@code session ""} with the token and the last value kept. Acquire = a write conditioned on the generation
 *       read ({@code ifGenerationMatch=0} for a key never used) after the key was found free or its holder's session
 *       dead; its token is the one read + 1, so tokens strictly increase per key in the very conditional write that
 *       grants. GCS generations are not the token: the documentation does not promise that they grow across a
 *       delete and re-create, and the emulator's follow its wall clock. A write lost to another session's
 *       acquisition answers that acquisition ({@code GcsLostRaceTest}).</li>
 *   <li><b>Watch</b> = a poll of every watched key every K.</li>
 * </ul>
 */
public final class GcsLockStore implements LockStore<String> {

  static final String SESSION = "session";
  static final String TOKEN = "token";
  static final String VALUE = "value";
  static final String DEAD = "dead";
  private static final Logger LOG = LoggerFactory.getLogger(GcsLockStore.class);

  private final Storage storage;
  private final GcsObjects objects;
  private final Duration ttl;
  private final ContenderExpiry expiry;
  /** This process's sessions: the generation of the session object each last wrote. */
  private final Map<String, Long> generations = new ConcurrentHashMap<>();

  private GcsLockStore(Storage storage, String bucket, String prefix, Duration ttl, LongSupplier nanoTime) {
    this.storage = storage;
    this.objects = new GcsObjects(storage, bucket, prefix);
    this.ttl = ttl;
    this.expiry = new ContenderExpiry(new SessionRecords(), ttl, nanoTime, LOG);
  }

  /**
   * Starts the backend: renewing (the session object is written on the first tick) and polling watched keys every
   * {@code renewInterval}.
   *
   * @param storage a client with the request timeout set and retries off (the backend retries by itself); closed
   *     with the backend
   * @param bucket an existing bucket (the backend creates none)
   * @param prefix object name prefix, e.g. {@code mclease}
   */
  public static SessionLockBackend<String> start(Storage storage, String bucket, String prefix, Duration ttl,
      Duration renewInterval, LongSupplier nanoTime) {
    SessionLockBackend.checkIntervals("GCS", ttl, renewInterval);
    GcsLockStore store = new GcsLockStore(storage, bucket, prefix, ttl, nanoTime);
    return SessionLockBackend.start(store, new BackendListeners(LOG), renewInterval, nanoTime, LOG);
  }

  @Override
  public String storeName() {
    return "GCS";
  }

  // ---------------------------------------------------------------------------------------------- sessions

  @Override
  public Opened<String> open() throws BackendException {
    String id = UUID.randomUUID().toString();
    String name = objects.sessionObject(id);
    try {
      generations.put(id, objects.write(name, Map.of(DEAD, "false"), "", 0));
    } catch (GcsObjects.PreconditionFailed e) {
      throw new BackendException("GCS session object " + objects.where(name) + " existed before it was created;"
          + " will retry with another id");
    }
    return new Opened<>(id, ttl.toNanos(), objects.where(name) + ", G = " + ttl);
  }

  @Override
  public Renewal renew(String session) throws BackendException {
    String name = objects.sessionObject(session);
    Long last = generations.get(session);
    if (last == null) {
      return Renewal.gone("this process no longer knows the session's generation (it was ended)");
    }
    try {
      generations.put(session, objects.write(name, Map.of(DEAD, "false"), "", last));
      return Renewal.renewed(ttl.toNanos());
    } catch (GcsObjects.PreconditionFailed e) {
      Optional<GcsObjects.Obj> now = objects.read(name);
      if (now.isEmpty() || "true".equals(now.get().meta(DEAD))) {
        return Renewal.gone("a contender declared the session dead (its generation stood still for G as it saw it)");
      }
      generations.put(session, now.get().generation()); // a rewrite of ours, applied after its answer timed out
      return Renewal.inconclusive("the session object had a generation of a rewrite whose answer was lost");
    }
  }

  @Override
  public void end(String session) throws BackendException {
    generations.remove(session);
    objects.delete(objects.sessionObject(session));
  }

  /** Session objects as {@link ContenderExpiry} reads and marks them. */
  private final class SessionRecords implements ContenderExpiry.Records {
    @Override
    public ContenderExpiry.Observed read(String session) throws BackendException {
      Optional<GcsObjects.Obj> s = objects.read(objects.sessionObject(session));
      if (s.isEmpty() || "true".equals(s.get().meta(DEAD))) {
        return ContenderExpiry.Observed.goneNow();
      }
      return ContenderExpiry.Observed.at(Long.toString(s.get().generation()));
    }

    @Override
    public boolean markDead(String session, String version) throws BackendException {
      try {
        objects.write(objects.sessionObject(session), Map.of(DEAD, "true"), "", Long.parseLong(version));
        return true;
      } catch (GcsObjects.PreconditionFailed e) {
        return false; // rewritten meanwhile, or marked by another contender (the next read says so)
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- keys

  @Override
  public Attempt<String> tryAcquire(String key, LockValue value, String session) throws BackendException {
    String name = objects.lockObject(key);
    Optional<GcsObjects.Obj> lock = objects.read(name);
    String holder = lock.map(o -> o.meta(SESSION)).orElse("");
    long oldToken = lock.isPresent() ? token(key, lock.get()) : 0;
    if (!holder.isEmpty()) {
      // parsed first: a value nobody can read counts as held, whatever its session (docs/safety.md, invariant 7)
      Held held = stored(key, lock.get()).held(key);
      if (holder.equals(session) || !expiry.dead(holder)) {
        return new Attempt.Found<>(holder, held);
      }
    }
    long token = oldToken + 1;
    String json = value.toJson();
    try {
      objects.write(name, Map.of(SESSION, session, TOKEN, Long.toString(token), VALUE, json), json,
          lock.map(GcsObjects.Obj::generation).orElse(0L));
      return new Attempt.Won<>(token);
    } catch (GcsObjects.PreconditionFailed e) {
      return lostTo(key, name, oldToken, session);
    }
  }

  /**
   * After a failed conditional write: if another session acquired the key after our read (a larger token), that
   * acquisition is the answer, even when it has been released again since: it held the key during this call.
   * Changed when no acquisition came between (the holder only released: read again).
   */
  private Attempt<String> lostTo(String key, String name, long readToken, String session) throws BackendException {
    Optional<GcsObjects.Obj> now = objects.read(name);
    if (now.isEmpty() || token(key, now.get()) <= readToken || now.get().meta(SESSION).equals(session)
        || now.get().meta(VALUE).isEmpty()) {
      return new Attempt.Changed<>();
    }
    return new Attempt.Found<>(now.get().meta(SESSION), stored(key, now.get()).held(key));
  }

  @Override
  public void delete(String key, long token, String session) throws BackendException {
    String name = objects.lockObject(key);
    Optional<GcsObjects.Obj> lock = objects.read(name);
    if (lock.isEmpty() || !lock.get().meta(SESSION).equals(session) || token(key, lock.get()) != token) {
      return; // not ours any more
    }
    try {
      // the value stays beside the token: an acquirer that lost to this acquisition can still name it
      objects.write(name, Map.of(SESSION, "", TOKEN, Long.toString(token), VALUE, lock.get().meta(VALUE)), "",
          lock.get().generation());
    } catch (GcsObjects.PreconditionFailed e) {
      // taken over since the read: our session was declared dead
    }
  }

  @Override
  public Optional<Stored> read(String key, String own) throws BackendException {
    Optional<GcsObjects.Obj> lock = objects.read(objects.lockObject(key));
    String s = lock.map(o -> o.meta(SESSION)).orElse("");
    if (s.isEmpty()) {
      return Optional.empty();
    }
    Stored stored = stored(key, lock.get());
    // a value nobody can read counts as held, whatever its session
    return stored.valueOrNull() != null && !s.equals(own) && expiry.dead(s) ? Optional.empty() : Optional.of(stored);
  }

  // ---------------------------------------------------------------------------------------------- watch

  @Override
  public void startWatching(BackendListeners listeners, Consumer<String> poll) {
    // nothing pushes (Pub/Sub notifications are at-least-once and seconds late): every watched key is polled every K
  }

  @Override
  public boolean pollsEveryInterval() {
    return true;
  }

  @Override
  public void close() {
    try {
      storage.close();
    } catch (Exception e) {
      LOG.debug("closing the GCS client", e);
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private Stored stored(String key, GcsObjects.Obj lock) throws MalformedValueException {
    return new Stored(token(key, lock), lock.meta(VALUE));
  }

  /** The lock object's token; an unreadable one makes the key malformed (held), never a restart at 1. */
  private long token(String key, GcsObjects.Obj lock) throws MalformedValueException {
    try {
      long t = Long.parseLong(lock.meta(TOKEN));
      if (t > 0) {
        return t;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    MalformedValueException m = new MalformedValueException(key, "token=" + lock.meta(TOKEN), 0,
        new IllegalArgumentException("metadata 'token' is not a positive integer"));
    LOG.error("{} ({})", m.getMessage(), objects.where(objects.lockObject(key)));
    throw m;
  }
}
