package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.Held;

/** The answer of one {@link LockStore#tryAcquire}: the store's conditional write, won or not. */
public sealed interface Attempt<S> {

  /** The conditional write took the key: acquisition {@code token}. */
  record Won<S>(long token) implements Attempt<S> {
  }

  /**
   * The key is held by {@code session} (a live session as far as the store can tell, possibly our own), so
   * nothing was written. Who the holder is decides what follows ({@link OwnAcquisitionRule}).
   */
  record Found<S>(S session, Held held) implements Attempt<S> {
  }

  /** The key changed between the read and the write (it was released, or freed meanwhile): read again. */
  record Changed<S>() implements Attempt<S> {
  }
}
