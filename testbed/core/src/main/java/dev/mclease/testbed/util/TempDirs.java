package dev.mclease.testbed.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories, deleted recursively and quietly. */
public final class TempDirs {

  private TempDirs() {
  }

  /** A new directory under {@code java.io.tmpdir}. */
  public static Path create(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory: check java.io.tmpdir", e);
    }
  }

  /** Deletes {@code dir} and everything below it; missing files are fine; returns whether it is gone. */
  public static boolean deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return true;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // Reported through the return value below.
        }
      });
    } catch (IOException e) {
      return false;
    }
    return !Files.exists(dir);
  }
}
