package dev.mclease.testbed.fleet;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * Copies a child process's output into its log file, line by line, and completes {@link #seen()} at the first line
 * that contains {@code marker}: how the testbed knows that a process it started is ready, the way an in-JVM start
 * returns once started. A child JVM on a loaded 2-core machine can take tens of seconds to get there (seen: 27 s
 * from the fork to the controller's first log line while three scenarios ran side by side), far longer than any
 * fixed pause would allow for.
 */
final class StartedLine {

  private final CompletableFuture<Void> seen = new CompletableFuture<>();

  private StartedLine() {
  }

  /** Starts copying {@code output} into {@code log} on a daemon thread named {@code thread}. */
  static StartedLine watch(InputStream output, Path log, String marker, String thread) {
    StartedLine s = new StartedLine();
    Thread t = new Thread(() -> s.copy(output, log, marker), thread);
    t.setDaemon(true);
    t.start();
    return s;
  }

  /** Completes when the marker line was written; fails when the output ended without it. */
  CompletableFuture<Void> seen() {
    return seen;
  }

  private void copy(InputStream output, Path log, String marker) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8));
        BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
        if (!seen.isDone() && line.contains(marker)) {
          seen.complete(null);
        }
      }
    } catch (IOException e) {
      seen.completeExceptionally(e);
    }
    seen.completeExceptionally(new IllegalStateException("the output ended before a line with '" + marker + "'"));
  }
}
