package dev.mclease.testbed.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The {@code kubectl} on PATH, when there is one (tests never install it). */
final class Kubectl {

  private Kubectl() {
  }

  static boolean available() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        return true;
      }
    }
    return false;
  }

  /** Stdout of {@code kubectl --kubeconfig <kubeconfig> args...}; fails on a non-zero exit, with its output. */
  static String run(Path kubeconfig, String... args) throws IOException, InterruptedException {
    Result r = exec(kubeconfig, args);
    if (r.code != 0) {
      throw new AssertionError("kubectl " + String.join(" ", args) + " exited " + r.code + ": " + r.output);
    }
    return r.output;
  }

  /** The exit code of {@code kubectl --kubeconfig <kubeconfig> args...}. */
  static int exitCode(Path kubeconfig, String... args) throws IOException, InterruptedException {
    return exec(kubeconfig, args).code;
  }

  private record Result(int code, String output) {
  }

  private static Result exec(Path kubeconfig, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 30 s");
    }
    return new Result(p.exitValue(), out);
  }
}
