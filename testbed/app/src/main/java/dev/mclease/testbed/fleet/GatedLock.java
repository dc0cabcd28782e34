package dev.mclease.testbed.fleet;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;

/**
 * Puts a switch in front of a candidate's {@link Lock} so the testbed can freeze or kill the candidate's
 * election thread without touching fabric8's internals. A paused candidate's elector blocks at its next lock
 * call (as if the process were stopped), a killed one gets errors forever (as if it were gone).
 */
final class GatedLock implements Lock {

  private final Lock delegate;
  private final Object monitor = new Object();
  private boolean paused;
  private volatile boolean killed;

  GatedLock(Lock delegate) {
    this.delegate = delegate;
  }

  void pause() {
    synchronized (monitor) {
      paused = true;
    }
  }

  void resume() {
    synchronized (monitor) {
      paused = false;
      monitor.notifyAll();
    }
  }

  void kill() {
    killed = true;
    resume();
  }

  boolean isPaused() {
    synchronized (monitor) {
      return paused;
    }
  }

  /** Blocks while paused (not while killed): the rest of a frozen process waits here. */
  void awaitResumed() throws InterruptedException {
    synchronized (monitor) {
      while (paused) {
        monitor.wait();
      }
    }
  }

  private void pass() {
    synchronized (monitor) {
      while (paused) {
        try {
          monitor.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KubernetesClientException("interrupted while paused");
        }
      }
    }
    if (killed) {
      // 409: fabric8 treats it as "leadership already lost" and stays quiet, as a dead process would
      throw new KubernetesClientException("candidate was killed by the testbed", 409, null);
    }
  }

  @Override
  public LeaderElectionRecord get(KubernetesClient client) {
    pass();
    return delegate.get(client);
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord record) {
    pass();
    delegate.create(client, record);
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord record) {
    pass();
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
