package dev.mclease.testbed.kube;

import dev.mclease.testbed.util.TempDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code kubectl} that {@link KubeBinaries#kubectl()} finds ({@code KUBEBUILDER_ASSETS}, {@code MCL_KUBECTL},
 * the cache {@code ./mcl} builds it into beside kube-apiserver, the {@code PATH}) against a kubeconfig.
 *
 * <p>Tests that need it skip when it is missing: {@code assumeTrue(Kubectl.available(), Kubectl.MISSING)}.
 * Every call gets {@code --kubeconfig} and a discovery cache of this JVM's own ({@code --cache-dir}), so a cluster
 * that reuses a port of an earlier one is never answered from that one's cached discovery.
 */
public final class Kubectl {

  /** Why a test that needs kubectl skipped, and how to get it. */
  public static final String MISSING = KubeBinaries.KUBECTL_HINT;
  /** Generous: a first call discovers every API group of the server. */
  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static volatile Path cacheDir;

  private Kubectl() {
  }

  /** What one run printed and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {

    /** Whether it exited 0. */
    public boolean ok() {
      return exitCode == 0;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + (stdout.isBlank() ? "" : ", stdout: " + stdout.strip())
          + (stderr.isBlank() ? "" : ", stderr: " + stderr.strip());
    }
  }

  /** Whether a kubectl binary is found. */
  public static boolean available() {
    return KubeBinaries.kubectl().isPresent();
  }

  /** The kubectl binary, when found. */
  public static Optional<Path> binary() {
    return KubeBinaries.kubectl();
  }

  /**
   * Stdout of {@code kubectl --kubeconfig <kubeconfig> args...}.
   *
   * @throws IllegalStateException on a non-zero exit, with what it printed; or when kubectl is missing
   */
  public static String run(Path kubeconfig, String... args) {
    Result r = exec(kubeconfig, args);
    if (!r.ok()) {
      throw new IllegalStateException("kubectl " + String.join(" ", args) + ": " + r);
    }
    return r.stdout();
  }

  /** The exit code of {@code kubectl --kubeconfig <kubeconfig> args...}. */
  public static int exitCode(Path kubeconfig, String... args) {
    return exec(kubeconfig, args).exitCode();
  }

  /**
   * Runs {@code kubectl --kubeconfig <kubeconfig> args...} and returns how it ended; never throws for a non-zero
   * exit.
   *
   * @throws IllegalStateException when kubectl is missing ({@link #MISSING}) or does not finish in {@link #TIMEOUT}
   */
  public static Result exec(Path kubeconfig, String... args) {
    Path kubectl = binary().orElseThrow(() -> new IllegalStateException(MISSING));
    List<String> cmd = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString(),
        "--cache-dir", cacheDir().toString()));
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + kubectl, e);
    }
    try {
      p.getOutputStream().close(); // nothing on stdin: a command that would prompt fails instead of hanging
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish in "
            + TIMEOUT.toSeconds() + " s");
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while kubectl " + String.join(" ", args) + " ran", e);
    }
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static Path cacheDir() {
    Path d = cacheDir;
    if (d == null) {
      synchronized (Kubectl.class) {
        d = cacheDir;
        if (d == null) {
          Path created = TempDirs.create("mclease-kubectl-cache-");
          Runtime.getRuntime().addShutdownHook(new Thread(() -> TempDirs.deleteRecursively(created),
              "mclease-kubectl-cache-cleanup"));
          cacheDir = d = created;
        }
      }
    }
    return d;
  }
}
