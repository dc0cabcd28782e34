package dev.mclease.controller.backend.session;

import dev.mclease.controller.backend.BackendException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Expiry of another session judged by a contender on <em>its own</em> monotonic clock, for stores without a
 * server-side TTL (DynamoDB, the hub Lease): a session is dead once this process has seen its record's version
 * unchanged for G since it first saw that version. The contender then marks it dead with a write conditioned on that
 * very version, so a renewal that raced in makes the mark fail, and a marked session can never renew again (its owner's
 * next conditional renewal fails and it declares the session gone). No timestamp is ever compared across machines.
 *
 * <p>Why G is enough (docs/safety.md, invariants 0 and 6): the owner's heldUntil is the send instant of its last
 * answered renewal plus G. That renewal was applied before this process first read its version, so by the time G has
 * passed here, more than G has passed since its send instant — under the premise that monotonic clocks run at rates
 * within the margin — and the owner has given its keys up.
 */
public final class ContenderExpiry {

  /** A session's record in the store. */
  public interface Records {
    /** The record of {@code session}: its version, or gone when it is missing or marked dead. */
    Observed read(String session) throws BackendException;

    /** Marks {@code session} dead if its version is still {@code version}; false when it changed meanwhile. */
    boolean markDead(String session, String version) throws BackendException;
  }

  /** What a read of a session record found. */
  public record Observed(boolean gone, String version) {

    public static Observed goneNow() {
      return new Observed(true, "");
    }

    public static Observed at(String version) {
      return new Observed(false, version);
    }
  }

  private record Seen(String version, long since) {
  }

  private final Records records;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final Logger log;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  public ContenderExpiry(Records records, Duration ttl, LongSupplier nanoTime, Logger log) {
    this.records = records;
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
    this.log = log;
  }

  /** Whether {@code session} is dead: gone, or seen unchanged for G here (then marked dead in the store). */
  public boolean dead(String session) throws BackendException {
    Observed o = records.read(session);
    if (o.gone()) {
      seen.remove(session);
      return true;
    }
    if (!stoodStill(session, o.version())) {
      return false;
    }
    if (!records.markDead(session, o.version())) {
      return false; // it renewed meanwhile
    }
    log.info("session {} unchanged for {} ms as seen here: marked dead", session, ttlNanos / 1_000_000);
    seen.remove(session);
    return true;
  }

  /**
   * The key as it counts for a reader of session {@code own} (may be null): held by {@code holder} unless that is
   * another session and dead. A value nobody can read counts as held whatever its session (docs/safety.md,
   * invariant 7): only whoever wrote it can clear it.
   */
  public Optional<Stored> counted(String holder, String own, Stored stored) throws BackendException {
    if (holder.isEmpty()) {
      return Optional.empty();
    }
    boolean free = stored.valueOrNull() != null && !holder.equals(own) && dead(holder);
    return free ? Optional.empty() : Optional.of(stored);
  }

  /** The pure rule: whether {@code version} of {@code session} has been seen unchanged for at least G. */
  boolean stoodStill(String session, String version) {
    long now = nanoTime.getAsLong();
    Seen s = seen.get(session);
    if (s == null || !s.version().equals(version)) {
      seen.put(session, new Seen(version, now));
      return false;
    }
    return now - s.since() >= ttlNanos;
  }
}
