package dev.mclease.controller.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.MalformedValueException;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The etcd backend (EtcdLockStore under the session keeper) against a real etcd 3.4 (the Debian binary, one member, random loopback ports). */
class EtcdLockBackendTest {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdLockBackendTest.class);
  private static EtcdCluster etcd;
  private static Client raw;

  private final List<SessionLockBackend<Long>> backends = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProvider.start(1);
    raw = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
  }

  @AfterAll
  static void stopEtcd() {
    if (raw != null) {
      raw.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @BeforeEach
  void uniquePrefix() {
    prefix = "/test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void closeBackends() {
    backends.forEach(SessionLockBackend::close);
  }

  private SessionLockBackend<Long> session(List<String> endpoints, Duration ttl) {
    SessionLockBackend<Long> b = EtcdLockStore.connect(EtcdBackendConfig.builder(endpoints).ttl(ttl)
        .renewInterval(Duration.ofMillis(300)).keyPrefix(prefix).build(), System::nanoTime);
    backends.add(b);
    return b;
  }

  private SessionLockBackend<Long> session() {
    return session(etcd.endpoints(), Duration.ofSeconds(3));
  }

  private static LockValue value(String holder, String cluster) {
    return new LockValue(holder, cluster, Instant.parse("2026-03-01T10:00:00Z"));
  }

  private static long granted(AcquireResult r) {
    assertThat(r).isInstanceOf(AcquireResult.Granted.class);
    return ((AcquireResult.Granted) r).token();
  }

  @Test
  void twoSessionsExcludeEachOtherAndTokensStrictlyIncrease() throws Exception {
    SessionLockBackend<Long> east = session();
    SessionLockBackend<Long> west = session();

    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));
    AcquireResult r = west.acquire("ns/a", value("pod-w", "west"));
    assertThat(r).isEqualTo(new AcquireResult.HeldBy(value("pod-e", "east"), t1));
    assertThat(east.acquire("ns/a", value("pod-e2", "east"))).as("no re-entry, no overwrite")
        .isInstanceOf(AcquireResult.HeldBy.class);
    assertThat(west.current("ns/a")).contains(new Held(value("pod-e", "east"), t1));

    east.release("ns/a", t1);
    long t2 = granted(west.acquire("ns/a", value("pod-w", "west")));
    west.release("ns/a", t2);
    long t3 = granted(east.acquire("ns/a", value("pod-e", "east")));
    long t4 = granted(west.acquire("ns/b", value("pod-w", "west")));
    assertThat(List.of(t1, t2, t3, t4)).isSorted().doesNotHaveDuplicates();
    assertThat(east.heldUntilNanos()).isGreaterThan(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
  }

  @Test
  void releaseIsGuardedByTheToken() throws Exception {
    SessionLockBackend<Long> east = session();
    SessionLockBackend<Long> west = session();
    long old = granted(east.acquire("ns/a", value("pod-e", "east")));
    east.release("ns/a", old);
    long now = granted(east.acquire("ns/a", value("pod-e", "east")));

    west.release("ns/a", old); // a stale token deletes nothing
    east.release("ns/a", old);
    assertThat(west.current("ns/a")).map(Held::token).contains(now);
    assertThat(west.acquire("ns/a", value("pod-w", "west"))).isInstanceOf(AcquireResult.HeldBy.class);
  }

  @Test
  void watchSeesAcquireAndReleaseFast() throws Exception {
    SessionLockBackend<Long> east = session();
    SessionLockBackend<Long> west = session();
    List<LockEvent> events = new CopyOnWriteArrayList<>();
    List<Long> arrivals = new CopyOnWriteArrayList<>();
    west.watch("ns/a", e -> {
      events.add(e);
      arrivals.add(System.nanoTime());
    });
    west.watch("ns/other", e -> events.add(e));
    // The watch stream is established asynchronously: write until the first event arrives.
    long token = granted(east.acquire("ns/a", value("pod-e", "east")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
    assertThat(events.get(0)).isEqualTo(LockEvent.acquired("ns/a", token, value("pod-e", "east")));

    long sent = System.nanoTime();
    east.release("ns/a", token);
    await().atMost(Duration.ofSeconds(2)).until(() -> events.size() == 2);
    long latencyMs = TimeUnit.NANOSECONDS.toMillis(arrivals.get(1) - sent);
    LOG.info("watch saw a release {} ms after the delete was sent", latencyMs);
    assertThat(events.get(1)).isEqualTo(LockEvent.released("ns/a", token));
    assertThat(latencyMs).isLessThan(500);
  }

  @Test
  void watchSeesExpiryAboutTtlAfterTheHolderStopsRenewing() throws Exception {
    SessionLockBackend<Long> east = session(etcd.endpoints(), Duration.ofSeconds(2));
    SessionLockBackend<Long> west = session();
    List<LockEvent> events = new CopyOnWriteArrayList<>();
    west.watch("ns/a", events::add);
    long token = granted(east.acquire("ns/a", value("pod-e", "east")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());

    long stopped = System.nanoTime();
    long heldUntil = east.heldUntilNanos();
    east.close(); // stops renewing; does not revoke
    await().atMost(Duration.ofSeconds(6)).until(() -> events.size() == 2);
    long gone = System.nanoTime();
    LOG.info("key expired {} ms after renewals stopped (TTL 2 s)", TimeUnit.NANOSECONDS.toMillis(gone - stopped));
    assertThat(events.get(1)).isEqualTo(LockEvent.released("ns/a", token));
    assertThat(gone).as("never before the holder's own heldUntil").isGreaterThan(heldUntil);
    assertThat(gone - stopped).isBetween(TimeUnit.MILLISECONDS.toNanos(1400), TimeUnit.MILLISECONDS.toNanos(4500));
    assertThat(granted(west.acquire("ns/a", value("pod-w", "west")))).isGreaterThan(token);
  }

  @Test
  void aLateAppliedAcquireOfThisSessionIsAdoptedOrReplacedNeverLeftHeldForever() throws Exception {
    SessionLockBackend<Long> east = session();
    SessionLockBackend<Long> west = session();
    granted(east.acquire("ns/warmup", value("pod-e", "east")));
    long lease = east.session().orElse(0L);
    // What etcd does with a txn whose client gave up (timeout during a quorum loss): it applies it later.
    raw.getKVClient().put(bytes(prefix + "/ns/q"), bytes(value("pod-e", "east").toJson()),
        io.etcd.jetcd.options.PutOption.builder().withLeaseId(lease).build()).get(5, TimeUnit.SECONDS);
    long late = west.current("ns/q").get().token();

    assertThat(granted(east.acquire("ns/q", value("pod-e", "east")))).as("same holder: adopted").isEqualTo(late);
    assertThat(west.acquire("ns/q", value("pod-w", "west"))).isInstanceOf(AcquireResult.HeldBy.class);

    raw.getKVClient().put(bytes(prefix + "/ns/r"), bytes(value("pod-old", "east").toJson()),
        io.etcd.jetcd.options.PutOption.builder().withLeaseId(lease).build()).get(5, TimeUnit.SECONDS);
    long stale = west.current("ns/r").get().token();
    long fresh = granted(east.acquire("ns/r", value("pod-new", "east")));
    assertThat(fresh).as("another holder: replaced by a new acquisition").isGreaterThan(stale);
    assertThat(west.current("ns/r").get().value().holder()).isEqualTo("pod-new");
  }

  @Test
  void malformedValueIsReportedAndCountsAsHeld() throws Exception {
    SessionLockBackend<Long> east = session();
    raw.getKVClient().put(bytes(prefix + "/ns/bad"), bytes("{not json")).get(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> east.acquire("ns/bad", value("pod-e", "east")))
        .isInstanceOf(MalformedValueException.class)
        .hasMessageContaining("ns/bad").hasMessageContaining("{not json");
    assertThatThrownBy(() -> east.current("ns/bad")).isInstanceOf(MalformedValueException.class);
    // still held: nothing overwrote it
    KeyValue kv = raw.getKVClient().get(bytes(prefix + "/ns/bad")).get(5, TimeUnit.SECONDS).getKvs().get(0);
    assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("{not json");
  }

  @Test
  void hundredKeysOfOneSessionShareOneEtcdLease() throws Exception {
    SessionLockBackend<Long> east = session();
    for (int i = 0; i < 100; i++) {
      granted(east.acquire("ns/lease-" + i, value("pod-" + i, "east")));
    }
    long lease = east.session().orElse(0L);
    assertThat(lease).isNotZero();
    List<KeyValue> kvs = raw.getKVClient().get(bytes(prefix + "/"), GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS).getKvs();
    assertThat(kvs).hasSize(100).allSatisfy(kv -> assertThat(kv.getLease()).isEqualTo(lease));
    LeaseTimeToLiveResponse ttl = raw.getLeaseClient().timeToLive(lease, LeaseOption.builder().withAttachedKeys()
        .build()).get(5, TimeUnit.SECONDS);
    assertThat(ttl.getKeys()).hasSize(100);
    assertThat(ttl.getGrantedTTL()).isEqualTo(3);

    east.releaseAll(); // graceful: one revoke frees all 100
    assertThat(raw.getKVClient().get(bytes(prefix + "/"), GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS).getKvs()).isEmpty();
    assertThat(east.heldUntilNanos()).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void etcdDownMeansErrorsAndALapsingHeldUntilNeverAGrant() throws Exception {
    try (EtcdCluster own = EtcdProvider.start(1)) {
      SessionLockBackend<Long> east = session(own.endpoints(), Duration.ofSeconds(2));
      long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));
      long firstLease = east.session().orElse(0L);

      own.stopMember(0);
      long stopped = System.nanoTime();
      assertThatThrownBy(() -> east.acquire("ns/b", value("pod-e", "east"))).isInstanceOf(BackendException.class);
      await().atMost(Duration.ofSeconds(2)).until(() -> !east.health().reachable());
      await().atMost(Duration.ofSeconds(5)).until(() -> east.heldUntilNanos() == Long.MIN_VALUE);
      LOG.info("session declared lost {} ms after etcd stopped (TTL 2 s)",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
      assertThat(System.nanoTime() - stopped).isLessThan(TimeUnit.MILLISECONDS.toNanos(2000 + 1500));

      own.startMember(0);
      own.awaitHealthy(Duration.ofSeconds(10));
      // A new session; the old one is revoked, so its key is free again and is re-acquired with a larger token.
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
          east.acquire("ns/a", value("pod-e", "east")) instanceof AcquireResult.Granted);
      assertThat(east.session().orElse(0L)).isNotEqualTo(firstLease).isNotZero();
      assertThat(east.current("ns/a")).map(Held::token).get().isNotNull();
      assertThat(east.current("ns/a").get().token()).isGreaterThan(t1);
      assertThat(east.health().reachable()).isTrue();
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
