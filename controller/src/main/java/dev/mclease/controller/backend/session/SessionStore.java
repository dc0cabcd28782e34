package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.BackendException;

/**
 * The session half of a lock store: what {@link SessionKeeper} needs to keep one session alive and to end it. An
 * implementation only talks to its store; when to open, renew, lapse and end is the keeper's business.
 *
 * @param <S> the store's handle of a session (an etcd lease id, a session row's id, …); compared with
 *     {@link Object#equals}
 */
public interface SessionStore<S> {

  /** The store's name for logs and messages, e.g. {@code "etcd"}. */
  String storeName();

  /**
   * Opens a new session. The keeper takes the instant just before the call as the session's start, so the store
   * must start the session's timer no earlier than it receives this request.
   */
  Opened<S> open() throws BackendException;

  /**
   * Renews {@code session} once, in one request; the keeper takes the instant just before the call as its send
   * instant.
   *
   * @throws BackendException the store did not answer (the session may or may not have been renewed)
   */
  Renewal renew(S session) throws BackendException;

  /** Ends {@code session} in the store, freeing every key it holds at once; a session already gone is no error. */
  void end(S session) throws BackendException;

  /**
   * A session just opened.
   *
   * @param ttlNanos how long the store keeps it from the moment it received the open request (etcd may grant less
   *     than asked)
   * @param description for the log line, e.g. {@code "lease 7f3a, TTL 10s"}
   */
  record Opened<S>(S session, long ttlNanos, String description) {
  }
}
