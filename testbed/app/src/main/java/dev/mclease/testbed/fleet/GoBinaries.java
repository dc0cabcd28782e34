package dev.mclease.testbed.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands of the Go module {@code client/go} ({@code client/go/cmd/<name>}), each built once per JVM with
 * {@code go build} into {@code client/go/target/<name>}: the Go candidate ({@link CandidateProcess}) and the kubectl
 * plugin ({@link KubectlMcl}).
 */
public final class GoBinaries {

  private static final Logger LOG = LoggerFactory.getLogger(GoBinaries.class);
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
  private static final Map<String, Path> BUILT = new HashMap<>();

  private GoBinaries() {
  }

  /** Why Go commands cannot be built here (no {@code go} tool, no client/go module), or empty when they can. */
  public static Optional<String> unavailable() {
    if (moduleDir().isEmpty()) {
      return Optional.of("no client/go/go.mod above " + Path.of("").toAbsolutePath() + ": Go commands need the repository");
    }
    try {
      Process p = new ProcessBuilder("go", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? Optional.empty()
          : Optional.of("'go version' failed: Go commands need a Go toolchain (1.26) on PATH");
    } catch (IOException e) {
      return Optional.of("no 'go' on PATH (" + e.getMessage() + "): Go commands need a Go toolchain (1.26)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while looking for go");
    }
  }

  /** {@code go build}s {@code ./cmd/<name>} once per JVM (the Go build cache makes a rebuild cheap). */
  public static synchronized Path binary(String name) {
    Path done = BUILT.get(name);
    if (done != null) {
      return done;
    }
    Path module = moduleDir().orElseThrow(() -> new IllegalStateException(unavailable().orElse("no client/go")));
    Path out = module.resolve("target").resolve(name);
    // -trimpath and no cgo, as ./mcl builds the kube binaries and runs the Go tests: the build cache then holds
    // client-go and its dependencies already, so this takes seconds, not minutes, on a fresh machine
    List<String> cmd = List.of("go", "build", "-trimpath", "-o", out.toString(), "./cmd/" + name);
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(module.toFile()).redirectErrorStream(true);
      pb.environment().put("CGO_ENABLED", "0");
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " in " + module + " failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building " + name, e);
    }
    LOG.info("built {}: {}", name, out);
    BUILT.put(name, out);
    return out;
  }

  private static Optional<Path> moduleDir() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("client/go/go.mod"))) {
        return Optional.of(dir.resolve("client/go"));
      }
    }
    return Optional.empty();
  }
}
