package dev.mclease.testbed.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds Debian's PostgreSQL server binaries ({@code /usr/lib/postgresql/<v>/bin}) and starts throw-away
 * {@link PostgresServer}s from them.
 */
public final class PostgresProvider {

  /** What to do when no server binaries are found. */
  public static final String INSTALL_HINT = "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install"
      + " the Debian package 'postgresql' (apt-get install postgresql; ./mcl does it for you)";

  private PostgresProvider() {
  }

  /** The newest {@code /usr/lib/postgresql/<v>/bin} holding initdb, if any. */
  public static Optional<Path> findBinaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString(), PostgresProvider::compareVersions));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int compareVersions(String a, String b) {
    try {
      return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  /** Whether {@link #start()} can find binaries on this machine. */
  public static boolean available() {
    return findBinaries().isPresent();
  }

  /**
   * initdb + start on a free loopback port.
   *
   * @throws IllegalStateException naming the install step when there are no binaries, or when the server does
   *     not come up
   */
  public static PostgresServer start() {
    Path bin = findBinaries().orElseThrow(() -> new IllegalStateException(INSTALL_HINT));
    return PostgresServer.start(bin);
  }
}
