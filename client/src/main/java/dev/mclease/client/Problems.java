package dev.mclease.client;

import java.util.Optional;
import org.slf4j.Logger;

/**
 * One WARN line per distinct problem, one INFO line when it clears: a candidate that cannot reach its API
 * server retries every retryPeriod and must not flood the log.
 */
final class Problems {

  private final Logger log;
  private final String subject;
  private String key;
  private String message;

  Problems(Logger log, String subject) {
    this.log = log;
    this.subject = subject;
  }

  /** Logs {@code message} at WARN unless the same problem ({@code key}) is already the current one. */
  synchronized void report(String key, String message) {
    if (!key.equals(this.key)) {
      log.warn("{}: {}", subject, message);
    }
    this.key = key;
    this.message = message;
  }

  /** The current problem is over. */
  synchronized void clear() {
    if (key != null) {
      log.info("{}: recovered ({} no longer happens)", subject, key);
    }
    key = null;
    message = null;
  }

  /**
   * The current problem is over if it was one of {@code verb} ({@code "get"} for a failed read): a tick that reads
   * fine but needs no write must not declare a failing write recovered.
   */
  synchronized void clearIfVerb(String verb) {
    if (key != null && key.startsWith(verb + ":")) {
      clear();
    }
  }

  synchronized Optional<String> current() {
    return Optional.ofNullable(message);
  }
}
