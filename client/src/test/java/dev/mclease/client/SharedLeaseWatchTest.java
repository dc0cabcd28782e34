package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mclease.crd.MultiClusterLease;
import dev.mclease.testbed.cluster.ApiServerCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many locks, one informer: {@link SharedLeaseWatch} on a real kube-apiserver (the shared cluster {@code east}, a
 * fresh namespace per test), with {@link EchoingStatusWriter} as each lease's controller. The locks are ticked by
 * hand once, so that only the watch can tell them about their echoes.
 */
class SharedLeaseWatchTest {

  private static final Duration L = Duration.ofSeconds(2);
  private static final Duration D = Duration.ofMillis(1500);
  private static final Duration R = Duration.ofMillis(200);

  private static ApiServerCluster cluster;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private String ns;
  private KubernetesClient client;

  @BeforeAll
  static void startCluster() {
    cluster = RealApiServer.shared("east");
  }

  @BeforeEach
  void namespace() {
    ns = RealApiServer.freshNamespace(cluster);
    client = cluster.client();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T later(T c) {
    closeables.add(c);
    return c;
  }

  private MultiClusterLeaseLock lock(SharedLeaseWatch watch, String name) {
    return later(MultiClusterLeaseLock.builder(ns, name, name + "-candidate").leaseDuration(L).renewDeadline(D)
        .retryPeriod(R).confirmationWait(Duration.ZERO).sharedWatch(watch).build());
  }

  @Test
  void eachLockIsConfirmedThroughTheSharedWatchAloneWithoutATickOfItsOwn() {
    SharedLeaseWatch watch = later(SharedLeaseWatch.start(client, ns));
    List<MultiClusterLeaseLock> locks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      later(new EchoingStatusWriter(client, ns, "lease-" + i).start());
      MultiClusterLeaseLock lock = lock(watch, "lease-" + i);
      locks.add(lock);
      // one tick: creates the object with a heartbeat; its echo can only arrive through the watch
      lock.get(client);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(locks).allMatch(MultiClusterLeaseLock::isLeader));
    // each lock holds its own lease's token, not a neighbour's
    for (MultiClusterLeaseLock lock : locks) {
      assertThat(lock.globalLeader()).contains(lock.identity());
    }
  }

  @Test
  void aDeletionReachesEveryLockOfTheLeaseThroughTheWatch() {
    SharedLeaseWatch watch = later(SharedLeaseWatch.start(client, ns));
    EchoingStatusWriter controller = later(new EchoingStatusWriter(client, ns, "gone").start());
    MultiClusterLeaseLock first = lock(watch, "gone");
    first.get(client);
    await().atMost(Duration.ofSeconds(10)).until(first::isLeader);
    // a second candidate of the same lease in this process: registered on the same watch, it follows
    MultiClusterLeaseLock second = later(MultiClusterLeaseLock.builder(ns, "gone", "other").leaseDuration(L)
        .renewDeadline(D).retryPeriod(R).confirmationWait(Duration.ZERO).sharedWatch(watch).build());
    second.get(client);
    assertThat(second.globalLeader()).contains("gone-candidate");
    assertThat(second.isLeader()).isFalse();
    AtomicInteger changes = new AtomicInteger();
    second.addListener(changes::incrementAndGet);

    controller.stopEchoing();
    client.resources(MultiClusterLease.class).inNamespace(ns).withName("gone").delete();
    // neither lock ticks again: only the watch can tell them that the object is gone
    await().atMost(Duration.ofSeconds(5)).until(() -> first.globalLeader().isEmpty()
        && second.globalLeader().isEmpty());
    assertThat(changes.get()).isPositive();
  }

  @Test
  void aWatchOfAnotherNamespaceIsRefusedWithWhatToDo() {
    SharedLeaseWatch watch = later(SharedLeaseWatch.start(client, ns));
    assertThatThrownBy(() -> MultiClusterLeaseLock.builder("elsewhere", "x", "y").sharedWatch(watch).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("namespace " + ns)
        .hasMessageContaining("start a SharedLeaseWatch for elsewhere");
  }
}
