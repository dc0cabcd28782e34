package dev.mclease.controller.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** When renewals go to two etcd members, and how the first of two answers is taken. */
class RenewalHedgeTest {

  private static final long S = 1_000_000_000L;
  private static final long FOR = RenewalHedge.HEDGE_FOR.toNanos();

  static Stream<Arguments> cases() {
    return Stream.of(
        // name, endpoints, timeout at (or -1 for none), renewal at, retried at once?, hedged?
        Arguments.of("one member, no timeout", 1, -1L, 5 * S, false, false),
        Arguments.of("one member after a timeout: a retry would hang on it again", 1, 0L, S, false, false),
        Arguments.of("three members, no timeout yet: one call", 3, -1L, 5 * S, false, false),
        Arguments.of("three members, just timed out: retried, and hedged after", 3, 0L, S, true, true),
        Arguments.of("three members, just inside the hedge", 3, 0L, FOR - 1, true, true),
        Arguments.of("three members, the hedge over", 3, 0L, FOR, true, false),
        Arguments.of("a wrapping monotonic clock", 3, Long.MAX_VALUE - S, Long.MIN_VALUE + S, true, true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void hedgesOnlyAfterATimeoutAgainstSeveralMembers(String name, int endpoints, long timeoutAt, long renewAt,
      boolean retried, boolean hedged) {
    RenewalHedge h = new RenewalHedge(endpoints);
    if (timeoutAt != -1L) {
      assertThat(h.timedOut(timeoutAt)).as("retried at once").isEqualTo(retried);
    }
    assertThat(h.hedge(renewAt)).as("hedged").isEqualTo(hedged);
  }

  @Test
  void aNewTimeoutExtendsTheHedge() {
    RenewalHedge h = new RenewalHedge(3);
    h.timedOut(0);
    h.timedOut(FOR - S);
    assertThat(h.hedge(FOR + S)).isTrue();
    assertThat(h.hedge(2 * FOR)).isFalse();
  }

  @Test
  void theFirstSuccessWinsAndBothMustFailToFail() throws Exception {
    CompletableFuture<String> hung = new CompletableFuture<>();
    CompletableFuture<String> live = new CompletableFuture<>();
    CompletableFuture<String> out = EtcdLockStore.firstSuccess(hung, live);
    live.complete("renewed");
    assertThat(out.get()).isEqualTo("renewed");

    CompletableFuture<String> a = new CompletableFuture<>();
    CompletableFuture<String> b = new CompletableFuture<>();
    CompletableFuture<String> both = EtcdLockStore.firstSuccess(a, b);
    a.completeExceptionally(new IllegalStateException("first"));
    assertThat(both).isNotDone();
    b.completeExceptionally(new IllegalStateException("second"));
    assertThatThrownBy(both::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("second");

    CompletableFuture<String> x = new CompletableFuture<>();
    CompletableFuture<String> y = new CompletableFuture<>();
    EtcdLockStore.firstSuccess(x, y).cancel(true);
    assertThat(x).isCancelled();
    assertThat(y).isCancelled();
  }

  @Test
  void theHedgeOutlastsGrpcKeepAlive() {
    // keep-alive 5 s, keep-alive timeout = the request timeout (under a second at every timing the docs allow)
    assertThat(RenewalHedge.HEDGE_FOR).isGreaterThan(Duration.ofSeconds(6));
  }
}
