package dev.mclease.client;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.util.concurrent.CountDownLatch;

/**
 * A {@link Lock} that passes every call on, except that once {@link #freezeAtNextGet()} is armed the elector thread
 * stops at the entry of its next {@code get()} until {@link #thaw()}: a process frozen inside a tick (SIGSTOP, a long
 * GC pause), with fabric8's renew deadline check already behind it.
 */
final class FreezableLock implements Lock {

  private final Lock delegate;
  private volatile CountDownLatch gate;
  private final CountDownLatch frozen = new CountDownLatch(1);

  FreezableLock(Lock delegate) {
    this.delegate = delegate;
  }

  void freezeAtNextGet() {
    gate = new CountDownLatch(1);
  }

  /** Waits until the elector thread has stopped in {@code get()}. */
  void awaitFrozen() throws InterruptedException {
    frozen.await();
  }

  void thaw() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  @Override
  public LeaderElectionRecord get(KubernetesClient client) {
    CountDownLatch g = gate;
    if (g != null) {
      frozen.countDown();
      try {
        g.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return delegate.get(client);
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord record) {
    delegate.create(client, record);
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord record) {
    delegate.update(client, record);
  }

  @Override
  public String identity() {
    return delegate.identity();
  }

  @Override
  public String describe() {
    return delegate.describe();
  }
}
