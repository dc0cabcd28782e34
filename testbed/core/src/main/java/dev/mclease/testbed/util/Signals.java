package dev.mclease.testbed.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * SIGSTOP and SIGCONT for child processes, which {@link Process} cannot send: a frozen process is how a long GC pause,
 * a CPU-throttled container or a VM migration looks from outside. It keeps its sockets open and its peers' TCP
 * connections established, so nothing fails fast: requests to it simply hang until their own timeouts.
 */
public final class Signals {

  private Signals() {
  }

  /** SIGSTOP: the process stops at once, wherever it is; the kernel keeps its sockets. */
  public static void freeze(long pid) {
    send("STOP", pid);
  }

  /** SIGCONT: a frozen process runs on; its timers fire late, all at once. Harmless for a running one. */
  public static void thaw(long pid) {
    send("CONT", pid);
  }

  private static void send(String signal, long pid) {
    if (pid <= 0) {
      throw new IllegalStateException("no process to send SIG" + signal + " to (pid " + pid + ")");
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending SIG" + signal + " to " + pid, e);
    }
  }
}
