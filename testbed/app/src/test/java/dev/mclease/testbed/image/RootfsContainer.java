package dev.mclease.testbed.image;

import dev.mclease.testbed.util.ChildProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An image's command started from its unpacked root filesystem by {@code controller/image/run-rootfs.sh}, the
 * nearest thing to a container on machines where no container runtime works: mount, PID and UTS namespaces of its
 * own, the root read-only, the ServiceAccount's files where the kubelet mounts them, the image's user and working
 * directory, and exactly the given environment. Needs root. {@link #close()} kills it, and with it its namespace and
 * every mount in it.
 */
final class RootfsContainer implements AutoCloseable {

  private final Process process;
  private final Path log;

  private RootfsContainer(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code image}'s command in {@code rootfs}.
   *
   * @param script run-rootfs.sh
   * @param serviceAccount a directory with token, ca.crt and namespace, readable by the image's user
   * @param environment the container's whole environment (the image's Env and what the pod adds)
   * @param log where the command's stdout and stderr go
   */
  static RootfsContainer start(Path script, Path rootfs, Path serviceAccount, ImageConfig image,
      Map<String, String> environment, Path log) {
    List<String> command = new ArrayList<>(List.of("/bin/sh", script.toString(), rootfs.toString(),
        serviceAccount.toString(), image.user(), image.workingDir(), "--"));
    command.addAll(image.command());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().clear();
    pb.environment().putAll(environment);
    try {
      Process p = pb.start();
      ChildProcesses.register(p);
      return new RootfsContainer(p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    }
  }

  /**
   * The container's PID 1 once it runs the process named {@code name} (the {@code Name:} of /proc/PID/status, e.g.
   * {@code java}), that is once run-rootfs.sh's chain of execs has reached the image's command.
   */
  Optional<ProcessHandle> pid1(String name) {
    return process.children().filter(h -> name.equals(statusField(h, "Name"))).findFirst();
  }

  /** A field of /proc/PID/status, e.g. {@code Uid}, {@code CapEff}, {@code NoNewPrivs}; empty when gone. */
  static String statusField(ProcessHandle h, String field) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(h.pid()), "status"), StandardCharsets.UTF_8).stream()
          .filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1).trim())
          .findFirst().orElse("");
    } catch (IOException e) {
      return "";
    }
  }

  boolean isRunning() {
    return process.isAlive();
  }

  /**
   * Waits for the container to end.
   *
   * @return its exit code (the command's), or empty when it still runs after {@code timeout}
   */
  Optional<Integer> awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(process.exitValue())
          : Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The last {@code lines} lines of the command's output, for failure messages. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The command's whole output. */
  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** SIGKILL, then waits until PID 1 is gone too (its parent's death kills it: unshare --kill-child). */
  @Override
  public void close() {
    List<ProcessHandle> inside = process.children().toList();
    ChildProcesses.end(process, true, Duration.ofSeconds(10), "image container");
    for (ProcessHandle h : inside) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        h.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
