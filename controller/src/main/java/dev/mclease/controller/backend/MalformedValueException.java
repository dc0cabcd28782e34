package dev.mclease.controller.backend;

/**
 * A key holds something that is not a {@link LockValue}. The key counts as held (never as free) until whoever
 * wrote it removes it; the controller reports it and keeps serving every other key.
 */
public class MalformedValueException extends BackendException {

  private final String key;
  private final String rawValue;
  private final long token;

  public MalformedValueException(String key, String rawValue, long token, Throwable cause) {
    super("backend key " + key + " (token " + token + ") holds a malformed value " + abbreviate(rawValue)
        + ": expected JSON {\"holder\",\"cluster\",\"acquiredAt\"}; it counts as held until it is deleted"
        + " (etcd: etcdctl del <prefix>/" + key + ")", cause);
    this.key = key;
    this.rawValue = rawValue;
    this.token = token;
  }

  public String key() {
    return key;
  }

  public String rawValue() {
    return rawValue;
  }

  /** The acquisition (etcd create revision) of the malformed value. */
  public long token() {
    return token;
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "'";
  }
}
