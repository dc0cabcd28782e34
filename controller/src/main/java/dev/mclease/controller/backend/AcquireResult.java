package dev.mclease.controller.backend;

/** The answer of {@link GlobalLockBackend#acquire}. */
public sealed interface AcquireResult {

  /** This session now holds the key; {@code token} is larger than any earlier acquisition's. */
  record Granted(long token) implements AcquireResult {
  }

  /** Someone holds the key: {@code holder} since acquisition {@code token}. */
  record HeldBy(LockValue holder, long token) implements AcquireResult {
  }
}
