package dev.mclease.controller.backend;

/**
 * Something that happened to a watched key.
 *
 * @param key the key, without the backend's prefix ({@code <namespace>/<name>})
 * @param type what happened
 * @param token the acquisition concerned: the new one for {@link Type#ACQUIRED}, the deleted one for
 *     {@link Type#RELEASED} (0 when the store cannot tell), 0 for {@link Type#RESYNC}
 * @param holder the new holder for {@link Type#ACQUIRED}, else null (also null when the value is malformed)
 */
public record LockEvent(String key, Type type, long token, LockValue holder) {

  public enum Type {
    /** Someone (maybe this session) acquired the key. */
    ACQUIRED,
    /** The key was released or expired: it is free now. */
    RELEASED,
    /** The watch was interrupted and events may be missing: ask {@link GlobalLockBackend#current} again. */
    RESYNC
  }

  public static LockEvent acquired(String key, long token, LockValue holder) {
    return new LockEvent(key, Type.ACQUIRED, token, holder);
  }

  public static LockEvent released(String key, long token) {
    return new LockEvent(key, Type.RELEASED, token, null);
  }

  public static LockEvent resync(String key) {
    return new LockEvent(key, Type.RESYNC, 0, null);
  }
}
