package dev.mclease.controller.backend;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * The global lock store behind the election controllers: a tiny, session-based election API in the spirit of
 * etcd's {@code concurrency.Session} + {@code Election}.
 *
 * <p><b>Session.</b> An implementation holds one session (etcd: one lease) per controller process and renews it
 * on its own. Every key it acquires is tied to that session, so all of them live exactly as long as the
 * session does. {@link #heldUntilNanos()} is the monotonic instant until which every key this session holds is
 * <em>certainly</em> still held (the send instant of the last successful renewal plus the TTL); the controller
 * confirms heartbeats only while that instant is far enough ahead.
 *
 * <p><b>Keys</b> are {@code <namespace>/<name>}; an implementation adds its own prefix. <b>Tokens</b> grow
 * strictly with every acquisition of a key (etcd, PostgreSQL, ZooKeeper, DynamoDB: of any key, e.g. etcd's create
 * revision; the hub Lease: per key) and guard {@link #release}, which only the holder's session can do.
 *
 * <p>Every implementation must pass {@code GlobalLockBackendConformance} (controller test sources) against its real
 * store; docs/backends.md says what each store gives.
 *
 * <p>All methods may block for at most the implementation's request timeout and are safe to call from any
 * thread. Listeners run on a thread of the implementation: they must return quickly.
 */
public interface GlobalLockBackend extends AutoCloseable {

  /**
   * Takes {@code key} for {@code value} if it is free. Never overwrites an acquisition it has answered
   * {@link AcquireResult.Granted} for: a key held by anyone (including such an acquisition of this session)
   * answers {@link AcquireResult.HeldBy}. A key that this session holds without ever having said so (an
   * earlier request timed out here but the store applied it later) is adopted when it is for the same holder
   * and cluster, else replaced by a new acquisition: never left held by a live session that nobody knows.
   *
   * @throws MalformedValueException the key is held but its value cannot be read as a {@link LockValue}
   * @throws BackendException the store could not be reached or the session could not be (re)established
   */
  AcquireResult acquire(String key, LockValue value) throws BackendException;

  /** Deletes {@code key} if, and only if, it is still the acquisition {@code token}; otherwise does nothing. */
  void release(String key, long token) throws BackendException;

  /** Who holds {@code key} now, if anyone. */
  Optional<Held> current(String key) throws BackendException;

  /**
   * Tells {@code listener} promptly when {@code key} is acquired by anyone or released/expired; closing the
   * result stops the notifications. After an interruption of the store's watch stream a
   * {@link LockEvent.Type#RESYNC} event says that events may have been missed.
   */
  AutoCloseable watch(String key, Consumer<LockEvent> listener);

  /**
   * Whether {@link #watch} reports every change of a watched key that follows any answer of {@link #acquire} or
   * {@link #current} (until a {@link LockEvent.Type#RESYNC}): true for a push watch that resumes from a revision
   * (etcd). False, the default, for a watch that learns by reading the key (a poll, a notification, a znode watch):
   * it reports what two reads differ in, so an acquisition that began and ended between two reads is never reported,
   * and only a holder that the watch itself reported may be waited on (docs/controller.md, "Standbys").
   */
  default boolean watchReportsEveryChange() {
    return false;
  }

  /**
   * Monotonic instant (same clock as the {@code nanoTime} supplier the backend was built with) until which every
   * key this session holds is certainly still held; {@link Long#MIN_VALUE} when there is no live session.
   */
  long heldUntilNanos();

  /** Whether the last renewal of the session (or the last request) reached the store. */
  BackendHealth health();

  /**
   * Runs {@code listener} whenever the session changes state: lost, re-established, renewals started failing or
   * succeeding again. Not called for every routine renewal.
   */
  AutoCloseable onSessionChange(Runnable listener);

  /** Revokes the session now: every key it holds is released at once (graceful shutdown). */
  void releaseAll() throws BackendException;

  /** Stops renewing and watching without releasing anything: held keys expire after the TTL. */
  @Override
  void close();
}
