package dev.mclease.controller;

import java.time.Instant;
import java.util.Objects;

/** What this controller holds: the global lock for one lock instance ({@code holderInstance}) of a candidate. */
record Acquisition(String holder, String instance, long token, Instant acquiredAt) {

  /** Whether this acquisition serves exactly that candidate process; a restart under the same name does not. */
  boolean serves(String candidate, String candidateInstance) {
    return holder.equals(candidate) && Objects.equals(instance, candidateInstance);
  }
}
