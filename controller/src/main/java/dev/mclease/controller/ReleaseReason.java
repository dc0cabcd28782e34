package dev.mclease.controller;

/**
 * Why a held acquisition no longer serves its candidate; the name is the {@code reason} label of
 * {@code mclease_releases_total} and ends the Normal {@code Released} event.
 */
enum ReleaseReason {
  /** The candidate wrote {@code spec.holderIdentity = ""}: it stopped counting itself leader before writing. */
  RELEASED("released"),
  /** No change of {@code spec.(holderIdentity, holderInstance, renewTime)} observed for {@code L}. */
  HEARTBEAT_EXPIRED("heartbeat-expired"),
  /** Another local identity heartbeats now. */
  HOLDER_CHANGED("holder-changed"),
  /** The same identity heartbeats with a new {@code holderInstance}: a restarted process, acquired afresh. */
  RESTARTED("restarted"),
  /** The spec can no longer be served. */
  INVALID_SPEC("invalid-spec"),
  /** The object was deleted. */
  DELETED("deleted"),
  /** The controller is shutting down. */
  SHUTDOWN("shutdown"),
  /** An operator asked this acquisition to step down ({@code kubectl mcl release}; {@link HandOver}). */
  OPERATOR_RELEASE("operator-release"),
  /** An operator prefers another cluster ({@code kubectl mcl move}; {@link HandOver}). */
  MOVED("moved");

  private final String label;

  ReleaseReason(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }

  /** Only the candidate's own release vouches that it no longer leads: every other reason waits (ReleaseRule). */
  boolean askedByCandidate() {
    return this == RELEASED;
  }

  /**
   * The reason, first match wins, for an acquisition that no longer serves the spec's candidate.
   *
   * @param invalid the spec cannot be served
   * @param holderEmpty {@code spec.holderIdentity} is empty
   * @param alive the holder's heartbeat changed within {@code L}
   * @param sameHolder {@code spec.holderIdentity} is the identity the key was acquired for
   * @param handOver why an operator wants the acquisition to step down ({@link HandOver}), or null
   */
  static ReleaseReason of(boolean deleted, boolean stopping, boolean invalid, boolean holderEmpty, boolean alive,
      boolean sameHolder, ReleaseReason handOver) {
    if (deleted) {
      return DELETED;
    }
    if (stopping) {
      return SHUTDOWN;
    }
    if (invalid) {
      return INVALID_SPEC;
    }
    if (holderEmpty) {
      return RELEASED;
    }
    if (!alive) {
      return HEARTBEAT_EXPIRED;
    }
    if (handOver != null) {
      return handOver;
    }
    return sameHolder ? RESTARTED : HOLDER_CHANGED;
  }

  @Override
  public String toString() {
    return label;
  }
}
