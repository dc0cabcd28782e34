package dev.mclease.controller.backend;

/**
 * Whether the backend answered its last renewal.
 *
 * @param reachable the last renewal (or request) reached the store and the session is alive
 * @param detail what happened, for humans (e.g. the last error), never null
 */
public record BackendHealth(boolean reachable, String detail) {

  public static BackendHealth ok() {
    return new BackendHealth(true, "ok");
  }

  public static BackendHealth unreachable(String detail) {
    return new BackendHealth(false, detail);
  }
}
