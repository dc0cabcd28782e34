package dev.mclease.controller.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.fault.TcpProxy;
import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker;
import dev.mclease.testbed.time.SkewableNanoTime;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contract every {@link GlobalLockBackend} must keep, run against the backend's <em>real</em> server.
 *
 * <p>A backend's test extends this class and says how to start its server, how to open a session (TTL {@code G},
 * renewal {@code K}) against given server addresses, and how to write a malformed value behind the backend's back.
 * Outages and lapsed sessions are produced with in-process TCP proxies ({@link TcpProxy}) between a session and the
 * server, so the same test cuts every backend off the same way. Each test works under its own random
 * {@code scope} (a key prefix, table prefix, znode path …) so that tests never see each other's keys.
 *
 * <p>Timings are short ({@link #TTL} = 2 s, {@link #RENEW} = 300 ms) so that a whole run stays well under 30 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class GlobalLockBackendConformance {

  protected static final Duration TTL = Duration.ofSeconds(2);
  protected static final Duration RENEW = Duration.ofMillis(300);
  private static final Logger LOG = LoggerFactory.getLogger(GlobalLockBackendConformance.class);

  private final List<GlobalLockBackend> sessions = new CopyOnWriteArrayList<>();
  private final List<TcpProxy> proxies = new CopyOnWriteArrayList<>();
  /** This test's key scope. */
  protected String scope;

  // ------------------------------------------------------------------------------------------ what a backend gives

  /** Starts the real server(s); JUnit assumptions skip the class when the server truly cannot be had. */
  protected abstract void startServer() throws Exception;

  /** Stops the server(s) and removes their data. */
  protected abstract void stopServer() throws Exception;

  /** Where the server(s) listen (the test may put proxies in front of them). */
  protected abstract List<InetSocketAddress> serverAddresses();

  /**
   * A new session with TTL {@code ttl} and renewal every {@code renew}, reaching the store at {@code addresses}, whose
   * heldUntil is judged on {@code nanoTime}.
   */
  protected abstract GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) throws Exception;

  /** Makes {@code key} (in {@code scope}) hold the unparseable value {@code raw}, bypassing the backend. */
  protected abstract void writeMalformed(String scope, String key, String raw) throws Exception;

  /**
   * Kills the server(s) (SIGKILL where it is a process) and starts them again on the same addresses and data; the
   * default skips the test.
   */
  protected void killAndRestartServer() throws Exception {
    assumeTrue(false, getClass().getSimpleName() + " has no kill-and-restart for its server");
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  @BeforeAll
  void startTheServer() throws Exception {
    startServer();
  }

  @AfterAll
  void stopTheServer() throws Exception {
    stopServer();
  }

  @BeforeEach
  void newScope() {
    scope = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  }

  @AfterEach
  void closeSessions() {
    sessions.forEach(GlobalLockBackend::close);
    sessions.clear();
    proxies.forEach(TcpProxy::close);
    proxies.clear();
  }

  /** A session straight to the server, closed after the test. */
  protected GlobalLockBackend session() throws Exception {
    return track(connect(serverAddresses(), scope, TTL, RENEW, System::nanoTime));
  }

  /** A session through its own proxies, for outages; {@code proxiesOut} receives them. */
  protected GlobalLockBackend proxiedSession(List<TcpProxy> proxiesOut) throws Exception {
    assumeTrue(!serverAddresses().isEmpty(), getClass().getSimpleName() + ": the store is in this process, there is"
        + " no link to put a proxy in; its partitions are InMemoryLockStore.Session.setReachable (ElectionControllerTest)");
    List<InetSocketAddress> via = new ArrayList<>();
    for (InetSocketAddress a : serverAddresses()) {
      TcpProxy p = TcpProxy.start("session->" + a.getPort(), a.getHostString(), a.getPort());
      proxies.add(p);
      proxiesOut.add(p);
      via.add(new InetSocketAddress("127.0.0.1", p.port()));
    }
    return track(connect(via, scope, TTL, RENEW, System::nanoTime));
  }

  private GlobalLockBackend track(GlobalLockBackend b) {
    sessions.add(b);
    return b;
  }

  protected static LockValue value(String holder, String cluster) {
    return new LockValue(holder, cluster, Instant.parse("2026-03-01T10:00:00Z"));
  }

  protected static long granted(AcquireResult r) {
    assertThat(r).isInstanceOf(AcquireResult.Granted.class);
    return ((AcquireResult.Granted) r).token();
  }

  /** Acquires until granted (some backends answer HeldBy until they have watched an expiry for {@code G}). */
  protected static long acquireWithin(GlobalLockBackend b, String key, LockValue v, Duration within) {
    long[] token = new long[1];
    await().atMost(within).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(() -> {
      AcquireResult r = b.acquire(key, v);
      if (r instanceof AcquireResult.Granted g) {
        token[0] = g.token();
        return true;
      }
      return false;
    });
    return token[0];
  }

  /** Whether {@code b}'s heldUntil has passed ({@link Long#MIN_VALUE} included). */
  protected static boolean lapsed(GlobalLockBackend b) {
    long h = b.heldUntilNanos();
    return h == Long.MIN_VALUE || h - System.nanoTime() <= 0;
  }

  // ------------------------------------------------------------------------------------------ the contract

  @Test
  void mutualExclusionUnderConcurrentAcquirersIsCheckedByTheHistoryChecker() throws Exception {
    int sessionCount = 3;
    int threadsPerSession = 2;
    List<String> keys = List.of("ns/k0", "ns/k1", "ns/k2", "ns/k3");
    List<GlobalLockBackend> all = new ArrayList<>();
    for (int i = 0; i < sessionCount; i++) {
      all.add(session());
    }
    Map<String, History> histories = new ConcurrentHashMap<>();
    keys.forEach(k -> histories.put(k, new History(System::nanoTime)));
    AtomicInteger grants = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
    ExecutorService pool = Executors.newFixedThreadPool(sessionCount * threadsPerSession);
    List<Future<?>> done = new ArrayList<>();
    for (int s = 0; s < sessionCount; s++) {
      for (int t = 0; t < threadsPerSession; t++) {
        GlobalLockBackend b = all.get(s);
        String cluster = "c" + s;
        String id = "c" + s + "-t" + t;
        done.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            String key = keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
            History h = histories.get(key);
            try {
              AcquireResult r = b.acquire(key, value(id, cluster));
              if (r instanceof AcquireResult.Granted g) {
                grants.incrementAndGet();
                h.start(id, cluster, g.token());
                h.confirmed(id, cluster, g.token(), b.heldUntilNanos());
                Thread.sleep(ThreadLocalRandom.current().nextInt(1, 15));
                h.stop(id, cluster);
                b.release(key, g.token());
              } else {
                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 5));
              }
            } catch (BackendException e) {
              errors.incrementAndGet();
              LOG.warn("{} on {}: {}", id, key, e.getMessage());
            }
          }
          return null;
        }));
      }
    }
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdownNow();
    LOG.info("{}: {} grants, {} errors over {} keys", getClass().getSimpleName(), grants.get(), errors.get(),
        keys.size());
    for (String k : keys) {
      HistoryChecker.Verdict v = HistoryChecker.check(histories.get(k), Duration.ofHours(1));
      assertThat(v.ok()).as("history of %s: %s", k, v).isTrue();
      assertThat(v.intervals()).as("%s was granted at least twice", k).hasSizeGreaterThanOrEqualTo(2);
    }
    assertThat(errors.get()).as("errors against a healthy server").isZero();
  }

  @Test
  void holdersExcludeEachOtherAndTokensStrictlyIncreasePerKey() throws Exception {
    GlobalLockBackend east = session();
    GlobalLockBackend west = session();

    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));
    assertThat(west.acquire("ns/a", value("pod-w", "west")))
        .isEqualTo(new AcquireResult.HeldBy(value("pod-e", "east"), t1));
    assertThat(east.acquire("ns/a", value("pod-e2", "east"))).as("no re-entry, no overwrite")
        .isInstanceOf(AcquireResult.HeldBy.class);
    assertThat(west.current("ns/a")).contains(new Held(value("pod-e", "east"), t1));
    assertThat(west.current("ns/none")).isEmpty();

    east.release("ns/a", t1);
    assertThat(west.current("ns/a")).isEmpty();
    long t2 = granted(west.acquire("ns/a", value("pod-w", "west")));
    west.release("ns/a", t2);
    long t3 = granted(east.acquire("ns/a", value("pod-e", "east")));
    east.release("ns/a", t3);
    long t4 = granted(east.acquire("ns/a", value("pod-e", "east")));
    assertThat(List.of(t1, t2, t3, t4)).isSorted().doesNotHaveDuplicates();
    assertThat(t1).isPositive();
    granted(west.acquire("ns/b", value("pod-w", "west")));
    assertThat(east.heldUntilNanos() - System.nanoTime()).as("heldUntil ahead by about G")
        .isBetween(TTL.toNanos() / 2, TTL.toNanos());
  }

  @Test
  void onlyTheHolderReleasesAndOnlyItsOwnAcquisition() throws Exception {
    GlobalLockBackend east = session();
    GlobalLockBackend west = session();
    long old = granted(east.acquire("ns/a", value("pod-e", "east")));
    east.release("ns/a", old);
    long now = granted(east.acquire("ns/a", value("pod-e", "east")));

    east.release("ns/a", old); // a stale token releases nothing
    west.release("ns/a", old);
    west.release("ns/a", now); // another session, even with the right token, releases nothing
    assertThat(west.current("ns/a")).map(Held::token).contains(now);
    assertThat(west.acquire("ns/a", value("pod-w", "west"))).isInstanceOf(AcquireResult.HeldBy.class);
    east.release("ns/a", now);
    assertThat(granted(west.acquire("ns/a", value("pod-w", "west")))).isGreaterThan(now);
  }

  @Test
  void watchSeesAcquisitionAndReleaseFast() throws Exception {
    GlobalLockBackend east = session();
    GlobalLockBackend west = session();
    List<LockEvent> events = new CopyOnWriteArrayList<>();
    List<Long> arrivals = new CopyOnWriteArrayList<>();
    west.watch("ns/a", e -> {
      if (e.type() != LockEvent.Type.RESYNC) {
        events.add(e);
        arrivals.add(System.nanoTime());
      }
    });
    List<LockEvent> other = new CopyOnWriteArrayList<>();
    west.watch("ns/other", other::add);
    Thread.sleep(300); // watch streams open asynchronously
    long token = granted(east.acquire("ns/a", value("pod-e", "east")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
    assertThat(events.get(0).type()).isEqualTo(LockEvent.Type.ACQUIRED);
    assertThat(events.get(0).token()).isEqualTo(token);

    long sent = System.nanoTime();
    east.release("ns/a", token);
    await().atMost(Duration.ofSeconds(3)).until(() -> events.stream()
        .anyMatch(e -> e.type() == LockEvent.Type.RELEASED));
    int i = 0;
    while (events.get(i).type() != LockEvent.Type.RELEASED) {
      i++;
    }
    long latencyMs = TimeUnit.NANOSECONDS.toMillis(arrivals.get(i) - sent);
    LOG.info("{}: watch saw a release {} ms after it was sent", getClass().getSimpleName(), latencyMs);
    assertThat(events.get(i).token()).isIn(token, 0L);
    assertThat(latencyMs).isLessThan(1000);
    assertThat(other).noneMatch(e -> e.type() != LockEvent.Type.RESYNC);
  }

  @Test
  void expiryFreesTheKeyOnlyAfterTheHoldersHeldUntilAndTheWatchSeesIt() throws Exception {
    List<TcpProxy> link = new ArrayList<>();
    GlobalLockBackend east = proxiedSession(link);
    GlobalLockBackend west = session();
    long token = granted(east.acquire("ns/a", value("pod-e", "east")));
    List<LockEvent> events = new CopyOnWriteArrayList<>();
    west.watch("ns/a", e -> {
      if (e.type() == LockEvent.Type.RELEASED) {
        events.add(e);
      }
    });
    assertThat(west.acquire("ns/a", value("pod-w", "west"))).isInstanceOf(AcquireResult.HeldBy.class);

    link.forEach(TcpProxy::partition); // the holder's session can no longer be renewed
    long cut = System.nanoTime();
    long heldUntil = east.heldUntilNanos();
    await().atMost(TTL.multipliedBy(4)).until(() -> !events.isEmpty());
    long seen = System.nanoTime();
    long takeover = acquireWithin(west, "ns/a", value("pod-w", "west"), TTL.multipliedBy(3));
    long grantedAt = System.nanoTime();
    LOG.info("{}: expiry seen by the watch {} ms after the holder was cut off, taken over after {} ms (G = {})",
        getClass().getSimpleName(), TimeUnit.NANOSECONDS.toMillis(seen - cut),
        TimeUnit.NANOSECONDS.toMillis(grantedAt - cut), TTL);
    assertThat(seen).as("the watch never reports expiry before the holder's heldUntil").isGreaterThan(heldUntil);
    assertThat(grantedAt).as("never granted before the holder's heldUntil").isGreaterThan(heldUntil);
    assertThat(takeover).isGreaterThan(token);
    assertThat(lapsed(east)).as("the cut-off holder knows it lost").isTrue();
  }

  @Test
  void aMalformedValueIsReportedAndCountsAsHeld() throws Exception {
    GlobalLockBackend east = session();
    writeMalformed(scope, "ns/bad", "{not json");
    assertThatThrownBy(() -> east.acquire("ns/bad", value("pod-e", "east")))
        .isInstanceOf(MalformedValueException.class).hasMessageContaining("ns/bad");
    assertThatThrownBy(() -> east.current("ns/bad")).isInstanceOf(MalformedValueException.class);
    assertThatThrownBy(() -> east.acquire("ns/bad", value("pod-e", "east")))
        .as("still held, nothing overwrote it").isInstanceOf(MalformedValueException.class);
    granted(east.acquire("ns/good", value("pod-e", "east")));
  }

  @Test
  void anOutageSurfacesAsErrorsAndALapsingHeldUntilNeverAsAGrant() throws Exception {
    List<TcpProxy> link = new ArrayList<>();
    GlobalLockBackend east = proxiedSession(link);
    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));

    link.forEach(TcpProxy::partition);
    long cut = System.nanoTime();
    long before = east.heldUntilNanos();
    assertThat(before - cut).as("held for a while yet").isPositive();
    assertThatThrownBy(() -> east.acquire("ns/b", value("pod-e", "east"))).isInstanceOf(BackendException.class);
    await().atMost(TTL.multipliedBy(2)).until(() -> !east.health().reachable());
    await().atMost(TTL.multipliedBy(3)).until(() -> lapsed(east));
    assertThat(east.heldUntilNanos()).as("no renewal got through").isLessThanOrEqualTo(before);
    LOG.info("{}: heldUntil lapsed {} ms after the cut (G = {})", getClass().getSimpleName(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut), TTL);
    assertThatThrownBy(() -> east.acquire("ns/c", value("pod-e", "east"))).isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> east.current("ns/a")).isInstanceOf(BackendException.class);

    link.forEach(TcpProxy::heal);
    long t2 = acquireWithin(east, "ns/a", value("pod-e", "east"), Duration.ofSeconds(15));
    assertThat(t2).as("a new acquisition after the outage").isGreaterThan(t1);
    await().atMost(TTL).until(() -> east.health().reachable());
    assertThat(lapsed(east)).isFalse();
  }

  @Test
  void renewalsAnsweredOnlyAfterHeldUntilNeverReviveWhatLapsed() throws Exception {
    // Requests reach the store on time (it keeps the session alive), their answers are held and then delivered all
    // at once: the renewals in flight are answered after heldUntil lapsed here.
    lapseWhileTheStoreKeepsTheSessionThenHeal("answers held", TcpProxy::stallDownstream);
  }

  @Test
  void aLinkSoLongThatAnswersComeAfterHeldUntilNeverRevivesWhatLapsed() throws Exception {
    // Every request still reaches the store 0.65·G after it was sent, so the store keeps the session alive
    // (0.65·G + K < G), but every answer comes back 1.3·G after its request.
    Duration oneWay = TTL.multipliedBy(13).dividedBy(20);
    lapseWhileTheStoreKeepsTheSessionThenHeal("one-way latency " + oneWay.toMillis() + " ms", p -> p.latency(oneWay));
  }

  @Test
  void aProcessPausedLongerThanGNeverRevivesWhatLapsedWhenItResumes() throws Exception {
    // The holder's monotonic clock jumps 3·G at once, as the process sees it after a pause (GC, SIGSTOP, a frozen
    // VM) that the store never noticed: the renewal right after the jump is answered after heldUntil.
    SkewableNanoTime paused = SkewableNanoTime.system();
    GlobalLockBackend east = track(connect(serverAddresses(), scope, TTL, RENEW, paused));
    GlobalLockBackend west = session();
    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));
    paused.advance(TTL.multipliedBy(3));
    assertThat(east.heldUntilNanos() - paused.getAsLong()).as("lapsed at once").isNegative();

    long t2 = acquireWithin(west, "ns/a", value("pod-w", "west"), TTL.multipliedBy(4));
    assertThat(t2).as("a new acquisition, not the lapsed one").isGreaterThan(t1);
    await().atMost(TTL.multipliedBy(2)).ignoreExceptions().untilAsserted(() ->
        assertThat(east.acquire("ns/a", value("pod-e", "east"))).isEqualTo(
            new AcquireResult.HeldBy(value("pod-w", "west"), t2)));
  }

  /**
   * The holder's heldUntil lapses here while the store still holds its key; then the link heals and late answers
   * arrive. The holder was told it lost the key and its candidate stopped leading: a late answer must not hand the
   * key back to it (nobody would lead, yet nobody could acquire), so the key is freed for others.
   */
  private void lapseWhileTheStoreKeepsTheSessionThenHeal(String fault, java.util.function.Consumer<TcpProxy> inject)
      throws Exception {
    List<TcpProxy> link = new ArrayList<>();
    GlobalLockBackend east = proxiedSession(link);
    GlobalLockBackend west = session();
    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));

    link.forEach(inject);
    long cut = System.nanoTime();
    await().atMost(TTL.multipliedBy(3)).until(() -> lapsed(east));
    LOG.info("{}: heldUntil lapsed {} ms after the fault ({})", getClass().getSimpleName(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut), fault);
    link.forEach(TcpProxy::heal);

    long t2 = acquireWithin(west, "ns/a", value("pod-w", "west"), TTL.multipliedBy(4));
    assertThat(t2).as("a new acquisition, not the lapsed one").isGreaterThan(t1);
    await().atMost(TTL.multipliedBy(2)).ignoreExceptions().untilAsserted(() ->
        assertThat(east.acquire("ns/a", value("pod-e", "east"))).isEqualTo(
            new AcquireResult.HeldBy(value("pod-w", "west"), t2)));
  }

  @Test
  void serverKilledAndRestartedWhileALeaderHoldsNeverGivesTwoHolders() throws Exception {
    GlobalLockBackend east = session();
    GlobalLockBackend west = session();
    History history = new History(System::nanoTime);
    long t1 = granted(east.acquire("ns/a", value("pod-e", "east")));
    history.start("pod-e", "east", t1);
    history.confirmed("pod-e", "east", t1, east.heldUntilNanos());
    long faultStart = System.nanoTime();
    AutoCloseable fault = history.fault("server killed and restarted");
    killAndRestartServer();
    fault.close();
    // Both sessions keep trying; whoever is granted records its interval bounded by its heldUntil.
    long deadline = System.nanoTime() + TTL.multipliedBy(6).toNanos();
    String leader = null;
    while (System.nanoTime() < deadline && leader == null) {
      for (GlobalLockBackend b : List.of(east, west)) {
        String id = b == east ? "pod-e" : "pod-w";
        try {
          Optional<Held> cur = b.current("ns/a");
          if (b == east && cur.isPresent() && cur.get().token() == t1 && !lapsed(b)) {
            history.confirmed("pod-e", "east", t1, b.heldUntilNanos());
            leader = "pod-e (kept its acquisition)";
            break;
          }
          AcquireResult r = b.acquire("ns/a", value(id, b == east ? "east" : "west"));
          if (r instanceof AcquireResult.Granted g) {
            history.start(id, b == east ? "east" : "west", g.token());
            history.confirmed(id, b == east ? "east" : "west", g.token(), b.heldUntilNanos());
            leader = id;
            break;
          }
        } catch (BackendException e) {
          LOG.debug("{} during restart: {}", id, e.getMessage());
        }
      }
      Thread.sleep(50);
    }
    assertThat(leader).as("a leader again within 6·G of the restart").isNotNull();
    LOG.info("{}: leader {} {} ms after the kill", getClass().getSimpleName(), leader,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultStart));
    HistoryChecker.Verdict v = HistoryChecker.check(history, TTL.multipliedBy(6));
    assertThat(v.ok()).as("%s", v).isTrue();
  }
}
