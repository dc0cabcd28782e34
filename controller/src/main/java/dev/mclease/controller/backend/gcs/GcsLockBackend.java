package dev.mclease.controller.backend.gcs;

import com.google.cloud.storage.Storage;
import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GlobalLockBackend} on Google Cloud Storage objects in one bucket, every write guarded by a generation
 * precondition ({@link GcsObjects}); sessions as {@link GcsSessions} says.
 *
 * <ul>
 *   <li><b>Lock</b> = object {@code <prefix>/locks/<ns>/<name>}, metadata {@code session} (empty = free),
 *       {@code token} and {@code value} (the protocol JSON, also the content). It is never deleted: released =
 *       {@code session ""} with the token and the last value kept. Acquire = a write conditioned on the generation
 *       read ({@code ifGenerationMatch=0} for a key never used), after the key was found free or its holder's session
 *       dead; its token is the one read + 1, so tokens strictly increase per key in the same conditional write that
 *       grants. (GCS generations are not used as tokens: the documentation does not promise that they grow across
 *       a delete and re-create, and the emulator derives them from its wall clock.)</li>
 *   <li><b>A lost race</b> is an answer: when the conditional write fails because another session acquired the key
 *       after our read, {@code acquire} answers {@code HeldBy} that acquisition, also when it was released again
 *       meanwhile (as the DynamoDB backend does, see {@code DynamoDbLostRaceTest}).</li>
 *   <li><b>Release</b> = a write of {@code session ""} conditioned on the generation our acquisition wrote.
 *       {@code releaseAll()} deletes the own session object (every key free at once). <b>Watch</b> = a poll of every
 *       watched key every K.</li>
 * </ul>
 */
public final class GcsLockBackend implements GlobalLockBackend {

  static final String SESSION = "session";
  static final String TOKEN = "token";
  static final String VALUE = "value";
  private static final Logger LOG = LoggerFactory.getLogger(GcsLockBackend.class);

  /** An acquisition of this session: its token, the generation it wrote, and the value (kept on release). */
  private record Grant(long token, long generation, String value) {
  }

