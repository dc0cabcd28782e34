package dev.mclease.controller.backend.kubernetes;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.ContenderExpiry;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
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
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock store on {@code coordination.k8s.io/v1} Leases in one designated <b>hub</b> cluster, for users with no
 * external store; the session lifecycle is {@link dev.mclease.controller.backend.session.SessionKeeper}'s. The hub's
 * API server is a single point of failure: while it is unreachable nobody can acquire or confirm, and every leader
 * steps down within its renew deadline.
 *
 * <ul>
 *   <li><b>Session</b> = one Lease {@code <prefix>-session-<id>} per controller, updated on every renewal with a
 *       resourceVersion precondition (CAS). Ending a session deletes its Lease.</li>
 *   <li><b>Lock</b> = one Lease {@code <prefix>.<namespace>.<name>} per key; annotations
 *       {@code mclease.dev/session} (empty = free), {@code mclease.dev/value} (the protocol JSON) and
 *       {@code mclease.dev/token}. Every write is a resourceVersion CAS. Lock Leases are never deleted, so the
 *       token counter survives releases: token = previous token + 1, written in the acquiring CAS.</li>
 *   <li><b>Expiry</b> is judged by a contender on <em>its own</em> monotonic clock ({@link ContenderExpiry}) on the
 *       session Lease's resourceVersion; a session marked dead ({@code mclease.dev/dead}) never renews again.
 *       Timestamps in the objects are never compared with any clock.</li>
 *   <li><b>Watch</b> = a poll of every watched key (and its holder's session) every K.</li>
 * </ul>
 */
public final class HubLeaseStore implements LockStore<String> {

  static final String SESSION = "mclease.dev/session";
  static final String VALUE = "mclease.dev/value";
  static final String TOKEN = "mclease.dev/token";
  static final String KEY = "mclease.dev/key";
  static final String DEAD = "mclease.dev/dead";
  static final String ROLE = "mclease.dev/role";

  private static final Logger LOG = LoggerFactory.getLogger(HubLeaseStore.class);

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final String namespace;
  private final String prefix;
  private final Duration ttl;
  private final ContenderExpiry expiry;
  /** Our open sessions' Lease resourceVersions: the precondition of their next renewal. */
  private final Map<String, String> sessionVersions = new ConcurrentHashMap<>();

  private HubLeaseStore(KubernetesClient client, boolean ownsClient, String namespace, String prefix, Duration ttl,
      LongSupplier nanoTime) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.namespace = namespace;
    this.prefix = prefix;
    this.ttl = ttl;
    this.expiry = new ContenderExpiry(new SessionLeases(), ttl, nanoTime, LOG);
  }

  /**
   * Starts the backend: renewing (the session Lease is created on the first renewal tick) and polling watched keys
   * every {@code renewInterval}.
   *
   * @param client a client of the hub cluster with short request timeouts and no retries (the backend retries)
   * @param ownsClient whether closing the backend closes {@code client}
   * @param namespace the hub namespace holding every Lease
   * @param prefix the Lease name prefix, a DNS label such as {@code mclease}
   */
  public static SessionLockBackend<String> start(KubernetesClient client, boolean ownsClient, String namespace,
      String prefix, Duration ttl, Duration renewInterval, LongSupplier nanoTime) {
    Objects.requireNonNull(client, "client");
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("hub Lease backend: need TTL ≥ 1s, got " + ttl);
    }
    SessionLockBackend.checkIntervals("hub Lease backend", ttl, renewInterval);
    HubLeaseStore store = new HubLeaseStore(client, ownsClient, namespace, prefix, ttl, nanoTime);
    return SessionLockBackend.start(store, new BackendListeners(LOG), renewInterval, nanoTime, LOG);
  }

  @Override
  public String storeName() {
    return "hub Lease";
  }

  // ---------------------------------------------------------------------------------------------- sessions

  @Override
  public Opened<String> open() throws BackendException {
    String id = UUID.randomUUID().toString().substring(0, 13);
    try {
      Lease created = client.leases().inNamespace(namespace).resource(sessionLease(id, null)).create();
      sessionVersions.put(id, created.getMetadata().getResourceVersion());
    } catch (KubernetesClientException e) {
      throw failed("create session Lease", e);
    }
    return new Opened<>(id, ttl.toNanos(), "Lease " + namespace + "/" + sessionName(id) + ", G = " + ttl);
  }

  @Override
  public Renewal renew(String session) throws BackendException {
    try {
      Lease updated = client.leases().inNamespace(namespace)
          .resource(sessionLease(session, sessionVersions.get(session))).update();
      sessionVersions.put(session, updated.getMetadata().getResourceVersion());
      return Renewal.renewed(ttl.toNanos());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409 && e.getCode() != 404) {
        throw failed("renew session", e);
      }
      // A renewal of ours that timed out may have been applied: resume from it unless the Lease was marked dead.
      return resumeOwnWrite(session) ? Renewal.inconclusive("HTTP " + e.getCode() + "; resumed from our own write")
          : Renewal.gone("the session Lease was marked dead or deleted (HTTP " + e.getCode() + ")");
    }
  }

  private boolean resumeOwnWrite(String session) {
    try {
      Lease s = client.leases().inNamespace(namespace).withName(sessionName(session)).get();
      if (s == null || "true".equals(ann(s, DEAD))) {
        return false;
      }
      sessionVersions.put(session, s.getMetadata().getResourceVersion());
      return true;
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  @Override
  public void end(String session) throws BackendException {
    try {
      client.leases().inNamespace(namespace).withName(sessionName(session)).delete();
      sessionVersions.remove(session);
    } catch (KubernetesClientException e) {
      throw failed("delete session " + session, e);
    }
  }

  private Lease sessionLease(String id, String resourceVersion) {
    return new LeaseBuilder().withNewMetadata().withName(sessionName(id)).withNamespace(namespace)
        .withResourceVersion(resourceVersion).addToLabels(ROLE, "session").addToAnnotations(DEAD, "false")
        .endMetadata().withNewSpec().withHolderIdentity(id)
        .withLeaseDurationSeconds((int) Math.max(1, ttl.toSeconds()))
        .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC)).endSpec().build();
  }

  /** Session Leases as {@link ContenderExpiry} reads and marks them: the version is the resourceVersion. */
  private final class SessionLeases implements ContenderExpiry.Records {
    @Override
    public ContenderExpiry.Observed read(String session) throws BackendException {
      Lease s = get(sessionName(session), "read session " + session);
      return s == null || "true".equals(ann(s, DEAD)) ? ContenderExpiry.Observed.goneNow()
          : ContenderExpiry.Observed.at(s.getMetadata().getResourceVersion());
    }

    @Override
    public boolean markDead(String session, String version) throws BackendException {
      Lease dead = new LeaseBuilder(sessionLease(session, version)).editMetadata().addToAnnotations(DEAD, "true")
          .endMetadata().build();
      try {
        client.leases().inNamespace(namespace).resource(dead).update(); // CAS on the version seen standing still
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          return false; // it renewed meanwhile
        }
        if (e.getCode() == 404) {
          return true; // deleted: ended by its owner
        }
        throw failed("mark session " + session + " dead", e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- keys

  @Override
  public Attempt<String> tryAcquire(String key, LockValue value, String session) throws BackendException {
    Lease lock = get(lockName(key), "read lock " + key);
    if (lock == null) {
      try {
        client.leases().inNamespace(namespace).resource(lockLease(key, null, session, value, 1)).create();
        return new Attempt.Won<>(1);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          return new Attempt.Changed<>(); // created by someone else meanwhile: read it
        }
        throw failed("create lock " + key, e);
      }
    }
    String holder = ann(lock, SESSION);
    long token = token(lock);
    if (!holder.isEmpty()) {
      // parsed first: a value nobody can read counts as held, whatever its session (docs/safety.md, invariant 7)
      Held held = stored(lock).held(key);
      if (holder.equals(session) || !expiry.dead(holder)) {
        return new Attempt.Found<>(holder, held);
      }
    }
    try {
      client.leases().inNamespace(namespace).resource(lockLease(key, lock, session, value, token + 1)).update();
      return new Attempt.Won<>(token + 1);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw failed("acquire " + key, e);
      }
      return new Attempt.Changed<>(); // the CAS lost: read again, and whoever won is found then
    }
  }

  @Override
  public void delete(String key, long token, String session) throws BackendException {
    for (int attempt = 0; attempt < 3; attempt++) {
      Lease lock = get(lockName(key), "read lock " + key);
      if (lock == null || !ann(lock, SESSION).equals(session) || token(lock) != token) {
        return;
      }
      Lease freed = new LeaseBuilder(lock).editMetadata().addToAnnotations(SESSION, "").addToAnnotations(VALUE, "")
          .endMetadata().editSpec().withHolderIdentity(null).endSpec().build();
      try {
        client.leases().inNamespace(namespace).resource(freed).update();
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
  public Optional<Stored> read(String key, String own) throws BackendException {
    Lease lock = get(lockName(key), "read lock " + key);
    return lock == null ? Optional.empty() : expiry.counted(ann(lock, SESSION), own, stored(lock));
  }


  // ---------------------------------------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
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

  private static Stored stored(Lease lock) {
    return new Stored(token(lock), ann(lock, VALUE));
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
