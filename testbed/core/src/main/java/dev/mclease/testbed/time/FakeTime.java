package dev.mclease.testbed.time;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The clocks of a real child process, moved by libfaketime (Debian's {@code libfaketime}): the process starts with
 * {@code LD_PRELOAD} of the library and reads an offset and a rate from a file that {@link #jump} and {@link #rate}
 * rewrite. By default only {@code CLOCK_REALTIME} is faked ({@code DONT_FAKE_MONOTONIC}): the lock's safety rests on
 * the monotonic clock, and a wall-clock jump must not move it, which is what the faults check. With
 * {@code monotonicToo} the rate applies to the monotonic clock as well: a process whose clock drifts, which the
 * safety margin must cover ({@code docs/protocol.md}).
 *
 * <p>libfaketime re-reads the file at most once a second ({@code FAKETIME_CACHE_DURATION=1}; reading it on every
 * call costs a JVM half a core), so a jump takes effect within a second of being written. Works for processes that
 * read time through libc (a JVM); Go binaries read the clock through the vDSO directly and are not affected.
 */
public final class FakeTime {

  /** Where Debian puts the multi-threaded variant, which a JVM needs. */
  static final List<Path> LIBRARIES = List.of(
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/faketime/libfaketimeMT.so.1"));
  public static final String INSTALL_HINT = "no libfaketime (libfaketimeMT.so.1): install Debian's libfaketime "
      + "(apt-get install libfaketime; ./mcl test does) to move real processes' wall clocks";

  private final Path library;
  private final Path file;
  private final boolean monotonicToo;
  // guarded by this
  private long offsetSeconds;
  private double rate = 1.0;

  private FakeTime(Path library, Path file, boolean monotonicToo) {
    this.library = library;
    this.file = file;
    this.monotonicToo = monotonicToo;
  }

  /** The library, or empty when it is not installed. */
  public static Optional<Path> library() {
    return LIBRARIES.stream().filter(Files::isReadable).findFirst();
  }

  /** Why real processes' wall clocks cannot be moved here, or empty when they can. */
  public static Optional<String> unavailable() {
    return library().isPresent() ? Optional.empty() : Optional.of(INSTALL_HINT);
  }

  /**
   * Clocks at offset 0 and rate 1 whose control file is {@code file} (created now).
   *
   * @param monotonicToo whether {@link #rate} also applies to the monotonic clock (jumps never do: libfaketime
   *     keeps a faked monotonic clock from going back, and a jump of it is no fault any process could see)
   */
  public static FakeTime create(Path file, boolean monotonicToo) {
    FakeTime c = new FakeTime(library().orElseThrow(() -> new IllegalStateException(INSTALL_HINT)), file,
        monotonicToo);
    c.write();
    return c;
  }

  /** The environment a child process needs to run on this clock. */
  public Map<String, String> environment() {
    String fakeMonotonic = monotonicToo ? "0" : "1";
    // With the monotonic clock left alone, libfaketime 0.9.10's "monotonic fix" of pthread_cond_timedwait rewrites
    // the JVM's timeouts (which are on CLOCK_MONOTONIC) as if that clock were faked, and the JVM spins (2.6 s user +
    // 2 s system CPU for a 1.6 s program of sleeps, each 100 ms sleep 140 ms long): FAKETIME_FORCE_MONOTONIC_FIX=0
    // passes them through untouched, which is right when the monotonic clock is real.
    return Map.of("LD_PRELOAD", library.toString(),
        "FAKETIME_TIMESTAMP_FILE", file.toAbsolutePath().toString(),
        "FAKETIME_CACHE_DURATION", "1",
        "DONT_FAKE_MONOTONIC", fakeMonotonic,
        "FAKETIME_DONT_FAKE_MONOTONIC", fakeMonotonic,
        "FAKETIME_FORCE_MONOTONIC_FIX", monotonicToo ? "1" : "0");
  }

  /**
   * Moves the wall clock by {@code by} (whole seconds; libfaketime's relative offsets are), on top of earlier jumps.
   * The process sees it within a second.
   */
  public synchronized void jump(Duration by) {
    if (monotonicToo) {
      throw new IllegalStateException("these clocks fake the monotonic clock too, which a jump would move as well: "
          + "create them with monotonicToo=false for wall-clock jumps");
    }
    offsetSeconds += by.toSeconds();
    write();
  }

  /**
   * Lets the clock run at {@code rate} times real time, e.g. 1.05 for a clock 5 % fast. libfaketime measures the
   * rate from the process's start, so a rate changed while the process runs also jumps the clock: set it before.
   */
  public synchronized void rate(double newRate) {
    if (!(newRate > 0)) {
      throw new IllegalArgumentException("a clock rate must be positive, got " + newRate);
    }
    this.rate = newRate;
    write();
  }

  /** Back to offset 0 and rate 1. */
  public synchronized void reset() {
    offsetSeconds = 0;
    rate = 1.0;
    write();
  }

  /** The control file's content: libfaketime's relative format, e.g. {@code +3600 x1.05}. */
  public synchronized String spec() {
    return spec(offsetSeconds, rate);
  }

  static String spec(long offsetSeconds, double rate) {
    String offset = (offsetSeconds >= 0 ? "+" : "") + offsetSeconds;
    return rate == 1.0 ? offset : offset + String.format(Locale.ROOT, " x%.4f", rate);
  }

  private void write() {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      // write and rename: the process must never read half a line
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, spec(offsetSeconds, rate) + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write libfaketime's file " + file, e);
    }
  }
}
