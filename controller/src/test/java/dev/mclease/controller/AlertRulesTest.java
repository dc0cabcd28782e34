package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in controller/deploy/prometheus/ as Prometheus's own promtool judges them: {@code check rules}
 * (syntax, PromQL, templates) and {@code test rules} (the outage scenarios of alerts-test.yaml fire exactly the
 * alerts they expect, when they expect them). Skipped, naming the package, where promtool is not installed
 * ({@code ./mcl test} installs Debian's {@code prometheus}).
 */
class AlertRulesTest {

  private static final Path DIR = Path.of("deploy", "prometheus").toAbsolutePath();

  @Test
  void theRulesAreValid() throws Exception {
    String out = promtool("check", "rules", "alerts.yaml");
    assertThat(out).contains("SUCCESS");
  }

  @Test
  void theOutageScenariosFireTheExpectedAlerts() throws Exception {
    String out = promtool("test", "rules", "alerts-test.yaml");
    assertThat(out).contains("SUCCESS");
  }

  private static String promtool(String... args) throws IOException, InterruptedException {
    Optional<Path> promtool = find();
    assumeTrue(promtool.isPresent(), "promtool is not installed: `apt-get install prometheus` (./mcl test does) "
        + "or set MCL_PROMTOOL");
    List<String> cmd = Stream.concat(Stream.of(promtool.get().toString()), Stream.of(args)).toList();
    Path log = Files.createTempFile("promtool", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      boolean done = p.waitFor(60, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(done).as("%s finished within 60 s; it printed:%n%s", cmd, out).isTrue();
      assertThat(p.exitValue()).as("exit code of %s; it printed:%n%s", cmd, out).isZero();
      return out;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** {@code MCL_PROMTOOL}, else promtool on PATH. */
  static Optional<Path> find() {
    String env = System.getenv("MCL_PROMTOOL");
    if (env != null && !env.isBlank()) {
      return Optional.of(Path.of(env)).filter(Files::isExecutable);
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "promtool");
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
