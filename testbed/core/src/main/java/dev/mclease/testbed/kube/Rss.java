package dev.mclease.testbed.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of a process, from Linux's {@code /proc/<pid>/status}. */
public final class Rss {

  private Rss() {
  }

  /** {@code VmRSS} of {@code pid} in bytes, or -1 when the process or {@code /proc} is missing. */
  public static long of(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
