package dev.mclease.controller.backend.etcd;

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
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GlobalLockBackend} on etcd v3 (jetcd 0.8).
 *
 * <ul>
 *   <li><b>Session</b> = one etcd lease (TTL = G) per backend instance, granted on first use and renewed by this
 *       class every K with {@code keepAliveOnce}. The monotonic send instant of each successful renewal gives
 *       {@link #heldUntilNanos()} = send + TTL: etcd starts the new TTL when it receives the request, which is
 *       after it was sent, so the key is held at least that long. Every key is attached to that one lease.</li>
 *   <li><b>Acquire</b> = txn {@code If(version(key)==0) Then(put(key, json, lease)) Else(get(key))}; the token is
 *       the key's create revision (the txn's revision), so it grows with every acquisition in the cluster.</li>
 *   <li><b>Release</b> = txn {@code If(createRevision(key)==token) Then(delete(key))}, sent only for an
 *       acquisition this session was granted (etcd 3.4 cannot compare a key's lease in a txn).</li>
 *   <li><b>Watch</b> = one prefix watch with previous values, dispatched per key: DELETE (release or lease expiry)
 *       → {@code RELEASED(prevKv.createRevision)}, a PUT creating the key → {@code ACQUIRED}.</li>
 *   <li><b>Loss</b>: "lease not found" on renewal or acquire, or no successful renewal before heldUntil → the
 *       session is lost (heldUntil = {@link Long#MIN_VALUE}, listeners told); the next acquire revokes the old
 *       lease (best effort, so its keys are freed at once if it survived) and grants a new one.</li>
 * </ul>
 */
public final class EtcdLockBackend implements GlobalLockBackend {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdLockBackend.class);
  private static final long NONE = 0L;

  private final EtcdBackendConfig cfg;
  private final LongSupplier nanoTime;
  private final Client client;
  private final long ttlNanos;
  private final long timeoutMillis;
  private final ScheduledExecutorService renewer;
  private final ExecutorService dispatcher;
  private final BackendListeners listeners = new BackendListeners(LOG);
  /** Acquisitions this session answered Granted for (key → token) and has not released. */
  private final Map<String, Long> granted = new ConcurrentHashMap<>();
  /** Per-key monitors serializing this session's acquisitions of a key. */
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private final Object sessionLock = new Object();

  private volatile long leaseId = NONE;
  private volatile long staleLeaseId = NONE;
  private final HeldUntil heldUntil;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;
  /** After releaseAll(): no new session until the next acquire. */
  private volatile boolean suspended;
  /** Revision of the last watch response seen; the watch resumes after it. */
  private volatile long watchRevision;

  private EtcdLockBackend(EtcdBackendConfig cfg, LongSupplier nanoTime, Client client) {
    this.cfg = cfg;
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.client = client;
    this.ttlNanos = cfg.ttl().toNanos();
    this.timeoutMillis = cfg.requestTimeout().toMillis();
    this.renewer = Executors.newSingleThreadScheduledExecutor(daemon("mclease-etcd-renew"));
    this.dispatcher = Executors.newSingleThreadExecutor(daemon("mclease-etcd-watch"));
  }

  /**
   * Connects (lazily: etcd need not be up yet), starts the renewal loop and the prefix watch, and tries once to
   * open the session.
   *
   * @param nanoTime the monotonic clock for {@link #heldUntilNanos()}, normally {@code System::nanoTime}
   */
  public static EtcdLockBackend connect(EtcdBackendConfig cfg, LongSupplier nanoTime) {
    ClientBuilder b = Client.builder()
        .endpoints(cfg.endpoints().toArray(String[]::new))
        .connectTimeout(cfg.requestTimeout())
        .retryMaxDuration(cfg.requestTimeout())
        .keepaliveTime(java.time.Duration.ofSeconds(5))
        .keepaliveTimeout(cfg.requestTimeout());
    if (cfg.caFile().isPresent()) {
      try {
        b.sslContext(ssl -> {
          ssl.trustManager(cfg.caFile().get().toFile());
          if (cfg.certFile().isPresent()) {
            ssl.keyManager(cfg.certFile().get().toFile(), cfg.keyFile().get().toFile());
          }
        });
      } catch (Exception e) {
        throw new IllegalArgumentException("etcd TLS files could not be read (" + cfg.caFile().get() + ", "
            + cfg.certFile().orElse(null) + ", " + cfg.keyFile().orElse(null) + "): " + e.getMessage()
            + "; the key must be PEM PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem)", e);
      }
    }
    EtcdLockBackend backend = new EtcdLockBackend(cfg, nanoTime, b.build());
    backend.watchRevision = backend.currentRevision();
    backend.startWatch();
    long k = cfg.renewInterval().toNanos();
    backend.renewer.scheduleWithFixedDelay(backend::renewSafely, 0, k, TimeUnit.NANOSECONDS);
    return backend;
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
    boolean leaseRetried = false;
    for (int attempt = 0; attempt < 3; attempt++) {
      long lease = ensureSession();
      ByteSequence k = key(key);
      TxnResponse r;
      try {
        r = call(client.getKVClient().txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
            .Then(Op.put(k, bytes(value.toJson()), PutOption.builder().withLeaseId(lease).build()))
            .Else(Op.get(k, GetOption.DEFAULT))
            .commit(), "acquire " + key);
      } catch (LeaseNotFound e) {
        sessionLost("lease " + Long.toHexString(lease) + " not found while acquiring " + key);
        if (!leaseRetried) {
          leaseRetried = true;
          continue;
        }
        throw new BackendException("etcd lost the session lease twice in a row while acquiring " + key, e);
      }
      if (r.isSucceeded()) {
        granted.put(key, r.getHeader().getRevision());
        return new AcquireResult.Granted(r.getHeader().getRevision());
      }
      List<KeyValue> kvs = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().get(0).getKvs();
      if (kvs.isEmpty()) {
        // Deleted between the compare and the get cannot happen inside one txn; be safe and try again later.
        throw new BackendException("etcd answered neither a grant nor a holder for " + key + "; will retry");
      }
      KeyValue kv = kvs.get(0);
      Held held = parse(key, kv);
      Long known = granted.get(key);
      if (kv.getLease() != lease || (known != null && known == held.token())) {
        return new AcquireResult.HeldBy(held.value(), held.token());
      }
      // Held by this very session: an earlier acquire that timed out on our side was applied by etcd later (e.g.
      // queued during a quorum loss). Nobody was ever told about it, so it was never confirmed: adopt it when it
      // is for the same holder, otherwise delete it (token-guarded) and acquire afresh.
      if (held.value().holder().equals(value.holder()) && held.value().cluster().equals(value.cluster())) {
        LOG.info("{}: adopting acquisition {} of this session that etcd applied after the request timed out",
            key, held.token());
        granted.put(key, held.token());
        return new AcquireResult.Granted(held.token());
      }
      LOG.info("{}: removing acquisition {} of this session for {} that etcd applied after the request timed out",
          key, held.token(), held.value().holder());
      deleteIfToken(key, held.token());
    }
    throw new BackendException("could not acquire " + key + ": a late acquisition of this session kept reappearing");
  }

  @Override
  public void release(String key, long token) throws BackendException {
    Long mine = granted.get(key);
    if (mine == null || mine != token) {
      // Only the holder releases, and only its own acquisition: etcd 3.4 txns cannot compare a key's lease, so
      // the guard is what this session was granted (plus the create revision below).
      LOG.debug("{}: not releasing acquisition {}: this session does not hold it", key, token);
      return;
    }
    deleteIfToken(key, token);
  }

  private void deleteIfToken(String key, long token) throws BackendException {
    ByteSequence k = key(key);
    try {
      call(client.getKVClient().txn()
          .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
          .Then(Op.delete(k, io.etcd.jetcd.options.DeleteOption.DEFAULT))
          .commit(), "release " + key);
    } catch (LeaseNotFound e) {
      throw new BackendException("etcd: " + e.getMessage(), e);
    }
    granted.remove(key, token);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    GetResponse r;
    try {
      r = call(client.getKVClient().get(key(key)), "get " + key);
    } catch (LeaseNotFound e) {
      throw new BackendException("etcd: " + e.getMessage(), e);
    }
    return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(parse(key, r.getKvs().get(0)));
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
    long lease;
    suspended = true;
    granted.clear();
    synchronized (sessionLock) {
      lease = leaseId;
      leaseId = NONE;
      heldUntil.clear();
    }
    if (lease != NONE) {
      try {
        call(client.getLeaseClient().revoke(lease), "revoke session lease");
      } catch (LeaseNotFound e) {
        // already gone: nothing held
      }
      LOG.info("revoked etcd session lease {}: every key it held is released", Long.toHexString(lease));
    }
    listeners.fireSessionChange();
  }

  @Override
  public void close() {
    closed = true;
    renewer.shutdownNow();
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    dispatcher.shutdownNow();
    client.close();
  }

  /** The etcd lease id of the current session, 0 when there is none (for tests and diagnostics). */
  public long sessionLeaseId() {
    return leaseId;
  }

  /** The configuration this backend runs with. */
  public EtcdBackendConfig config() {
    return cfg;
  }

  // ---------------------------------------------------------------------------------------------- session

  private long ensureSession() throws BackendException {
    synchronized (sessionLock) {
      if (leaseId != NONE && heldUntil.live()) {
        return leaseId;
      }
      if (leaseId != NONE) {
        markLost("no successful renewal before the session's TTL ran out");
      }
      long stale = staleLeaseId;
      if (stale != NONE) {
        // Our old lease may still exist on the server (we only lost contact): free its keys at once.
        staleLeaseId = NONE;
        client.getLeaseClient().revoke(stale).whenComplete((r, e) -> {
          if (e == null) {
            LOG.info("revoked the lost etcd session lease {}", Long.toHexString(stale));
          }
        });
      }
      long send = nanoTime.getAsLong();
      LeaseGrantResponse grant;
      try {
        grant = call(client.getLeaseClient().grant(cfg.ttl().toSeconds()), "grant session lease");
      } catch (LeaseNotFound e) {
        throw new BackendException("etcd: " + e.getMessage(), e);
      }
      leaseId = grant.getID();
      heldUntil.started(send, Math.min(ttlNanos, grant.getTTL() * 1_000_000_000L));
      health = BackendHealth.ok();
      LOG.info("etcd session lease {} granted, TTL {}s", Long.toHexString(leaseId), grant.getTTL());
    }
    listeners.fireSessionChange();
    return leaseId;
  }

  private void renewSafely() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      LOG.error("etcd session renewal failed unexpectedly; will try again in {}", cfg.renewInterval(), e);
    }
  }

  private void renewOnce() {
    long lease = leaseId;
    if (closed) {
      return;
    }
    if (lease == NONE && !suspended) {
      // No session (first start, or lost): open one as soon as etcd answers, so health is known and the
      // next acquire does not pay for the grant.
      try {
        ensureSession();
      } catch (BackendException e) {
        boolean changed = health.reachable() || !health.detail().equals(e.getMessage());
        health = BackendHealth.unreachable(e.getMessage());
        if (changed) {
          listeners.fireSessionChange();
        }
      }
      return;
    }
    if (lease == NONE) {
      return;
    }
    long send = nanoTime.getAsLong();
    boolean changed = false;
    try {
      LeaseKeepAliveResponse r = call(client.getLeaseClient().keepAliveOnce(lease), "renew session lease");
      synchronized (sessionLock) {
        if (leaseId == lease && !heldUntil.renewed(send, Math.min(ttlNanos, r.getTTL() * 1_000_000_000L))) {
          // answered after heldUntil (see HeldUntil): the next ensureSession() revokes the lease and grants a new one
          markLost("heldUntil ran out before the renewal was answered; its keys were already given up");
          changed = true;
        } else if (leaseId == lease) {
          if (!health.reachable()) {
            health = BackendHealth.ok();
            changed = true;
            LOG.info("etcd session lease {} renewed again", Long.toHexString(lease));
          }
        }
      }
    } catch (LeaseNotFound e) {
      synchronized (sessionLock) {
        if (leaseId == lease) {
          markLost("etcd says the session lease " + Long.toHexString(lease) + " no longer exists (expired or revoked)");
          changed = true;
        }
      }
    } catch (BackendException e) {
      synchronized (sessionLock) {
        if (leaseId == lease) {
          if (Thread.currentThread().isInterrupted()) {
            LOG.debug("etcd session renewal interrupted by shutdown: {}", e.getMessage());
          } else if (health.reachable()) {
            LOG.warn("etcd session renewal failed: {}", e.getMessage());
          }
          health = BackendHealth.unreachable(e.getMessage());
          changed = true;
          if (heldUntil.lapsed()) {
            markLost("no successful renewal before the session's TTL ran out (" + e.getMessage() + ")");
          }
        }
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Caller holds sessionLock. */
  private void markLost(String why) {
    granted.clear();
    LOG.warn("etcd session lost: {}; every key it held must be considered released", why);
    staleLeaseId = leaseId;
    leaseId = NONE;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  private void sessionLost(String why) {
    synchronized (sessionLock) {
      if (leaseId != NONE) {
        markLost(why);
        staleLeaseId = NONE; // it does not exist any more
      }
    }
    listeners.fireSessionChange();
  }

  // ---------------------------------------------------------------------------------------------- watch

  private void startWatch() {
    if (closed) {
      return;
    }
    ByteSequence prefix = bytes(cfg.keyPrefix() + "/");
    WatchOption.Builder opt = WatchOption.builder().isPrefix(true).withPrevKV(true);
    long from = watchRevision;
    if (from > 0) {
      opt.withRevision(from + 1); // nothing written since we last looked is missed, however late the stream opens
    }
    watcher = client.getWatchClient().watch(prefix, opt.build(), Watch.listener(this::onWatch, this::onWatchError));
  }

  private void onWatch(WatchResponse response) {
    long rev = response.getHeader().getRevision();
    if (rev > watchRevision && response.getEvents().isEmpty()) {
      watchRevision = rev;
    }
    for (WatchEvent ev : response.getEvents()) {
      String key = stripPrefix(ev.getKeyValue().getKey());
      if (key == null) {
        continue;
      }
      LockEvent event;
      if (ev.getEventType() == WatchEvent.EventType.DELETE) {
        KeyValue prev = ev.getPrevKV();
        long token = prev == null ? 0 : prev.getCreateRevision();
        event = LockEvent.released(key, token);
      } else if (ev.getEventType() == WatchEvent.EventType.PUT && ev.getKeyValue().getVersion() == 1) {
        LockValue holder = null;
        try {
          holder = LockValue.fromJson(ev.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          LOG.error("etcd key {}{} was written with a malformed value: {}", cfg.keyPrefix() + "/", key, e.getMessage());
        }
        event = LockEvent.acquired(key, ev.getKeyValue().getCreateRevision(), holder);
      } else {
        continue; // an overwrite of an existing key: nobody of ours does that
      }
      dispatch(event);
    }
    for (WatchEvent ev : response.getEvents()) {
      watchRevision = Math.max(watchRevision, ev.getKeyValue().getModRevision());
    }
  }

  /** The store's current revision, 0 when etcd does not answer now. */
  private long currentRevision() {
    try {
      return client.getKVClient().get(bytes(cfg.keyPrefix() + "/"), GetOption.builder().withCountOnly(true).build())
          .get(timeoutMillis, TimeUnit.MILLISECONDS).getHeader().getRevision();
    } catch (Exception e) {
      LOG.warn("etcd at {} does not answer yet ({}); watching from whatever comes next", cfg.endpoints(),
          e.toString());
      return 0;
    }
  }

  private void onWatchError(Throwable t) {
    if (closed) {
      return;
    }
    LOG.warn("etcd watch on {} failed ({}); re-watching and telling every lease to re-read its key",
        cfg.keyPrefix(), t.toString());
    if (String.valueOf(t.getMessage()).contains("compacted")) {
      watchRevision = 0; // history is gone: watch from now on and let every lease re-read its key
    }
    renewer.schedule(() -> {
      Watch.Watcher old = watcher;
      if (old != null) {
        old.close();
      }
      startWatch();
      for (String key : listeners.watchedKeys()) {
        dispatch(LockEvent.resync(key));
      }
    }, 200, TimeUnit.MILLISECONDS);
  }

  /** Events leave on one dispatcher thread, in watch order, so that gRPC's event loop never runs a listener. */
  private void dispatch(LockEvent event) {
    if (closed || !listeners.isWatched(event.key())) {
      return;
    }
    dispatcher.execute(() -> listeners.dispatch(event));
  }


  // ---------------------------------------------------------------------------------------------- helpers

  private Held parse(String key, KeyValue kv) throws MalformedValueException {
    String raw = kv.getValue().toString(StandardCharsets.UTF_8);
    try {
      return new Held(LockValue.fromJson(raw), kv.getCreateRevision());
    } catch (IllegalArgumentException e) {
      // the caller reports it once per distinct value (a lease worker retries every R: no log line per retry)
      throw new MalformedValueException(key, raw, kv.getCreateRevision(), e);
    }
  }

  private <T> T call(CompletableFuture<T> future, String what) throws BackendException, LeaseNotFound {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted during etcd " + what, e);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new BackendException("etcd " + what + " timed out after " + timeoutMillis + " ms: check that "
          + cfg.endpoints() + " is reachable from this pod", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND
          && String.valueOf(ee.getMessage()).contains("lease not found")) {
        throw new LeaseNotFound(ee.getMessage());
      }
      throw new BackendException("etcd " + what + " failed: " + c + " (endpoints " + cfg.endpoints() + ")", c);
    }
  }

  private ByteSequence key(String key) {
    return bytes(cfg.keyPrefix() + "/" + key);
  }

  private String stripPrefix(ByteSequence full) {
    String s = full.toString(StandardCharsets.UTF_8);
    String p = cfg.keyPrefix() + "/";
    return s.startsWith(p) ? s.substring(p.length()) : null;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** etcd answered "requested lease not found". */
  private static final class LeaseNotFound extends Exception {
    LeaseNotFound(String message) {
      super(message);
    }
  }
}
