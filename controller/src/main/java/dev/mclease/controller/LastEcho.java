package dev.mclease.controller;

import io.fabric8.kubernetes.api.model.MicroTime;

/**
 * The newest heartbeat this controller echoed for the acquisition it holds: {@code T}, the monotonic instant this
 * process first saw {@code T} ({@code seen(T)}; the candidate's {@code t0(T)} precedes it), and the window {@code W}
 * granted with it. Fixed once per {@code T}: re-rendering status for the same {@code T} moves neither {@code W} nor
 * the release wait ({@link ReleaseRule}) that must match what the candidate was told.
 */
record LastEcho(MicroTime renewTime, long seenNanos, long windowNanos) {

  /** {@code W} in whole milliseconds, rounded down so that the candidate is never told more than was granted. */
  long windowMillis() {
    return windowNanos / 1_000_000L;
  }
}
