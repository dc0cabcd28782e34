package dev.mclease.controller.backend;

/** The global lock store could not answer; the message says what happened and what to check. */
public class BackendException extends Exception {

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
