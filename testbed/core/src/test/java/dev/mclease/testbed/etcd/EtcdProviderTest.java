package dev.mclease.testbed.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.kube.KubeBinaries;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** etcd from the local binary: start, CAS, member failures, cleanup. */
class EtcdProviderTest {

  @BeforeAll
  static void needsEtcd() {
    assumeTrue(EtcdProvider.binary() != null, "no etcd binary: run ./mcl test (or apt-get install etcd-server)");
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static boolean createIfAbsent(KV kv, String key, String value) throws Exception {
    TxnResponse r = kv.txn().If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(bytes(key), bytes(value), PutOption.DEFAULT)).commit().get(5, TimeUnit.SECONDS);
    return r.isSucceeded();
  }

  @Test
  void singleMemberServesACompareAndSwapOnce() throws Exception {
    Path base;
    try (EtcdCluster etcd = EtcdProvider.start(1); Client client = Client.builder().endpoints(
        etcd.endpoints().toArray(String[]::new)).build()) {
      base = etcd.baseDir();
      assertThat(etcd.size()).isEqualTo(1);
      assertThat(etcd.endpoints().get(0)).startsWith("http://127.0.0.1:");
      assertThat(etcd.isRunning(0)).isTrue();
      assertThat(Files.exists(base.resolve("m0/etcd.log"))).isTrue();
      assertThat(createIfAbsent(client.getKVClient(), "/mclease/leases/ns/a", "one")).isTrue();
      assertThat(createIfAbsent(client.getKVClient(), "/mclease/leases/ns/a", "two")).isFalse();
    }
    assertThat(base).doesNotExist();
  }

  @Test
  void threeMembersSurviveOneAndStopServingWithoutQuorum() throws Exception {
    try (EtcdCluster etcd = EtcdProvider.start(3)) {
      assertThat(etcd.endpoints()).hasSize(3).doesNotHaveDuplicates();
      int leader = leaderIndex(etcd);

      etcd.killMember(leader);
      assertThat(etcd.isRunning(leader)).isFalse();
      try (Client client = clientFor(etcd)) {
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(
            () -> createIfAbsent(client.getKVClient(), "/after-kill", "x"));
      }

      int second = (leader + 1) % 3;
      etcd.stopMember(second);
      assertThat(etcd.isRunning(second)).isFalse();
      int survivor = 3 - leader - second;
      try (Client client = Client.builder().endpoints(etcd.endpoints().get(survivor)).build()) {
        assertThatThrownBy(() -> client.getKVClient().put(bytes("/no-quorum"), bytes("x")).get(2, TimeUnit.SECONDS))
            .as("a single member of three has no quorum").isNotNull();
      }
      assertThat(etcd.isHealthy(survivor)).isFalse();

      etcd.startMember(second);
      etcd.startMember(leader);
      etcd.awaitHealthy(Duration.ofSeconds(20));
      try (Client client = clientFor(etcd)) {
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(
            () -> createIfAbsent(client.getKVClient(), "/after-restart", "x"));
        assertThat(client.getKVClient().get(bytes("/after-kill")).get(5, TimeUnit.SECONDS).getKvs()).hasSize(1);
      }
    }
  }

  private static Client clientFor(EtcdCluster etcd) {
    return Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
  }

  private static int leaderIndex(EtcdCluster etcd) throws Exception {
    try (Client client = clientFor(etcd)) {
      for (int i = 0; i < etcd.size(); i++) {
        var status = client.getMaintenanceClient().statusMember(etcd.endpoints().get(i)).get(5, TimeUnit.SECONDS);
        if (status.getLeader() == status.getHeader().getMemberId()) {
          return i;
        }
      }
    }
    throw new AssertionError("no etcd leader among " + etcd.endpoints());
  }

  @Test
  void theEtcdBuiltBesideKubeApiServerIsPreferredAndServesWhatTheLockStoreUses() throws Exception {
    if (System.getenv("MCL_ETCD_BINARY") == null && KubeBinaries.etcd().isPresent()) {
      assertThat(EtcdProvider.binary()).isEqualTo(KubeBinaries.etcd().get().toString());
    }
    String version = EtcdProvider.version(EtcdProvider.binary());
    assertThat(version).startsWith("etcd Version: 3.");
    try (EtcdCluster etcd = EtcdProvider.start(1); Client client = clientFor(etcd)) {
      // A session as the controller keeps one: a lease renewed with keepAliveOnce, here for longer than its TTL.
      long lease = client.getLeaseClient().grant(2).get(5, TimeUnit.SECONDS).getID();
      await().pollInterval(Duration.ofMillis(500)).during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
          .until(() -> client.getLeaseClient().keepAliveOnce(lease).get(2, TimeUnit.SECONDS).getTTL() > 0);
      // The lock: a key created only if absent, bound to the lease; its create revision is the fencing token.
      KV kv = client.getKVClient();
      ByteSequence key = bytes("/mclease/leases/ns/lock");
      TxnResponse won = kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
          .Then(Op.put(key, bytes("east"), PutOption.builder().withLeaseId(lease).build()))
          .commit().get(5, TimeUnit.SECONDS);
      assertThat(won.isSucceeded()).isTrue();
      assertThat(createIfAbsent(kv, "/mclease/leases/ns/lock", "west")).isFalse();
      long token = kv.get(key).get(5, TimeUnit.SECONDS).getKvs().get(0).getCreateRevision();
      assertThat(token).isPositive();

      // Others watch the key and see it go when the holder's lease is revoked.
      List<WatchEvent.EventType> events = new CopyOnWriteArrayList<>();
      try (Watch.Watcher w = client.getWatchClient().watch(key,
          r -> r.getEvents().forEach(e -> events.add(e.getEventType())))) {
        client.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains(WatchEvent.EventType.DELETE));
      }
      assertThat(kv.get(key).get(5, TimeUnit.SECONDS).getKvs()).isEmpty();
    }
  }

  @Test
  void externalClusterCannotBeStopped() {
    EtcdCluster external = EtcdProvider.external(java.util.List.of("http://127.0.0.1:1"));
    assertThat(external.endpoints()).containsExactly("http://127.0.0.1:1");
    assertThatThrownBy(() -> external.stopMember(0)).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("MCL_ETCD_ENDPOINTS");
    external.close();
  }
}
