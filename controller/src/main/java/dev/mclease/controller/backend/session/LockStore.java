package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.LockValue;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A lock store as {@link SessionLockBackend} uses it: sessions ({@link SessionStore}) plus the store's conditional
 * write on a key, the token-guarded delete and a read. Every method is one or a few requests to the store and no
 * policy: retries, adoption of late writes, grants and lapses live in {@link SessionAcquirer} and
 * {@link SessionKeeper}.
 *
 * @param <S> the store's session handle
 */
public interface LockStore<S> extends SessionStore<S> {

  /**
   * Takes {@code key} for {@code session} if it is free, or if its holder's session is dead as the store judges it
   * (a contender's own monotonic clock for DynamoDB and the hub Lease), in one conditional write. The token of a
   * won write is larger than every earlier acquisition's of the key (docs/safety.md, invariant 7). A write lost to
   * another session's acquisition answers {@link Attempt.Found} that acquisition, not an error.
   *
   * @throws SessionGoneException the store no longer has {@code session}
   */
  Attempt<S> tryAcquire(String key, LockValue value, S session) throws BackendException;

  /** Deletes {@code key} if it still is {@code session}'s acquisition {@code token}; otherwise does nothing. */
  void delete(String key, long token, S session) throws BackendException;

  /**
   * The key's live acquisition, if any: held by {@code own} (may be null) or by a session the store counts alive.
   */
  Optional<Stored> read(String key, S own) throws BackendException;

  /**
   * Starts telling {@code listeners} about changes of watched keys, in whatever way the store has: a push watch
   * (etcd) dispatches events itself; a store that learns by reading hands watched keys to {@code poll}, which reads
   * them ({@link #read}) and turns the difference into events. {@link #pollsEveryInterval()} adds a poll of every
   * watched key every K.
   */
  default void startWatching(BackendListeners listeners, Consumer<String> poll) {
    // nothing pushes: every watched key is polled every K
  }

  /**
   * Whether every watched key must be read every K (the store cannot tell about expiry by itself); true unless the
   * store has a watch that sees every release and expiry.
   */
  default boolean pollsEveryInterval() {
    return true;
  }

  /** {@link GlobalLockBackend#watchReportsEveryChange()} of this store's watch: false unless it pushes every change. */
  default boolean watchReportsEveryChange() {
    return false;
  }

  /** Stops the store's own threads and connections; ends nothing. */
  void close();
}
