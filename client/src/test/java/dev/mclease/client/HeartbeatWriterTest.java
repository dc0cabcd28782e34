package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The requests of a tick and of a release, on a real kube-apiserver (the shared cluster {@code east}, a fresh
 * namespace per test), with a scripted {@link HeartbeatWriter.Ledger} that says what the watch holds: a state the
 * watch vouches for spares the read, a status write behind the watch's back costs nothing (spec writes are a CAS on
 * spec alone, {@link SpecPatch}), a spec write behind it costs one refused write and a read, and without a watch every
 * tick reads first. A Role without {@code patch} falls back to update.
 */
class HeartbeatWriterTest {

  private static final String NAME = "lease";
  private static final String ME = "me";

  private static ApiServerCluster cluster;

  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final ScriptedLedger ledger = new ScriptedLedger();
  private String ns;
  private KubernetesClient admin;
  private KubernetesClient counted;
  private HeartbeatWriter writer;
  private Problems problems;

  @BeforeAll
  static void startCluster() {
    cluster = RealApiServer.shared("east");
  }

  @BeforeEach
  void setUp() {
    ns = RealApiServer.freshNamespace(cluster);
    admin = cluster.client();
    Interceptor counter = new Interceptor() {
      @Override
      public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        String path = request.uri().getPath();
        if (path.endsWith("/multiclusterleases/" + NAME) || path.endsWith("/multiclusterleases")) {
          requests.add(request.method().toUpperCase(Locale.ROOT));
        }
      }
    };
    counted = new KubernetesClientBuilder().withConfig(admin.getConfiguration())
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", counter)).build();
    problems = new Problems(LoggerFactory.getLogger(HeartbeatWriterTest.class), "test");
    writer = new HeartbeatWriter(ns, NAME, ME, "instance-1", Duration.ofSeconds(15), Duration.ofSeconds(10), "test",
        problems, new Problems(LoggerFactory.getLogger(HeartbeatWriterTest.class), "schema"), ledger);
  }

  @AfterEach
  void close() {
    counted.close();
  }

  private Resource<MultiClusterLease> object() {
    return admin.resources(MultiClusterLease.class).inNamespace(ns).withName(NAME);
  }

  private MultiClusterLease create(String holder) {
    MultiClusterLease m = new MultiClusterLease();
    m.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(NAME).build());
    m.setSpec(new MultiClusterLeaseSpec(holder, 15, MicroTimes.of(Instant.parse("2026-03-01T12:00:00Z"))));
    return admin.resource(m).create();
  }

  /** A controller's status write: the object's resourceVersion moves on, its spec does not. */
  private void statusWrittenBehindTheWatch() {
    EchoingStatusWriter.writeStatus(admin, object(), s -> s.setLeader("someone"));
  }

  /** Another writer of spec with the same holder (e.g. our own write whose answer was lost): renewTime moves on. */
  private void specWrittenBehindTheWatch() {
    MultiClusterLease o = object().get();
    o.getSpec().setRenewTime(MicroTimes.of(Instant.parse("2026-03-01T12:00:01Z")));
    admin.resource(o).update();
  }

  private Instant renewTime() {
    return MicroTimes.toInstant(object().get().getSpec().getRenewTime());
  }

  @Test
  void aTickOnAStateTheWatchVouchesForSendsOnlyItsWrite() {
    ledger.known = new WatchView.Stored(create(ME));
    ledger.next = Instant.parse("2026-03-01T12:00:02Z");

    writer.tick(counted);

    assertThat(requests).containsExactly("PATCH");
    assertThat(renewTime()).isEqualTo(ledger.next);
    assertThat(problems.current()).isEmpty();
  }

  @Test
  void aTickThatWritesNothingSendsNothingWhileTheWatchVouches() {
    ledger.known = new WatchView.Stored(create(ME));
    ledger.next = null;

    writer.tick(counted);
    writer.tick(counted);

    assertThat(requests).isEmpty();
  }

  @Test
  void aStatusWriteTheWatchHasNotDeliveredYetDoesNotRefuseTheHeartbeat() {
    ledger.known = new WatchView.Stored(create(ME));
    statusWrittenBehindTheWatch();
    ledger.next = Instant.parse("2026-03-01T12:00:02Z");

    writer.tick(counted);

    assertThat(requests).as("one write: status is no input of the local election").containsExactly("PATCH");
    assertThat(renewTime()).isEqualTo(ledger.next);
    assertThat(object().get().getStatus().getLeader()).as("the status write is kept").isEqualTo("someone");
  }

  @Test
  void aStaleSpecCostsOneRefusedWriteThenTheSameHeartbeatIsWrittenOnAFreshRead() {
    ledger.known = new WatchView.Stored(create(ME));
    specWrittenBehindTheWatch();
    ledger.next = Instant.parse("2026-03-01T12:00:02Z");

    writer.tick(counted);
    assertThat(requests).as("the write on the stale spec (its test fails), a read, the same heartbeat again")
        .containsExactly("PATCH", "GET", "PATCH");
    assertThat(renewTime()).isEqualTo(ledger.next);
    assertThat(problems.current()).as("a lost race is not a problem").isEmpty();

    requests.clear();
    ledger.known = new WatchView.Stored(ledger.observed);
    ledger.next = Instant.parse("2026-03-01T12:00:04Z");
    writer.tick(counted);
    assertThat(requests).as("back on the watch's state").containsExactly("PATCH");
  }

  @Test
  void aStaleStateThatIsNotOursAnyMoreIsLeftToTheNextTickWhichReadsFirst() {
    ledger.known = new WatchView.Stored(create(ME));
    MultiClusterLease taken = object().get();
    taken.getSpec().setHolderIdentity("other");
    admin.resource(taken).update();
    ledger.next = Instant.parse("2026-03-01T12:00:02Z");

    writer.tick(counted);
    assertThat(requests).containsExactly("PATCH", "GET");
    assertThat(object().get().getSpec().getHolderIdentity()).isEqualTo("other");

    requests.clear();
    ledger.next = null;
    writer.tick(counted);
    assertThat(requests).containsExactly("GET");
  }

  @Test
  void withoutAWatchThatVouchesEveryTickReadsFirst() {
    create(ME);
    ledger.known = null;
    ledger.next = null;

    writer.tick(counted);
    writer.tick(counted);

    assertThat(requests).containsExactly("GET", "GET");
  }

  @Test
  void aMissingObjectIsCreatedAndACreateThatLostReadsNext() {
    ledger.known = new WatchView.Stored(null);
    ledger.next = Instant.parse("2026-03-01T12:00:02Z");
    writer.tick(counted);
    assertThat(requests).containsExactly("POST");
    assertThat(object().get().getSpec().getHolderIdentity()).isEqualTo(ME);

    requests.clear();
    writer.tick(counted); // the watch still says "missing": the create loses with 409
    writer.tick(counted);
    assertThat(requests).containsExactly("POST", "GET", "PATCH");
  }

  @Test
  void aReleaseOnTheWatchsStateWritesOnceAndReReadsOnlyWhenSpecChanged() {
    ledger.known = new WatchView.Stored(create(ME));
    assertThat(writer.release(counted)).isTrue();
    assertThat(requests).containsExactly("PATCH");
    assertThat(object().get().getSpec().getHolderIdentity()).isEmpty();

    object().delete();
    requests.clear();
    ledger.known = new WatchView.Stored(create(ME));
    statusWrittenBehindTheWatch(); // the leader's own echo, landed after the watch's state: no conflict
    assertThat(writer.release(counted)).isTrue();
    assertThat(requests).containsExactly("PATCH");
    assertThat(object().get().getSpec().getHolderIdentity()).isEmpty();

    object().delete();
    requests.clear();
    ledger.known = new WatchView.Stored(create(ME));
    specWrittenBehindTheWatch();
    assertThat(writer.release(counted)).isTrue();
    assertThat(requests).containsExactly("PATCH", "GET", "PATCH");
    assertThat(object().get().getSpec().getHolderIdentity()).isEmpty();
  }

  @Test
  void aReleaseReadsBeforeItBelievesTheWatchThatSpecIsNotOurs() {
    create(ME);
    MultiClusterLease notOurs = object().get();
    notOurs.getSpec().setHolderIdentity("other");
    ledger.known = new WatchView.Stored(notOurs); // e.g. our write's answer was lost, but it landed

    assertThat(writer.release(counted)).isTrue();
    assertThat(requests).containsExactly("GET", "PATCH");
  }

  @Test
  void aRoleWithoutPatchFallsBackToUpdateWithOneWarning() {
    RealApiServer.grant(cluster, ns, "candidate", "get", "list", "watch", "create", "update");
    KubernetesClient candidate = cluster.clientAs(ns, "candidate");
    ledger.known = new WatchView.Stored(create(ME));
    try (LogCapture log = new LogCapture(MultiClusterLeaseLock.class)) {
      ledger.next = Instant.parse("2026-03-01T12:00:02Z");
      writer.tick(candidate);
      assertThat(renewTime()).isEqualTo(ledger.next);
      ledger.known = new WatchView.Stored(ledger.observed);
      ledger.next = Instant.parse("2026-03-01T12:00:04Z");
      writer.tick(candidate);
      assertThat(renewTime()).isEqualTo(ledger.next);
      assertThat(problems.current()).isEmpty();
      assertThat(log.lines(Level.WARN)).singleElement().satisfies(l -> assertThat(l)
          .contains("may not patch").contains("update").contains("\"patch\""));
    }
  }

  /** The lock's side, scripted: spec may always be written with {@link #next}, the watch holds {@link #known}. */
  private static final class ScriptedLedger implements HeartbeatWriter.Ledger {
    volatile WatchView.Stored known;
    volatile Instant next;
    volatile MultiClusterLease observed;

    @Override
    public void observe(MultiClusterLease obj) {
      observed = obj;
    }

    @Override
    public HeartbeatWriter.Heartbeat nextHeartbeat(MultiClusterLeaseSpec current, boolean served, boolean create) {
      return next == null ? null : new HeartbeatWriter.Heartbeat(next, "");
    }

    @Override
    public Instant forgetForRelease() {
      return Instant.parse("2026-03-01T12:01:00Z");
    }

    @Override
    public WatchView.Stored known() {
      return known;
    }
  }
}
