package dev.mclease.client;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link MultiClusterLeaseLock} gives leadership up: the release (docs/protocol.md, candidate rule 4: stop
 * counting itself leader before writing {@code spec.holderIdentity = ""}) and the close (rule 5: final from its first
 * moment, then a best-effort release, then the watch and the io lane stop). It exists so that the order of those
 * steps, which is what makes them safe, reads in one place; the write itself is {@link HeartbeatWriter#release}.
 */
final class StepDown {

  private static final Logger LOG = LoggerFactory.getLogger(MultiClusterLeaseLock.class);

  /** The lock: its monitor guards the state; its {@code problem()} says why a release failed. */
  private final MultiClusterLeaseLock lock;
  private final LeaseJudgement state;
  private final LockIo lockIo;
  private final String subject;
  private final Duration leaseDuration;
  private final Duration renewDeadline;

  StepDown(MultiClusterLeaseLock lock, LockSettings s, LeaseJudgement state, LockIo lockIo) {
    this.lock = lock;
    this.state = state;
    this.lockIo = lockIo;
    this.subject = s.subject();
    this.leaseDuration = s.leaseDuration();
    this.renewDeadline = s.renewDeadline();
  }

  /** {@link MultiClusterLeaseLock#release}. */
  boolean release(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    lockIo.startUsing(client);
    return release(client, true);
  }

  /** {@link MultiClusterLeaseLock#close}. */
  void close() {
    KubernetesClient c;
    synchronized (lock) {
      if (lockIo.isClosed() || state.judge.isClosed()) {
        return;
      }
      // final from here on: no confirmation, early or late, makes this instance leader again
      state.judge.close();
      lock.notifyAll();
      c = state.holdsSpec() ? lockIo.client() : null;
    }
    state.judgementMayHaveChanged();
    if (c != null) {
      try {
        release(c, false);
      } catch (RuntimeException e) {
        LOG.warn("{}: could not release on close ({}); the other candidates take over after leaseDuration {}",
            subject, e.getMessage(), leaseDuration);
      }
    }
    lockIo.close();
  }

  private boolean release(KubernetesClient client, boolean throwOnFailure) {
    synchronized (lock) {
      // stop counting ourselves leader before writing; forget our heartbeats so no late echo confirms us
      state.judge.forget();
      lock.notifyAll(); // a tick waiting for a confirmation stops waiting: none can come now
    }
    state.judgementMayHaveChanged();
    Boolean released = lockIo.release(client);
    if (released == null) {
      if (throwOnFailure) {
        throw new LockException(subject + ": could not write spec.holderIdentity=\"\" within renewDeadline "
            + renewDeadline + (lock.problem().map(p -> ": " + p).orElse("")));
      }
      return false;
    }
    return released;
  }
}
