package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;

/**
 * A key as a store holds it: the acquisition's token and its value as written, not yet parsed.
 */
public record Stored(long token, String rawValue) {

  /**
   * The held value.
   *
   * @throws MalformedValueException it is not a {@link LockValue}: the key counts as held until it is deleted
   */
  public Held held(String key) throws MalformedValueException {
    try {
      return new Held(LockValue.fromJson(rawValue), token);
    } catch (IllegalArgumentException e) {
      throw new MalformedValueException(key, rawValue, token, e);
    }
  }

  /** The held value, or null when it cannot be read (for watch events, which never fail). */
  public LockValue valueOrNull() {
    return LockValue.parseOrNull(rawValue);
  }
}
