package dev.mclease.testbed.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import dev.mclease.testbed.util.JavaCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libfaketime on a real child JVM: a wall-clock jump moves {@code currentTimeMillis} and leaves {@code nanoTime}
 * alone; a drift slows both. Skips, naming the package, without libfaketime.
 */
class FakeTimeTest {

  @TempDir
  Path dir;

  @Test
  void theControlFileSaysOffsetAndRateInLibfaketimesFormat() {
    assertThat(FakeTime.spec(0, 1.0)).isEqualTo("+0");
    assertThat(FakeTime.spec(3600, 1.0)).isEqualTo("+3600");
    assertThat(FakeTime.spec(-3600, 1.0)).isEqualTo("-3600");
    assertThat(FakeTime.spec(0, 0.9)).isEqualTo("+0 x0.9000");
  }

  @Test
  void aWallClockJumpMovesTheWallClockOfARealProcessAndNotItsMonotonicClock() throws Exception {
    assumeTrue(FakeTime.unavailable().isEmpty(), FakeTime.unavailable().orElse(""));
    FakeTime time = FakeTime.create(dir.resolve("probe.faketime"), false);
    try (Probe p = new Probe(time)) {
      long[] before = p.read();
      time.jump(Duration.ofHours(1));
      // libfaketime re-reads its file at most once a second
      long[][] after = new long[1][];
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
        after[0] = p.read();
        return after[0][0] - before[0] > 3_500_000;
      });
      long monoMillis = TimeUnit.NANOSECONDS.toMillis(after[0][1] - before[1]);
      assertThat(monoMillis).as("the monotonic clock across the jump").isBetween(0L, 10_000L);
      time.jump(Duration.ofHours(-1));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> p.read()[0] - System.currentTimeMillis() < 60_000);
    }
  }

  @Test
  void timedWaitsOnAFakeWallClockLastAsLongAsAskedAndDoNotSpinAlsoAfterAJump() throws Exception {
    assumeTrue(FakeTime.unavailable().isEmpty(), FakeTime.unavailable().orElse(""));
    FakeTime time = FakeTime.create(dir.resolve("waits.faketime"), false);
    try (Probe p = new Probe(time)) {
      assertTimedWaitIsHonest(p);
      long[] before = p.read();
      time.jump(Duration.ofHours(1));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> p.read()[0] - before[0] > 3_500_000);
      // a candidate's ticks, its deadline reporter and fabric8's retries are all timed waits like this one
      assertTimedWaitIsHonest(p);
      time.jump(Duration.ofHours(-2));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> System.currentTimeMillis() - p.read()[0] > 3_500_000);
      assertTimedWaitIsHonest(p);
    }
  }

  private static void assertTimedWaitIsHonest(Probe p) throws Exception {
    long[] w = p.timedWait(500);
    assertThat(w[0]).as("a 500 ms timed wait, on the process's monotonic clock (ms)").isBetween(490L, 1500L);
    // libfaketime's monotonic fix-up of pthread_cond_timedwait made such a wait spin: ~1.5 CPU-s per second waited
    assertThat(w[1]).as("CPU the process used during the wait (ms)").isLessThan(400L);
  }

  @Test
  void aDriftSlowsTheMonotonicClockOfARealProcess() throws Exception {
    assumeTrue(FakeTime.unavailable().isEmpty(), FakeTime.unavailable().orElse(""));
    FakeTime time = FakeTime.create(dir.resolve("drift.faketime"), true);
    time.rate(0.5);
    try (Probe p = new Probe(time)) {
      long[] first = p.read();
      long realStart = System.nanoTime();
      await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
      long[] second = p.read();
      double rate = (double) (second[1] - first[1]) / (System.nanoTime() - realStart);
      assertThat(rate).as("the probe's monotonic clock against this JVM's").isBetween(0.4, 0.6);
    }
    assertThatThrownBy(() -> time.jump(Duration.ofHours(1))).hasMessageContaining("monotonic");
  }

  /** A {@link ClockProbe} under libfaketime. */
  private static final class Probe implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final PrintStream in;

    Probe(FakeTime time) throws Exception {
      ProcessBuilder pb = new ProcessBuilder(JavaCommand.of(ClockProbe.class.getName(), "32m"))
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().putAll(time.environment());
      process = pb.start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** The probe's wall clock (ms) and monotonic clock (ns), now. */
    long[] read() throws Exception {
      in.println();
      String[] w = out.readLine().split(" ");
      return new long[] {Long.parseLong(w[0]), Long.parseLong(w[1])};
    }

    /** A timed wait of {@code millis} in the probe: how long it took (ms, monotonic) and the CPU it used (ms). */
    long[] timedWait(long millis) throws Exception {
      in.println("wait " + millis);
      String[] w = out.readLine().split(" ");
      assertThat(w).as("nothing may release the probe's latch").hasSize(2);
      return new long[] {Long.parseLong(w[0]), Long.parseLong(w[1])};
    }

    @Override
    public void close() throws Exception {
      in.close();
      process.waitFor(10, TimeUnit.SECONDS);
      process.destroyForcibly();
    }
  }
}
