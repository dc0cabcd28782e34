package dev.mclease.testbed.soak;

import dev.mclease.testbed.fencing.FencedRow;
import dev.mclease.testbed.fencing.FencedWrite;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.FencedWriter;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.history.FencedWriteChecker;
import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The soak's side effect: one PostgreSQL server for the whole soak and, in every history, a {@link FencedRow} that
 * each candidate writes every {@link #WRITE_EVERY} while it leads, through the client's write gate
 * ({@link FencedWriter}). After the history, {@link FencedWriteChecker} judges the row's log against the leadership
 * history: every accepted write from its token's leader inside that leadership, no lower token after a higher one.
 * Without PostgreSQL server binaries the soak runs without it and the report says why.
 */
final class SoakFence implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SoakFence.class);
  /** As fencing.feature: often enough that a leader writes many times inside every leadership. */
  static final Duration WRITE_EVERY = Duration.ofMillis(50);

  private final PostgresServer pg;
  private final String unavailable;

  private SoakFence(PostgresServer pg, String unavailable) {
    this.pg = pg;
    this.unavailable = unavailable;
  }

  /** Starts the fence's PostgreSQL server, or a fence that says why there is none. */
  static SoakFence start() {
    if (!PostgresProvider.available()) {
      return new SoakFence(null, PostgresProvider.INSTALL_HINT);
    }
    try {
      return new SoakFence(PostgresProvider.start(), null);
    } catch (RuntimeException e) {
      LOG.warn("the soak's fenced row has no PostgreSQL server", e);
      return new SoakFence(null, "PostgreSQL did not start: " + e.getMessage());
    }
  }

  /** Why fenced writes are not checked, or empty when they are. */
  Optional<String> unavailable() {
    return Optional.ofNullable(unavailable);
  }

  /** A row named for the fleet's namespace and a writer on every candidate; call before the fleet starts. */
  Optional<Writers> attach(Fleet fleet) {
    if (pg == null) {
      return Optional.empty();
    }
    FencedRow row = FencedRow.create(pg.jdbcUrl(), "postgres", "", fleet.namespace());
    List<FencedWriter> writers = new ArrayList<>();
    for (CandidateNode c : fleet.candidates()) {
      writers.add(FencedWriter.attach(c, row, WRITE_EVERY));
    }
    return Optional.of(new Writers(fleet, row, List.copyOf(writers)));
  }

  @Override
  public void close() {
    if (pg != null) {
      pg.close();
    }
  }

  /** One history's row and writers. */
  static final class Writers implements AutoCloseable {

    private final Fleet fleet;
    private final FencedRow row;
    private final List<FencedWriter> writers;

    private Writers(Fleet fleet, FencedRow row, List<FencedWriter> writers) {
      this.fleet = fleet;
      this.row = row;
      this.writers = writers;
    }

    /** The row's log as it stands; read it before the history's closing note (see {@link FencedWriteChecker}). */
    List<FencedWrite> log() {
      return row.writes();
    }

    /** Judges {@code log} against the fleet's history, which must by now end after every write of the log. */
    HistoryResult.Fencing check(List<FencedWrite> log) {
      return HistoryResult.Fencing.of(FencedWriteChecker.check(fleet.history(), log));
    }

    @Override
    public void close() {
      writers.forEach(FencedWriter::close);
    }
  }
}
