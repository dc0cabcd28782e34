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

    @Override
    public void close() throws Exception {
      in.close();
      process.waitFor(10, TimeUnit.SECONDS);
      process.destroyForcibly();
    }
  }
}
