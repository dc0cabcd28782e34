package dev.mclease.controller.backend.dynamodb;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.controller.backend.session.Attempt;
import dev.mclease.controller.backend.session.ContenderExpiry;
import dev.mclease.controller.backend.session.LockStore;
import dev.mclease.controller.backend.session.Renewal;
import dev.mclease.controller.backend.session.SessionLockBackend;
import dev.mclease.controller.backend.session.Stored;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
 * The lock store on Amazon DynamoDB (AWS SDK v2), one table with partition key {@code pk} (string); the session
 * lifecycle is {@link dev.mclease.controller.backend.session.SessionKeeper}'s.
 *
 * <ul>
 *   <li><b>Session</b> = item {@code session#<id>} {@code {version, dead}}; a renewal bumps {@code version} with
 *       {@code UpdateItem … ConditionExpression dead = false}. A failed condition means a contender declared the
 *       session dead: gone. Ending a session marks it dead, which frees every key it holds at once.</li>
 *   <li><b>Expiry</b> is judged by a contender on <em>its own</em> monotonic clock ({@link ContenderExpiry}) on the
 *       session item's {@code version}.</li>
 *   <li><b>Lock</b> = item {@code lock#<ns>/<name>} {@code {session, value, token}}; released = {@code session ""}
 *       (the item stays, so its token and last value stay). Acquire = {@code PutItem} conditioned on exactly the
 *       state read (absent, or the same session and token, and a smaller token), after the holder's session was found
 *       dead or the key free. Tokens come from the atomic counter item {@code counter#tokens} ({@code UpdateItem
 *       ADD}). A put that fails because another session acquired in between answers that acquisition, as etcd's
 *       transaction would ({@code DynamoDbLostRaceTest}).</li>
 *   <li><b>Watch</b> = a poll of every watched key every K. All reads are strongly consistent.</li>
 * </ul>
 */
public final class DynamoDbLockStore implements LockStore<String> {

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbLockStore.class);
  private static final String PK = "pk";
  private static final String COUNTER = "counter#tokens";

  private final DynamoDbClient db;
  private final String table;
  private final Duration ttl;
  private final LongSupplier nanoTime;
  private final boolean createTable;
  private final ContenderExpiry expiry;
  private volatile boolean tableReady;

  private DynamoDbLockStore(DynamoDbClient db, String table, boolean createTable, Duration ttl,
      LongSupplier nanoTime) {
    this.db = db;
    this.table = table;
    this.createTable = createTable;
    this.ttl = ttl;
    this.nanoTime = nanoTime;
    this.expiry = new ContenderExpiry(new SessionRecords(), ttl, nanoTime, LOG);
  }

  /**
   * Starts the backend: renewing (the session item is written on the first tick) and polling watched keys every
   * {@code renewInterval}.
   *
   * @param db a client with the request timeout set and retries off (the backend retries by itself)
   * @param createTable create {@code table} (partition key {@code pk}) when it is missing
   */
  public static SessionLockBackend<String> start(DynamoDbClient db, String table, boolean createTable, Duration ttl,
      Duration renewInterval, LongSupplier nanoTime) {
    SessionLockBackend.checkIntervals("DynamoDB", ttl, renewInterval);
    DynamoDbLockStore store = new DynamoDbLockStore(db, table, createTable, ttl, nanoTime);
    return SessionLockBackend.start(store, new BackendListeners(LOG), renewInterval, nanoTime, LOG);
  }

  @Override
  public String storeName() {
    return "DynamoDB";
  }

  // ---------------------------------------------------------------------------------------------- sessions

  @Override
  public Opened<String> open() throws BackendException {
    ensureTable();
    String id = UUID.randomUUID().toString();
    call("create session", () -> db.putItem(r -> r.tableName(table)
        .item(Map.of(PK, str("session#" + id), "version", num(0), "dead", bool(false)))
        .conditionExpression("attribute_not_exists(pk)")));
    return new Opened<>(id, ttl.toNanos(), "table " + table + ", G = " + ttl);
  }

  @Override
  public Renewal renew(String session) throws BackendException {
    try {
      call("bump session", () -> db.updateItem(r -> r.tableName(table).key(Map.of(PK, str("session#" + session)))
          .updateExpression("ADD version :one").conditionExpression("dead = :false")
          .expressionAttributeValues(Map.of(":one", num(1), ":false", bool(false)))));
      return Renewal.renewed(ttl.toNanos());
    } catch (ConditionalCheckFailedException e) {
      return Renewal.gone("a contender declared the session dead (its version stood still for G as it saw it)");
    }
  }

  @Override
  public void end(String session) throws BackendException {
    call("end session " + session, () -> db.updateItem(r -> r.tableName(table)
        .key(Map.of(PK, str("session#" + session))).updateExpression("SET dead = :true")
        .expressionAttributeValues(Map.of(":true", bool(true)))));
  }

  /** Session items as {@link ContenderExpiry} reads and marks them. */
  private final class SessionRecords implements ContenderExpiry.Records {
    @Override
    public ContenderExpiry.Observed read(String session) throws BackendException {
      Map<String, AttributeValue> item = get("session#" + session);
      if (item == null || (item.get("dead") != null && Boolean.TRUE.equals(item.get("dead").bool()))) {
        return ContenderExpiry.Observed.goneNow();
      }
      return ContenderExpiry.Observed.at(Long.toString(n(item, "version")));
    }

    @Override
    public boolean markDead(String session, String version) throws BackendException {
      try {
        call("mark session " + session + " dead", () -> db.updateItem(r -> r.tableName(table)
            .key(Map.of(PK, str("session#" + session))).updateExpression("SET dead = :true")
            .conditionExpression("version = :v")
            .expressionAttributeValues(Map.of(":true", bool(true), ":v", num(Long.parseLong(version))))));
        return true;
      } catch (ConditionalCheckFailedException e) {
        return false;
      }
    }
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
        Thread.sleep(50); // DynamoDB offers no wait for a table's status but polling it
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for table " + table, ie);
    } catch (SdkException e) {
      throw new BackendException("DynamoDB: creating table " + table + " failed (" + e.getMessage() + ")", e);
    }
    tableReady = true;
  }

  // ---------------------------------------------------------------------------------------------- keys

  @Override
  public Attempt<String> tryAcquire(String key, LockValue value, String session) throws BackendException {
    Map<String, AttributeValue> item = get("lock#" + key);
    String holder = item == null ? "" : s(item, "session");
    long oldToken = item == null ? 0 : n(item, "token");
    if (!holder.isEmpty()) {
      // parsed first: a value nobody can read counts as held, whatever its session (docs/safety.md, invariant 7)
      Held held = stored(item).held(key);
      if (holder.equals(session) || !expiry.dead(holder)) {
        return new Attempt.Found<>(holder, held);
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
      return new Attempt.Won<>(token);
    } catch (ConditionalCheckFailedException e) {
      return lostTo(key, oldToken, session);
    }
  }

  /**
   * After a failed conditional put: if another session acquired the key after our read (a larger token), that
   * acquisition is the answer, even when it has been released again since — it held the key during this call, as
   * etcd's {@code Else(get)} would have said. Contention is not an error. Changed when no acquisition came between
   * (the holder only released: read again) or when the winner cannot be named.
   */
  private Attempt<String> lostTo(String key, long readToken, String session) throws BackendException {
    Map<String, AttributeValue> item = get("lock#" + key);
    String winner = item == null ? "" : s(item, "session");
    if (item == null || n(item, "token") <= readToken || winner.equals(session) || s(item, "value").isEmpty()) {
      return new Attempt.Changed<>();
    }
    return new Attempt.Found<>(winner, stored(item).held(key));
  }

  @Override
  public void delete(String key, long token, String session) throws BackendException {
    try {
      call("release " + key, () -> db.updateItem(r -> r.tableName(table).key(Map.of(PK, str("lock#" + key)))
          .updateExpression("SET #s = :empty") // the value stays: a racing acquirer names who it lost to
          .conditionExpression("#s = :me AND #t = :t")
          .expressionAttributeNames(Map.of("#s", "session", "#t", "token"))
          .expressionAttributeValues(Map.of(":empty", str(""), ":me", str(session), ":t", num(token)))));
    } catch (ConditionalCheckFailedException e) {
      // not ours any more
    }
  }

  @Override
  public Optional<Stored> read(String key, String own) throws BackendException {
    Map<String, AttributeValue> item = get("lock#" + key);
    return item == null ? Optional.empty() : expiry.counted(s(item, "session"), own, stored(item));
  }


  private long nextToken() throws BackendException {
    return Long.parseLong(call("next token", () -> db.updateItem(r -> r.tableName(table)
        .key(Map.of(PK, str(COUNTER))).updateExpression("ADD n :one")
        .expressionAttributeValues(Map.of(":one", num(1))).returnValues(ReturnValue.UPDATED_NEW)))
        .attributes().get("n").n());
  }

  // ---------------------------------------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    db.close();
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private Map<String, AttributeValue> get(String pk) throws BackendException {
    Map<String, AttributeValue> item = call("read " + pk, () -> db.getItem(r -> r.tableName(table)
        .key(Map.of(PK, str(pk))).consistentRead(true))).item();
    return item == null || item.isEmpty() ? null : item;
  }

  private static Stored stored(Map<String, AttributeValue> item) {
    return new Stored(n(item, "token"), s(item, "value"));
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

  private static AttributeValue bool(boolean v) {
    return AttributeValue.builder().bool(v).build();
  }
}
