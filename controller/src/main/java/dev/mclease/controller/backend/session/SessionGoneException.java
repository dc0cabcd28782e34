package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.BackendException;

/**
 * A request tied to a session failed because the store no longer has that session (etcd: "lease not found"). The
 * session's keys are free; {@link SessionAcquirer} drops the session and tries once more with a new one.
 */
public class SessionGoneException extends BackendException {

  public SessionGoneException(String message) {
    super(message);
  }
}