  private final Storage storage;
  private final GcsObjects objects;
  private final GcsSessions sessions;
  private final ScheduledExecutorService timer;
  private final BackendListeners listeners = new BackendListeners(LOG);
  private final Map<String, Grant> granted = new ConcurrentHashMap<>();
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private GcsLockBackend(Storage storage, String bucket, String prefix, Duration ttl, LongSupplier nanoTime) {
    this.storage = storage;
    this.objects = new GcsObjects(storage, bucket, prefix);
    this.sessions = new GcsSessions(objects, ttl, nanoTime, listeners, granted::clear);
    // two threads: a slow poll of many watched keys must not delay the session's rewrite
    this.timer = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "mclease-gcs");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts renewing (the session object is written on the first tick) and polling watched keys every
   * {@code renewInterval}.
   *
   * @param storage a client with the request timeout set and retries off (the backend retries by itself); closed by
   *     {@link #close()}
   * @param bucket an existing bucket (the backend creates no bucket)
   * @param prefix object name prefix, e.g. {@code mclease}
   */
  public static GcsLockBackend start(Storage storage, String bucket, String prefix, Duration ttl,
      Duration renewInterval, LongSupplier nanoTime) {
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("renew interval " + renewInterval + " must be > 0 and < TTL " + ttl);
    }
    GcsLockBackend b = new GcsLockBackend(storage, bucket, prefix, ttl, nanoTime);
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b::renewSafely, 0, k, TimeUnit.NANOSECONDS);
    b.timer.scheduleWithFixedDelay(b::pollAll, k, k, TimeUnit.NANOSECONDS);
    return b;
  }

  // ---------------------------------------------------------------------------------------------- the SPI

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    // one acquisition of a key at a time per session: a concurrent call must not mistake one in flight for an
    // acquisition whose answer was lost (and adopt or replace it)
    synchronized (keyLocks.computeIfAbsent(key, k -> new Object())) {
      return acquireLocked(key, value);
    }
  }

  private AcquireResult acquireLocked(String key, LockValue value) throws BackendException {
    sessions.resume();
    String session = sessions.ensure();
    String name = objects.lockObject(key);
    for (int attempt = 0; attempt < 4; attempt++) {
      Optional<GcsObjects.Obj> lock = objects.read(name);
      String holder = lock.map(o -> o.meta(SESSION)).orElse("");
      long oldToken = lock.isPresent() ? token(key, lock.get()) : 0;
      if (!holder.isEmpty()) {
        Held held = parse(key, lock.get());
        Grant known = granted.get(key);
        if (holder.equals(session)) {
          if (known != null && known.token() == held.token()) {
            return new AcquireResult.HeldBy(held.value(), held.token());
          }
          // written by this session in a request whose answer we never saw: adopt it for the same holder
          if (held.value().holder().equals(value.holder()) && held.value().cluster().equals(value.cluster())) {
            granted.put(key, new Grant(held.token(), lock.get().generation(), lock.get().meta(VALUE)));
            return new AcquireResult.Granted(held.token());
          }
        } else if (!sessions.dead(holder)) {
          return new AcquireResult.HeldBy(held.value(), held.token());
        }
      }
      long token = oldToken + 1;
      String json = value.toJson();
      try {
        long generation = objects.write(name, Map.of(SESSION, session, TOKEN, Long.toString(token), VALUE, json),
            json, lock.map(GcsObjects.Obj::generation).orElse(0L));
        granted.put(key, new Grant(token, generation, json));
        return new AcquireResult.Granted(token);
      } catch (GcsObjects.PreconditionFailed e) {
        Optional<AcquireResult> lost = lostTo(key, name, oldToken, session);
        if (lost.isPresent()) {
          return lost.get();
        }
        // the holder released (same token) since we read it: read again
      }
    }
    throw new BackendException("GCS object " + objects.where(name) + " kept changing; will retry");
  }

  /**
   * After a failed conditional write: if another session acquired the key after our read (a larger token), that
   * acquisition is the answer, even when it has been released again since: it held the key during this call. Empty
   * when no acquisition came between (the holder only released: read again).
   */
  private Optional<AcquireResult> lostTo(String key, String name, long readToken, String session)
      throws BackendException {
    Optional<GcsObjects.Obj> now = objects.read(name);
    if (now.isEmpty() || token(key, now.get()) <= readToken || now.get().meta(SESSION).equals(session)
        || now.get().meta(VALUE).isEmpty()) {
      return Optional.empty();
    }
    Held winner = parse(key, now.get());
    return Optional.of(new AcquireResult.HeldBy(winner.value(), winner.token()));
  }

  @Override
  public void release(String key, long token) throws BackendException {
    Grant g = granted.get(key);
    if (g == null || g.token() != token || sessions.current() == null) {
      return;
    }
    try {
      // the value stays beside the token: an acquirer that lost to this acquisition can still name it
      objects.write(objects.lockObject(key), Map.of(SESSION, "", TOKEN, Long.toString(token), VALUE, g.value()), "",
          g.generation());
    } catch (GcsObjects.PreconditionFailed e) {
      // not ours any more: our session was declared dead and the key taken over
    }
    granted.remove(key, g);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    Optional<GcsObjects.Obj> lock = objects.read(objects.lockObject(key));
    String s = lock.map(o -> o.meta(SESSION)).orElse("");
    if (s.isEmpty()) {
      return Optional.empty();
    }
    Held held = parse(key, lock.get());
    if (!s.equals(sessions.current()) && sessions.dead(s)) {
      return Optional.empty();
    }
    return Optional.of(held);
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return listeners.watch(key, listener);
  }

  @Override
  public long heldUntilNanos() {
    return sessions.heldUntilNanos();
  }

  @Override
  public BackendHealth health() {
    return sessions.health();
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return listeners.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    sessions.giveUp();
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    try {
      storage.close();
    } catch (Exception e) {
      LOG.debug("closing the GCS client", e);
    }
  }

  // ---------------------------------------------------------------------------------------------- timers

  private void renewSafely() {
    if (closed) {
      return;
    }
    try {
      sessions.renewOnce();
    } catch (RuntimeException e) {
      LOG.error("GCS session rewrite failed unexpectedly", e);
    }
  }

  private void pollAll() {
    for (String key : listeners.watchedKeys()) {
      if (closed) {
        return;
      }
      try {
        Optional<GcsObjects.Obj> lock = objects.read(objects.lockObject(key));
        String s = lock.map(o -> o.meta(SESSION)).orElse("");
        if (!s.isEmpty() && (s.equals(sessions.current()) || !sessions.dead(s))) {
          listeners.observed(key, token(key, lock.get()), LockValue.parseOrNull(lock.get().meta(VALUE)));
        } else {
          listeners.observed(key, 0, null);
        }
      } catch (BackendException | RuntimeException e) {
        listeners.unreadable(key);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

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

  private Held parse(String key, GcsObjects.Obj lock) throws MalformedValueException {
    String raw = lock.meta(VALUE);
    long token = token(key, lock);
    try {
      return new Held(LockValue.fromJson(raw), token);
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, raw, token, e);
      LOG.error("{} ({})", m.getMessage(), objects.where(objects.lockObject(key)));
      throw m;
    }
  }
}
