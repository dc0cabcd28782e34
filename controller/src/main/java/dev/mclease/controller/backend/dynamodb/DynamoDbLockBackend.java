package dev.mclease.controller.backend.dynamodb;

import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.HeldUntil;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.MalformedValueException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughput;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * {@link GlobalLockBackend} on Amazon DynamoDB (AWS SDK v2), one table with partition key {@code pk} (string).
 *
 * <ul>
 *   <li><b>Session</b> = item {@code session#<id>} {@code {version, dead}}; every K the holder bumps {@code version}
 *       with {@code UpdateItem … ConditionExpression dead = false}. {@link #heldUntilNanos()} = monotonic send instant
 *       of the last answered bump + G. A failed condition means a contender declared the session dead: lost.</li>
 *   <li><b>Expiry</b> is judged by a contender on <em>its own</em> monotonic clock: once it has seen the holder's
 *       session {@code version} unchanged for G, it marks the session dead with {@code UpdateItem SET dead = true}
 *       conditioned on that very version (a bump that raced in makes it fail). No clock is compared across
 *       machines.</li>
 *   <li><b>Lock</b> = item {@code lock#<ns>/<name>} {@code {session, value, token}}; released = {@code session ""}
 *       (the item stays, so its token and last value stay). Acquire = {@code PutItem} conditioned on exactly the
 *       state read (absent, or the same session and token, and a smaller token), after the holder's session was found
 *       dead or the key free. Tokens come from the atomic counter item {@code counter#tokens} ({@code UpdateItem
 *       ADD}). A put that fails because another session acquired in between answers {@code HeldBy} that
 *       acquisition, as etcd's transaction would.</li>
 *   <li><b>Watch</b> = a poll of every watched key every K. All reads are strongly consistent.</li>
 * </ul>
 */
public final class DynamoDbLockBackend implements GlobalLockBackend {

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbLockBackend.class);
  private static final String PK = "pk";
  private static final String COUNTER = "counter#tokens";

  private final DynamoDbClient db;
  private final String table;
  private final Duration ttl;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService timer;
  private final BackendListeners listeners = new BackendListeners(LOG);
  private final Map<String, Long> granted = new ConcurrentHashMap<>();
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  /** Other sessions: version seen and the monotonic instant it was first seen. */
  private final Map<String, long[]> observed = new ConcurrentHashMap<>();
  private final Object sessionLock = new Object();

  private volatile String sessionId;
  private volatile String staleSession;
  private final HeldUntil heldUntil;
  private volatile BackendHealth health = BackendHealth.unreachable("no session yet");
  private volatile boolean closed;
  private volatile boolean suspended;
  private volatile boolean tableReady;
  private final boolean createTable;

  private DynamoDbLockBackend(DynamoDbClient db, String table, boolean createTable, Duration ttl,
      LongSupplier nanoTime) {
    this.db = db;
    this.table = table;
    this.createTable = createTable;
    this.ttl = ttl;
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
    this.heldUntil = new HeldUntil(nanoTime);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mclease-dynamodb");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts renewing (the session item is written on the first tick) and polling watched keys every
   * {@code renewInterval}.
   *
   * @param db a client with the request timeout set and retries off (the backend retries by itself)
   * @param createTable create {@code table} (partition key {@code pk}) when it is missing
   */
  public static DynamoDbLockBackend start(DynamoDbClient db, String table, boolean createTable, Duration ttl,
      Duration renewInterval, LongSupplier nanoTime) {
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("renew interval " + renewInterval + " must be > 0 and < TTL " + ttl);
    }
    DynamoDbLockBackend b = new DynamoDbLockBackend(db, table, createTable, ttl, nanoTime);
    long k = renewInterval.toNanos();
    b.timer.scheduleWithFixedDelay(b::renewSafely, 0, k, TimeUnit.NANOSECONDS);
    b.timer.scheduleWithFixedDelay(b::pollAll, k, k, TimeUnit.NANOSECONDS);
    return b;
  }

  // ---------------------------------------------------------------------------------------------- the SPI

  @Override
  public AcquireResult acquire(String key, LockValue value) throws BackendException {
    synchronized (keyLocks.computeIfAbsent(key, k -> new Object())) {
      return acquireLocked(key, value);
    }
  }

  private AcquireResult acquireLocked(String key, LockValue value) throws BackendException {
    suspended = false;
    String session = ensureSession();
    for (int attempt = 0; attempt < 4; attempt++) {
      Map<String, AttributeValue> item = get("lock#" + key);
      String holder = item == null ? "" : s(item, "session");
      long oldToken = item == null ? 0 : n(item, "token");
      if (!holder.isEmpty()) {
        Held held = parse(key, item);
        Long known = granted.get(key);
        if (holder.equals(session)) {
          if (known != null && known == held.token()) {
            return new AcquireResult.HeldBy(held.value(), held.token());
          }
          if (held.value().holder().equals(value.holder()) && held.value().cluster().equals(value.cluster())) {
            granted.put(key, held.token());
            return new AcquireResult.Granted(held.token());
          }
        } else if (!sessionDead(holder)) {
          return new AcquireResult.HeldBy(held.value(), held.token());
        }
      }
      long token = nextToken();
      Map<String, AttributeValue> put = new HashMap<>();
      put.put(PK, str("lock#" + key));
      put.put("session", str(session));
      put.put("value", str(value.toJson()));
      put.put("token", num(token));
      try {
        if (item == null) {
          call("acquire " + key, () -> db.putItem(r -> r.tableName(table).item(put)
              .conditionExpression("attribute_not_exists(pk)")));
        } else {
          call("acquire " + key, () -> db.putItem(r -> r.tableName(table).item(put)
              .conditionExpression("#s = :s AND #t = :t AND #t < :new")
              .expressionAttributeNames(Map.of("#s", "session", "#t", "token"))
              .expressionAttributeValues(Map.of(":s", str(holder), ":t", num(oldToken), ":new", num(token)))));
        }
        granted.put(key, token);
        return new AcquireResult.Granted(token);
      } catch (ConditionalCheckFailedException e) {
        Optional<AcquireResult> lost = lostTo(key, oldToken, session);
        if (lost.isPresent()) {
          return lost.get();
        }
        // the holder released (same token) since we read it: read again
      }
    }
    throw new BackendException("DynamoDB item lock#" + key + " kept changing; will retry");
  }

  /**
   * After a failed conditional put: if another session acquired the key after our read (a larger token), that
   * acquisition is the answer, even when it has been released again since — it held the key during this call, as
   * etcd's {@code Else(get)} would have said. Contention is not an error. Empty when no acquisition came between
   * (the holder only released: read again) or when the winner cannot be named (a release by a version of this
   * backend that cleared the value).
   */
  private Optional<AcquireResult> lostTo(String key, long readToken, String session) throws BackendException {
    Map<String, AttributeValue> item = get("lock#" + key);
    if (item == null || n(item, "token") <= readToken || s(item, "session").equals(session)
        || s(item, "value").isEmpty()) {
      return Optional.empty();
    }
    Held winner = parse(key, item);
    return Optional.of(new AcquireResult.HeldBy(winner.value(), winner.token()));
  }

  @Override
  public void release(String key, long token) throws BackendException {
    Long mine = granted.get(key);
    String session = sessionId;
    if (mine == null || mine != token || session == null) {
      return;
    }
    try {
      call("release " + key, () -> db.updateItem(r -> r.tableName(table).key(Map.of(PK, str("lock#" + key)))
          .updateExpression("SET #s = :empty") // the value stays: a racing acquirer names who it lost to
          .conditionExpression("#s = :me AND #t = :t")
          .expressionAttributeNames(Map.of("#s", "session", "#t", "token"))
          .expressionAttributeValues(Map.of(":empty", str(""), ":me", str(session), ":t", num(token)))));
    } catch (ConditionalCheckFailedException e) {
      // not ours any more
    }
    granted.remove(key, token);
  }

  @Override
  public Optional<Held> current(String key) throws BackendException {
    Map<String, AttributeValue> item = get("lock#" + key);
    if (item == null || s(item, "session").isEmpty()) {
      return Optional.empty();
    }
    Held held = parse(key, item);
    String s = s(item, "session");
    if (!s.equals(sessionId) && sessionDead(s)) {
      return Optional.empty();
    }
    return Optional.of(held);
  }

  @Override
  public AutoCloseable watch(String key, Consumer<LockEvent> listener) {
    return listeners.watch(key, listener);
  }

  @Override
  public long heldUntilNanos() {
    return heldUntil.nanos();
  }

  @Override
  public BackendHealth health() {
    return health;
  }

  @Override
  public AutoCloseable onSessionChange(Runnable listener) {
    return listeners.onSessionChange(listener);
  }

  @Override
  public void releaseAll() throws BackendException {
    String s;
    synchronized (sessionLock) {
      s = sessionId;
      suspended = true;
      sessionId = null;
      heldUntil.clear();
      granted.clear();
    }
    if (s != null) {
      markDead(s); // every key of the session is free at once
    }
    listeners.fireSessionChange();
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    db.close();
  }

  // ---------------------------------------------------------------------------------------------- session

  private String ensureSession() throws BackendException {
    synchronized (sessionLock) {
      if (sessionId != null && heldUntil.live()) {
        return sessionId;
      }
      if (sessionId != null) {
        markLost("no successful bump before the session's TTL ran out");
      }
      ensureTable();
      String stale = staleSession;
      if (stale != null) {
        markDead(stale); // our keys under the lapsed session are freed at once
        staleSession = null;
      }
      String id = UUID.randomUUID().toString();
      long send = nanoTime.getAsLong();
      call("create session", () -> db.putItem(r -> r.tableName(table)
          .item(Map.of(PK, str("session#" + id), "version", num(0), "dead", AttributeValue.builder().bool(false)
              .build())).conditionExpression("attribute_not_exists(pk)")));
      sessionId = id;
      heldUntil.started(send, ttlNanos);
      health = BackendHealth.ok();
      LOG.info("DynamoDB session {} created in table {}, G = {}", id, table, ttl);
    }
    listeners.fireSessionChange();
    return sessionId;
  }

  private void ensureTable() throws BackendException {
    if (tableReady || !createTable) {
      return;
    }
    try {
      try {
        db.describeTable(r -> r.tableName(table));
      } catch (ResourceNotFoundException e) {
        try {
          db.createTable(r -> r.tableName(table)
              .attributeDefinitions(AttributeDefinition.builder().attributeName(PK)
                  .attributeType(ScalarAttributeType.S).build())
              .keySchema(KeySchemaElement.builder().attributeName(PK).keyType(KeyType.HASH).build())
              .provisionedThroughput(ProvisionedThroughput.builder().readCapacityUnits(5L).writeCapacityUnits(5L)
                  .build()));
        } catch (ResourceInUseException exists) {
          // created concurrently
        }
      }
      long deadline = nanoTime.getAsLong() + TimeUnit.SECONDS.toNanos(30);
      while (!"ACTIVE".equals(db.describeTable(r -> r.tableName(table)).table().tableStatusAsString())) {
        if (nanoTime.getAsLong() - deadline > 0) {
          throw new BackendException("DynamoDB table " + table + " did not become ACTIVE within 30 s");
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for table " + table, ie);
    } catch (SdkException e) {
      throw new BackendException("DynamoDB: creating table " + table + " failed (" + e.getMessage() + ")", e);
    }
    tableReady = true;
  }

  private void renewSafely() {
    try {
      renewOnce();
    } catch (RuntimeException e) {
      LOG.error("DynamoDB session bump failed unexpectedly", e);
    }
  }

  private void renewOnce() {
    if (closed) {
      return;
    }
    String id = sessionId;
    if (id == null) {
      if (!suspended) {
        try {
          ensureSession();
        } catch (BackendException e) {
          boolean changed = health.reachable();
          health = BackendHealth.unreachable(e.getMessage());
          if (changed) {
            listeners.fireSessionChange();
          }
        }
      }
      return;
    }
    long send = nanoTime.getAsLong();
    boolean changed = false;
    try {
      call("bump session", () -> db.updateItem(r -> r.tableName(table).key(Map.of(PK, str("session#" + id)))
          .updateExpression("ADD version :one").conditionExpression("dead = :false")
          .expressionAttributeValues(Map.of(":one", num(1), ":false", AttributeValue.builder().bool(false)
              .build()))));
      synchronized (sessionLock) {
        if (id.equals(sessionId) && !heldUntil.renewed(send, ttlNanos)) {
          // answered after heldUntil (see HeldUntil): the next tick marks the session dead, freeing its keys at once
          markLost("heldUntil ran out before the bump was answered; its keys were already given up");
          changed = true;
        } else if (id.equals(sessionId)) {
          if (!health.reachable()) {
            health = BackendHealth.ok();
            changed = true;
          }
        }
      }
    } catch (ConditionalCheckFailedException e) {
      synchronized (sessionLock) {
        if (id.equals(sessionId)) {
          markLost("a contender declared the session dead (its version stood still for G as it saw it)");
          staleSession = null;
          changed = true;
        }
      }
    } catch (BackendException e) {
      synchronized (sessionLock) {
        if (id.equals(sessionId)) {
          health = BackendHealth.unreachable("bump session: " + e.getMessage());
          changed = true;
          if (heldUntil.lapsed()) {
            markLost("no successful bump before the session's TTL ran out (" + e.getMessage() + ")");
          }
        }
      }
    }
    if (changed) {
      listeners.fireSessionChange();
    }
  }

  /** Caller holds sessionLock. */
  private void markLost(String why) {
    LOG.warn("DynamoDB session {} lost: {}; every key it held must be considered released", sessionId, why);
    granted.clear();
    staleSession = sessionId;
    sessionId = null;
    heldUntil.clear();
    health = BackendHealth.unreachable("session lost: " + why);
  }

  private void markDead(String session) throws BackendException {
    try {
      call("end session " + session, () -> db.updateItem(r -> r.tableName(table)
          .key(Map.of(PK, str("session#" + session))).updateExpression("SET dead = :true")
          .expressionAttributeValues(Map.of(":true", AttributeValue.builder().bool(true).build()))));
    } catch (ConditionalCheckFailedException e) {
      // cannot happen without a condition
    }
  }

  /** Whether another session is dead: missing, marked dead, or seen unchanged for G here (then marked dead). */
  private boolean sessionDead(String other) throws BackendException {
    Map<String, AttributeValue> s = get("session#" + other);
    if (s == null || (s.get("dead") != null && Boolean.TRUE.equals(s.get("dead").bool()))) {
      observed.remove(other);
      return true;
    }
    long version = n(s, "version");
    long now = nanoTime.getAsLong();
    long[] seen = observed.get(other);
    if (seen == null || seen[0] != version) {
      observed.put(other, new long[] {version, now});
      return false;
    }
    if (now - seen[1] < ttlNanos) {
      return false;
    }
    try {
      call("mark session " + other + " dead", () -> db.updateItem(r -> r.tableName(table)
          .key(Map.of(PK, str("session#" + other))).updateExpression("SET dead = :true")
          .conditionExpression("version = :v")
          .expressionAttributeValues(Map.of(":true", AttributeValue.builder().bool(true).build(), ":v",
              num(version)))));
      LOG.info("DynamoDB session {} unchanged for {} as seen here: marked dead", other, ttl);
      observed.remove(other);
      return true;
    } catch (ConditionalCheckFailedException e) {
      return false; // it bumped meanwhile
    }
  }

  private long nextToken() throws BackendException {
    return Long.parseLong(call("next token", () -> db.updateItem(r -> r.tableName(table)
        .key(Map.of(PK, str(COUNTER))).updateExpression("ADD n :one")
        .expressionAttributeValues(Map.of(":one", num(1))).returnValues(ReturnValue.UPDATED_NEW)))
        .attributes().get("n").n());
  }

  // ---------------------------------------------------------------------------------------------- watch

  private void pollAll() {
    for (String key : listeners.watchedKeys()) {
      if (closed) {
        return;
      }
      try {
        Map<String, AttributeValue> item = get("lock#" + key);
        String s = item == null ? "" : s(item, "session");
        if (!s.isEmpty() && (s.equals(sessionId) || !sessionDead(s))) {
          listeners.observed(key, n(item, "token"), LockValue.parseOrNull(s(item, "value")));
        } else {
          listeners.observed(key, 0, null);
        }
      } catch (BackendException | RuntimeException e) {
        listeners.unreadable(key);
      }
    }
  }


  // ---------------------------------------------------------------------------------------------- helpers

  private Map<String, AttributeValue> get(String pk) throws BackendException {
    Map<String, AttributeValue> item = call("read " + pk, () -> db.getItem(r -> r.tableName(table)
        .key(Map.of(PK, str(pk))).consistentRead(true))).item();
    return item == null || item.isEmpty() ? null : item;
  }

  private Held parse(String key, Map<String, AttributeValue> item) throws MalformedValueException {
    String raw = s(item, "value");
    long token = n(item, "token");
    try {
      return new Held(LockValue.fromJson(raw), token);
    } catch (IllegalArgumentException e) {
      MalformedValueException m = new MalformedValueException(key, raw, token, e);
      LOG.error("{} (DynamoDB table {}, item lock#{})", m.getMessage(), table, key);
      throw m;
    }
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(String what, Call<T> c) throws BackendException {
    try {
      return c.run();
    } catch (ConditionalCheckFailedException e) {
      throw e;
    } catch (SdkException e) {
      throw new BackendException("DynamoDB " + what + " failed (" + e.getMessage() + "); check the endpoint,"
          + " region and credentials, and that table " + table + " exists", e);
    }
  }

  private static String s(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null || v.s() == null ? "" : v.s();
  }

  private static long n(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    try {
      return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static AttributeValue str(String v) {
    return AttributeValue.builder().s(v).build();
  }

  private static AttributeValue num(long v) {
    return AttributeValue.builder().n(Long.toString(v)).build();
  }
}
