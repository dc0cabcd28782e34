package dev.mclease.testbed.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.store.PostgresProvider;
import dev.mclease.testbed.store.PostgresServer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fenced row on a real throw-away PostgreSQL server: the conditional update and its log. */
class FencedRowTest {

  private static PostgresServer pg;

  @BeforeAll
  static void start() {
    assumeTrue(PostgresProvider.available(), PostgresProvider.INSTALL_HINT);
    pg = PostgresProvider.start();
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  private static FencedRow row() {
    return FencedRow.create(pg.jdbcUrl(), "postgres", "", "row-" + UUID.randomUUID());
  }

  @Test
  void acceptsEqualOrHigherTokensAndRefusesLowerOnes() {
    FencedRow row = row();
    try (FencedRow.Session a = row.open(); FencedRow.Session b = row.open()) {
      FencedWrite first = a.write(5, "a", 1, 100, 1000, "x");
      FencedWrite again = a.write(5, "a", 1, 200, 1001, "y");
      FencedWrite newer = b.write(7, "b", 1, 300, 1002, "z");
      FencedWrite late = a.write(5, "a", 1, 250, 1003, "late");

      assertThat(first.accepted()).isTrue();
      assertThat(first.version()).isEqualTo(1);
      assertThat(again.accepted()).isTrue();
      assertThat(again.version()).isEqualTo(2);
      assertThat(newer.version()).isEqualTo(3);
      assertThat(late.accepted()).isFalse();
      assertThat(late.version()).isZero();
      assertThat(late.storedToken()).isEqualTo(7);
    }
    assertThat(row.storedToken()).isEqualTo(7);
    assertThat(row.writes()).extracting(FencedWrite::writer, FencedWrite::token, FencedWrite::accepted,
        FencedWrite::writerNanos).containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", 5L, true, 100L),
            org.assertj.core.groups.Tuple.tuple("a", 5L, true, 200L),
            org.assertj.core.groups.Tuple.tuple("b", 7L, true, 300L),
            org.assertj.core.groups.Tuple.tuple("a", 5L, false, 250L));
  }

  /** Writers racing with interleaved tokens: whatever the timing, accepted tokens never go down in version order. */
  @Test
  void racingWritersNeverGetALowerTokenInAfterAHigherOne() throws Exception {
    FencedRow row = row();
    int writers = 4;
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      runs.add(CompletableFuture.runAsync(() -> {
        try (FencedRow.Session s = row.open()) {
          go.await();
          for (int i = 0; i < 50; i++) {
            s.write(i * writers + (id * 7 % writers), "w" + id, 1, i, 0, "v");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    go.countDown();
    CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get();

    List<FencedWrite> accepted = row.writes().stream().filter(FencedWrite::accepted)
        .sorted(java.util.Comparator.comparingLong(FencedWrite::version)).toList();
    assertThat(row.writes()).hasSize(writers * 50);
    assertThat(accepted).isNotEmpty();
    assertThat(accepted).extracting(FencedWrite::version).doesNotHaveDuplicates();
    assertThat(accepted).extracting(FencedWrite::token).isSorted();
    assertThat(row.storedToken()).isEqualTo(accepted.get(accepted.size() - 1).token());
  }

  @Test
  void aRowNameIsUsedOnce() {
    FencedRow row = row();

    assertThatThrownBy(() -> FencedRow.create(pg.jdbcUrl(), "postgres", "", row.name()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists already");
  }
}
