package dev.mclease.testbed.time;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A child process for {@link FakeTimeTest}. For every empty line read it prints its wall clock (ms) and its monotonic
 * clock (ns); for a line {@code wait N} it waits N ms on a timed condition (a latch's {@code await}, the JVM's
 * {@code pthread_cond_timedwait} on the monotonic clock) and prints how long the wait took on its monotonic clock
 * and the process's CPU time over it, both in ms.
 */
public final class ClockProbe {

  private ClockProbe() {
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    CountDownLatch never = new CountDownLatch(1);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("wait ")) {
        long millis = Long.parseLong(line.substring(5).trim());
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        boolean released = never.await(millis, TimeUnit.MILLISECONDS);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        long cpu = TimeUnit.NANOSECONDS.toMillis(os.getProcessCpuTime() - cpu0);
        System.out.println(took + " " + cpu + (released ? " released" : ""));
      } else {
        System.out.println(System.currentTimeMillis() + " " + System.nanoTime());
      }
      System.out.flush();
    }
  }
}
