package dev.mclease.controller.backend.etcd;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionGoneException;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock store on etcd v3 (jetcd 0.8); the session lifecycle is
 * {@link dev.mclease.controller.backend.session.SessionKeeper}'s.
 *
 * <ul>
 *   <li><b>Session</b> = one etcd lease (TTL = G), renewed with {@code keepAliveOnce}: etcd starts the new TTL when
 *       it receives the request, which is after it was sent. Every key is attached to that one lease; ending the
 *       session revokes it, which deletes all of them at once.</li>
 *   <li><b>Acquire</b> = txn {@code If(version(key)==0) Then(put(key, json, lease)) Else(get(key))}; the token is
 *       the key's create revision (the txn's revision), so it grows with every acquisition in the cluster. "lease not
 *       found" means the session is gone.</li>
 *   <li><b>Delete</b> = txn {@code If(createRevision(key)==token) Then(delete(key))}, sent only for an acquisition
 *       this session was granted (etcd 3.4 cannot compare a key's lease in a txn).</li>
 *   <li><b>Watch</b> = one prefix watch with previous values ({@link EtcdPrefixWatch}).</li>
 * </ul>
 */
public final class EtcdLockStore implements LockStore<Long> {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdLockStore.class);

  private final EtcdBackendConfig cfg;
  private final Client client;
  private final long ttlNanos;
  private final long timeoutMillis;
  private final LongSupplier nanoTime;
  private final RenewalHedge hedge;
  private volatile EtcdPrefixWatch watch;

  private EtcdLockStore(EtcdBackendConfig cfg, Client client, LongSupplier nanoTime) {
    this.cfg = cfg;
    this.client = client;
    this.ttlNanos = cfg.ttl().toNanos();
    this.timeoutMillis = cfg.requestTimeout().toMillis();
    this.nanoTime = nanoTime;
    this.hedge = new RenewalHedge(cfg.endpoints().size());
  }

  /**
   * Connects (lazily: etcd need not be up yet), starts the renewal loop (the first session is granted at once) and
   * the prefix watch.
   *
   * @param nanoTime the monotonic clock for {@code heldUntilNanos()}, normally {@code System::nanoTime}
   */
  public static SessionLockBackend<Long> connect(EtcdBackendConfig cfg, LongSupplier nanoTime) {
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
    EtcdLockStore store = new EtcdLockStore(cfg, b.build(), nanoTime);
    return SessionLockBackend.start(store, new BackendListeners(LOG), cfg.renewInterval(), nanoTime, LOG);
  }

  @Override
  public String storeName() {
    return "etcd";
  }

  // ---------------------------------------------------------------------------------------------- sessions

  @Override
  public Opened<Long> open() throws BackendException {
    LeaseGrantResponse grant = call(client.getLeaseClient().grant(cfg.ttl().toSeconds()), "grant session lease");
    return new Opened<>(grant.getID(), Math.min(ttlNanos, grant.getTTL() * 1_000_000_000L),
        "lease " + Long.toHexString(grant.getID()) + ", TTL " + grant.getTTL() + "s");
  }

  @Override
  public Renewal renew(Long lease) throws BackendException {
    try {
      LeaseKeepAliveResponse r = keepAlive(lease);
      return Renewal.renewed(Math.min(ttlNanos, r.getTTL() * 1_000_000_000L));
    } catch (SessionGoneException e) {
      return Renewal.gone("etcd says the session lease " + Long.toHexString(lease)
          + " no longer exists (expired or revoked)");
    }
  }

  /** One renewal, hedged over two members after a timeout ({@link RenewalHedge}). */
  private LeaseKeepAliveResponse keepAlive(Long lease) throws BackendException {
    try {
      return call(keepAliveOnce(lease, hedge.hedge(nanoTime.getAsLong())), "renew session lease");
    } catch (TimedOut e) {
      if (!hedge.timedOut(nanoTime.getAsLong())) {
        throw e;
      }
      LOG.debug("etcd renewal timed out; sending it again to two members", e);
      return call(keepAliveOnce(lease, true), "renew session lease (again, to two members, after a timeout)");
    }
  }

  private CompletableFuture<LeaseKeepAliveResponse> keepAliveOnce(Long lease, boolean twice) {
    CompletableFuture<LeaseKeepAliveResponse> first = client.getLeaseClient().keepAliveOnce(lease);
    return twice ? firstSuccess(first, client.getLeaseClient().keepAliveOnce(lease)) : first;
  }

  /** The first of two answers that succeeds; fails only when both fail, with the later failure. */
  static <T> CompletableFuture<T> firstSuccess(CompletableFuture<T> a, CompletableFuture<T> b) {
    CompletableFuture<T> out = new CompletableFuture<>();
    AtomicInteger failed = new AtomicInteger();
    BiConsumer<T, Throwable> either = (v, t) -> {
      if (t == null) {
        out.complete(v);
      } else if (failed.incrementAndGet() == 2) {
        out.completeExceptionally(t instanceof CompletionException && t.getCause() != null
            ? t.getCause() : t);
      }
    };
    a.whenComplete(either);
    b.whenComplete(either);
    // cancelling the result (on a timeout) cancels both calls
    out.whenComplete((v, t) -> {
      if (out.isCancelled()) {
        a.cancel(true);
        b.cancel(true);
      }
    });
    return out;
  }

  @Override
  public void end(Long lease) throws BackendException {
    try {
      call(client.getLeaseClient().revoke(lease), "revoke session lease");
    } catch (SessionGoneException e) {
      // already gone: nothing held
    }
  }

  // ---------------------------------------------------------------------------------------------- keys

  @Override
  public Attempt<Long> tryAcquire(String key, LockValue value, Long lease) throws BackendException {
    ByteSequence k = key(key);
    TxnResponse r = call(client.getKVClient().txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(k, bytes(value.toJson()), PutOption.builder().withLeaseId(lease).build()))
        .Else(Op.get(k, GetOption.DEFAULT))
        .commit(), "acquire " + key);
    if (r.isSucceeded()) {
      return new Attempt.Won<>(r.getHeader().getRevision());
    }
    List<KeyValue> kvs = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().get(0).getKvs();
    if (kvs.isEmpty()) {
      // Deleted between the compare and the get cannot happen inside one txn; be safe and try again later.
      throw new BackendException("etcd answered neither a grant nor a holder for " + key + "; will retry");
    }
    KeyValue kv = kvs.get(0);
    return new Attempt.Found<>(kv.getLease(), stored(kv).held(key));
  }

  @Override
  public void delete(String key, long token, Long lease) throws BackendException {
    ByteSequence k = key(key);
    call(client.getKVClient().txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
        .Then(Op.delete(k, DeleteOption.DEFAULT))
        .commit(), "release " + key);
  }

  @Override
  public Optional<Stored> read(String key, Long own) throws BackendException {
    GetResponse r = call(client.getKVClient().get(key(key)), "get " + key);
    return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(stored(r.getKvs().get(0)));
  }

  // ---------------------------------------------------------------------------------------------- watch

  @Override
  public void startWatching(BackendListeners listeners, Consumer<String> poll) {
    EtcdPrefixWatch w = new EtcdPrefixWatch(client, cfg.keyPrefix() + "/", listeners, timeoutMillis);
    watch = w;
    w.start();
  }

  @Override
  public boolean watchReportsEveryChange() {
    return true; // one prefix watch from the revision the backend started at, resumed after the last one it saw
  }

  @Override
  public boolean pollsEveryInterval() {
    return false; // the watch sees every release and expiry
  }

  @Override
  public void close() {
    EtcdPrefixWatch w = watch;
    if (w != null) {
      w.close();
    }
    client.close();
  }

  /** The configuration this store runs with. */
  public EtcdBackendConfig config() {
    return cfg;
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private static Stored stored(KeyValue kv) {
    return new Stored(kv.getCreateRevision(), kv.getValue().toString(StandardCharsets.UTF_8));
  }

  private <T> T call(CompletableFuture<T> future, String what) throws BackendException {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted during etcd " + what, e);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new TimedOut("etcd " + what + " timed out after " + timeoutMillis + " ms: check that "
          + cfg.endpoints() + " is reachable from this pod", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND
          && String.valueOf(ee.getMessage()).contains("lease not found")) {
        throw new SessionGoneException("etcd: " + ee.getMessage() + " during " + what);
      }
      throw new BackendException("etcd " + what + " failed: " + c + " (endpoints " + cfg.endpoints() + ")", c);
    }
  }

  /** A request that got no answer within the request timeout (a frozen or partitioned member, a slow store). */
  static final class TimedOut extends BackendException {
    TimedOut(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private ByteSequence key(String key) {
    return bytes(cfg.keyPrefix() + "/" + key);
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
