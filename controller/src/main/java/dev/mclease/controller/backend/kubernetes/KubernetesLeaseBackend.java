package dev.mclease.controller.backend.kubernetes;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.HeldUntil;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GlobalLockBackend} on {@code coordination.k8s.io/v1} Leases in one designated <b>hub</b> cluster, for users
 * with no external store. The hub's API server is a single point of failure: while it is unreachable nobody can
 * acquire or confirm, and every leader steps down within its renew deadline.
 *
 * <ul>
 *   <li><b>Session</b> = one Lease {@code <prefix>-session-<id>} per backend instance, updated every K with a
 *       resourceVersion precondition (CAS). {@link #heldUntilNanos()} = monotonic send instant of the last
 *       successful update + G.</li>
 *   <li><b>Lock</b> = one Lease {@code <prefix>.<namespace>.<name>} per key; annotations
 *       {@code mclease.dev/session} (empty = free), {@code mclease.dev/value} (the protocol JSON) and
 *       {@code mclease.dev/token}. Every write is a resourceVersion CAS. Lock Leases are never deleted, so the
 *       token counter survives releases: token = previous token + 1, written in the acquiring CAS.</li>
 *   <li><b>Expiry</b> is judged by a contender on <em>its own</em> monotonic clock: a session is dead once the
 *       contender has seen its Lease's resourceVersion unchanged for G since it first saw that version. The
 *       contender then marks it dead with a CAS on that very resourceVersion, so a renewal that raced in makes the
 *       mark fail, and a marked session can never renew again (its next CAS fails, its owner declares the session
 *       lost). Timestamps in the objects are never compared with any clock.</li>
 *   <li><b>Watch</b> = a poll of every watched key (and its holder's session) every K.</li>
 * </ul>
 */
public final class KubernetesLeaseBackend implements GlobalLockBackend {

  static final String SESSION = "mclease.dev/session";
  static final String VALUE = "mclease.dev/value";
  static final String TOKEN = "mclease.dev/token";
  static final String KEY = "mclease.dev/key";
  static final String DEAD = "mclease.dev/dead";
  static final String ROLE = "mclease.dev/role";

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesLeaseBackend.class);

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final String namespace;
  private final String prefix;
  private final Duration ttl;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService timer;
  private final BackendListeners listeners = new BackendListeners(LOG);
  /** Last state a watch poll reported per key: token held, or 0 = free. */
  private final Map<String, Long> granted = new ConcurrentHashMap<>();
  /** Per-key monitors serializing this session's acquisitions of a key. */
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  /** Other sessions' Leases: the resourceVersion seen and the monotonic instant it was first seen. */
  private final Map<String, long[]> observed = new ConcurrentHashMap<>();
  private final Map<String, String> observedRv = new ConcurrentHashMap<>();
  private final Object sessionLock = new Object();

  private volatile String sessionId;
  private volatile String sessionRv;
  private volatile String staleSession;
  private final HeldUntil heldUntil;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  private volatile boolean closed;
  private volatile boolean suspended;

  private KubernetesLeaseBackend(KubernetesClient client, boolean ownsClient, String namespace, String prefix,
      Duration ttl, LongSupplier nanoTime) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.namespace = namespace;
    this.prefix = prefix;
    this.ttl = ttl;
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mclease-k8s-lease");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts renewing (the session Lease is created on the first renewal tick) and polling watched keys every
   * {@code renewInterval}.
   *
   * @param client a client of the hub cluster with short request timeouts and no retries (the backend retries)
   * @param ownsClient whether {@link #close()} closes {@code client}
   * @param namespace the hub namespace holding every Lease
   * @param prefix the Lease name prefix, a DNS label such as {@code mclease}
   */
  public static KubernetesLeaseBackend start(KubernetesClient client, boolean ownsClient, String namespace,
      String prefix, Duration ttl, Duration renewInterval, LongSupplier nanoTime) {
    Objects.requireNonNull(client, "client");
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || renewInterval.isNegative() || renewInterval.isZero()
        || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("hub Lease backend: need TTL ≥ 1s and 0 < renew interval < TTL, got TTL "
          + ttl + ", renew " + renewInterval);
    }
    KubernetesLeaseBackend b = new KubernetesLeaseBackend(client, ownsClient, namespace, prefix, ttl, nanoTime);
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b::renewSafely, 0, k, TimeUnit.NANOSECONDS);
    b.timer.scheduleWithFixedDelay(b::pollWatchedSafely, k, k, TimeUnit.NANOSECONDS);
    return b;
  }

  // ---------------------------------------------------------------------------------------------- the SPI

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    // One acquisition of a key at a time per session: a concurrent call of this same session must not mistake an
    // acquisition in flight for one whose answer was lost (and adopt or replace it).
    synchronized (keyLocks.computeIfAbsent(key, k -> new Object())) {
      return acquireLocked(key, value);
    }
  }

  private AcquireResult acquireLocked(String key, LockValue value) throws BackendException {
    suspended = false;
    String session = ensureSession();
    for (int attempt = 0; attempt < 4; attempt++) {
      Lease lock = get(lockName(key), "read lock " + key);
      if (lock == null) {
        Lease fresh = lockLease(key, null, session, value, 1);
        try {
          client.leases().inNamespace(namespace).resource(fresh).create();
          granted.put(key, 1L);
          return new AcquireResult.Granted(1);
        } catch (KubernetesClientException e) {
          if (e.getCode() == 409) {
            continue; // created by someone else meanwhile: read it
          }
          throw failed("create lock " + key, e);
        }
      }
      String holderSession = ann(lock, SESSION);
      long token = token(lock);
      if (!holderSession.isEmpty()) {
        Held held = parse(key, lock);
        Long known = granted.get(key);
        if (holderSession.equals(session)) {
          if (known != null && known == held.token()) {
            return new AcquireResult.HeldBy(held.value(), held.token());
          }
          // Written by this session in a request whose answer we never saw: adopt it for the same holder.
          if (held.value().holder().equals(value.holder()) && held.value().cluster().equals(value.cluster())) {
            granted.put(key, held.token());
            return new AcquireResult.Granted(held.token());
          }
        } else if (!sessionDead(holderSession)) {
          return new AcquireResult.HeldBy(held.value(), held.token());
        }
      }
      Lease next = lockLease(key, lock, session, value, token + 1);
      try {
        client.leases().inNamespace(namespace).resource(next).update();
        granted.put(key, token + 1);
        return new AcquireResult.Granted(token + 1);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw failed("acquire " + key, e);
        }
      }
    }
    throw new BackendException("hub Lease " + lockName(key) + " kept changing under concurrent writers; will retry");
  }

  @Override
  public void release(String key, long token) throws BackendException {
    Long mine = granted.get(key);
    if (mine == null || mine != token) {
      return;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
      Lease lock = get(lockName(key), "read lock " + key);
      if (lock == null || !ann(lock, SESSION).equals(sessionId) || token(lock) != token) {
        granted.remove(key, token);
        return;
      }
      Lease freed = new LeaseBuilder(lock).editMetadata().addToAnnotations(SESSION, "").addToAnnotations(VALUE, "")
          .endMetadata().editSpec().withHolderIdentity(null).endSpec().build();
      try {
        client.leases().inNamespace(namespace).resource(freed).update();
        granted.remove(key, token);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw failed("release " + key, e);
        }
      }
    }
    throw new BackendException("hub Lease " + lockName(key) + " kept changing while releasing; will retry");
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    Lease lock = get(lockName(key), "read lock " + key);
    if (lock == null || ann(lock, SESSION).isEmpty()) {
      return Optional.empty();
    }
    Held held = parse(key, lock);
    String s = ann(lock, SESSION);
    if (!s.equals(sessionId) && sessionDead(s)) {
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
    return heldUntil.nanos();
  }

  @Override
  public BackendHealth health() {
    return health;
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return listeners.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    String s;
    synchronized (sessionLock) {
      s = sessionId;
      suspended = true;
      sessionId = null;
      sessionRv = null;
      heldUntil.clear();
      granted.clear();
    }
    if (s != null) {
      try {
        client.leases().inNamespace(namespace).withName(sessionName(s)).delete();
      } catch (KubernetesClientException e) {
        throw failed("delete session " + s, e);
      }
    }
    listeners.fireSessionChange();
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    if (ownsClient) {
      client.close();
    }
  }

  // ---------------------------------------------------------------------------------------------- session

  private String ensureSession() throws BackendException {
    synchronized (sessionLock) {
      if (sessionId != null && heldUntil.live()) {
        return sessionId;
      }
      if (sessionId != null) {
        markLost("no successful renewal before the session's TTL ran out");
      }
      String stale = staleSession;
      if (stale != null) {
        try { // our keys under the old session are freed at once
          client.leases().inNamespace(namespace).withName(sessionName(stale)).delete();
          staleSession = null;
        } catch (KubernetesClientException e) {
          throw failed("delete the lost session " + stale, e);
        }
      }
      String id = UUID.randomUUID().toString().substring(0, 13);
      long send = nanoTime.getAsLong();
      Lease s = new LeaseBuilder().withNewMetadata().withName(sessionName(id)).withNamespace(namespace)
          .addToLabels(ROLE, "session").addToAnnotations(DEAD, "false").endMetadata()
          .withNewSpec().withHolderIdentity(id).withLeaseDurationSeconds((int) Math.max(1, ttl.toSeconds()))
          .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC)).endSpec().build();
      Lease created;
      try {
        created = client.leases().inNamespace(namespace).resource(s).create();
      } catch (KubernetesClientException e) {
        health = BackendHealth.unreachable("create session: " + e.getMessage());
        throw failed("create session Lease", e);
      }
      sessionId = id;
      sessionRv = created.getMetadata().getResourceVersion();
      heldUntil.started(send, ttlNanos);
      health = BackendHealth.ok();
      LOG.info("hub session Lease {}/{} created, G = {}", namespace, sessionName(id), ttl);
    }
    listeners.fireSessionChange();
    return sessionId;
  }

  private void renewSafely() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      LOG.error("hub session renewal failed unexpectedly", e);
    }
  }

  private void renewOnce() {
    if (closed) {
      return;
    }
    String id = sessionId;
    if (id == null) {
      if (!suspended) {
        try {
          ensureSession();
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
      Lease s = new LeaseBuilder().withNewMetadata().withName(sessionName(id)).withNamespace(namespace)
          .withResourceVersion(sessionRv).addToLabels(ROLE, "session").addToAnnotations(DEAD, "false")
          .endMetadata().withNewSpec().withHolderIdentity(id)
          .withLeaseDurationSeconds((int) Math.max(1, ttl.toSeconds()))
          .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC)).endSpec().build();
      Lease updated = client.leases().inNamespace(namespace).resource(s).update();
      synchronized (sessionLock) {
        if (id.equals(sessionId) && !heldUntil.renewed(send, ttlNanos)) {
          // answered after heldUntil (see HeldUntil): the next tick deletes the session Lease, freeing its keys
          markLost("heldUntil ran out before the renewal was answered; its keys were already given up");
          changed = true;
        } else if (id.equals(sessionId)) {
          sessionRv = updated.getMetadata().getResourceVersion();
          if (!health.reachable()) {
            health = BackendHealth.ok();
            changed = true;
          }
        }
      }
    } catch (KubernetesClientException e) {
      synchronized (sessionLock) {
        if (id.equals(sessionId)) {
          if (e.getCode() == 409 || e.getCode() == 404) {
            if (heldUntil.lapsed()) {
              markLost("heldUntil ran out before a renewal got through (HTTP " + e.getCode() + ")");
            } else if (!adoptOwnWrite(id)) {
              markLost("the session Lease was marked dead or deleted (HTTP " + e.getCode() + ")");
              staleSession = null;
            }
          } else {
            health = BackendHealth.unreachable("renew session: " + e.getMessage());
            if (heldUntil.lapsed()) {
              markLost("no successful renewal before the session's TTL ran out (" + e.getMessage() + ")");
            }
          }
          changed = true;
        }
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** After a 409: a renewal of ours that timed out may have been applied; resume from it unless marked dead. */
  private boolean adoptOwnWrite(String id) {
    try {
      Lease s = client.leases().inNamespace(namespace).withName(sessionName(id)).get();
      if (s == null || "true".equals(ann(s, DEAD))) {
        return false;
      }
      sessionRv = s.getMetadata().getResourceVersion();
      return true;
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  /** Caller holds sessionLock. */
  private void markLost(String why) {
    LOG.warn("hub session {} lost: {}; every key it held must be considered released", sessionId, why);
    granted.clear();
    staleSession = sessionId;
    sessionId = null;
    sessionRv = null;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  /**
   * Whether another session is dead: its Lease is gone or marked dead, or this process has seen its
   * resourceVersion unchanged for G on its own clock (then marked dead here with a CAS on that version).
   */
  private boolean sessionDead(String other) throws BackendException {
    Lease s = get(sessionName(other), "read session " + other);
    if (s == null || "true".equals(ann(s, DEAD))) {
      observed.remove(other);
      return true;
    }
    String rv = s.getMetadata().getResourceVersion();
    long now = nanoTime.getAsLong();
    long[] since = observed.get(other);
    if (since == null || !rv.equals(observedRv.get(other))) {
      observedRv.put(other, rv);
      observed.put(other, new long[] {now});
      return false;
    }
    if (now - since[0] < ttlNanos) {
      return false;
    }
    Lease dead = new LeaseBuilder(s).editMetadata().addToAnnotations(DEAD, "true").endMetadata().build();
    try {
      client.leases().inNamespace(namespace).resource(dead).update();
      LOG.info("hub session {} unchanged for {} as seen here: marked dead", other, ttl);
      observed.remove(other);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false; // it renewed meanwhile
      }
      throw failed("mark session " + other + " dead", e);
    }
  }

  // ---------------------------------------------------------------------------------------------- watch

  private void pollWatchedSafely() {
    for (String key : listeners.watchedKeys()) {
      if (closed) {
        return;
      }
      try {
        Lease lock = get(lockName(key), "read lock " + key);
        String s = lock == null ? "" : ann(lock, SESSION);
        if (!s.isEmpty() && (s.equals(sessionId) || !sessionDead(s))) {
          listeners.observed(key, token(lock), LockValue.parseOrNull(ann(lock, VALUE)));
        } else {
          listeners.observed(key, 0, null);
        }
      } catch (BackendException | RuntimeException e) {
        listeners.unreadable(key);
      }
    }
  }


  // ---------------------------------------------------------------------------------------------- helpers

  private Lease lockLease(String key, Lease base, String session, LockValue value, long token) {
    LeaseBuilder b = base == null ? new LeaseBuilder().withNewMetadata().withName(lockName(key))
        .withNamespace(namespace).addToLabels(ROLE, "lock").endMetadata() : new LeaseBuilder(base);
    Map<String, String> ann = new HashMap<>(base == null || base.getMetadata().getAnnotations() == null ? Map.of()
        : base.getMetadata().getAnnotations());
    ann.put(SESSION, session);
    ann.put(VALUE, value.toJson());
    ann.put(TOKEN, Long.toString(token));
    ann.put(KEY, key);
    return b.editMetadata().withAnnotations(ann).endMetadata()
        .editOrNewSpec().withHolderIdentity(value.holder()).withLeaseTransitions((int) Math.min(Integer.MAX_VALUE,
            token)).withAcquireTime(ZonedDateTime.now(ZoneOffset.UTC)).endSpec().build();
  }

  private Held parse(String key, Lease lock) throws MalformedValueException {
    String raw = ann(lock, VALUE);
    long token = token(lock);
    try {
      return new Held(LockValue.fromJson(raw), token);
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, raw, token, e);
      LOG.error("{} (hub Lease {}/{})", m.getMessage(), namespace, lockName(key));
      throw m;
    }
  }

  private static long token(Lease lock) {
    try {
      return Long.parseLong(ann(lock, TOKEN));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String ann(Lease l, String name) {
    Map<String, String> a = l.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(name);
    return v == null ? "" : v;
  }

  private Lease get(String name, String what) throws BackendException {
    try {
      return client.leases().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw failed(what, e);
    }
  }

  private BackendException failed(String what, KubernetesClientException e) {
    return new BackendException("hub cluster " + client.getMasterUrl() + ": " + what + " failed (HTTP " + e.getCode()
        + ": " + e.getMessage() + "); check that the hub API server is reachable and that this controller may"
        + " get/create/update/delete leases.coordination.k8s.io in namespace " + namespace, e);
  }

  /** {@code ns/name} → {@code <prefix>.<ns>.<name>} (both parts are DNS names, so the result is one too). */
  String lockName(String key) {
    return prefix + "." + key.replace('/', '.');
  }

  private String sessionName(String id) {
    return prefix + "-session-" + id;
  }
}
