package dev.mclease.testbed.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the {@code fake-gcs-server} binary (an open-source GCS emulator, built once per machine from its Go module by
 * {@code ./mcl}, see testbed/fake-gcs/ensure.sh) and starts {@link FakeGcsServer}s from it. Looked for, in this order:
 * system property {@code mclease.fakegcs.binary}, environment {@code MCL_FAKE_GCS_SERVER} (what {@code ./mcl}
 * exports), the cache {@code ${XDG_CACHE_HOME:-~/.cache}/mclease/fake-gcs-server/current/fake-gcs-server}, PATH.
 * It never builds or downloads anything itself: a test without it is skipped with {@link #INSTALL_HINT}.
 */
public final class FakeGcsProvider {

  /** The module version {@code ./mcl} builds. */
  public static final String VERSION = "v1.56.1";
  /** What to do when the emulator cannot be had. */
  public static final String INSTALL_HINT = "fake-gcs-server " + VERSION + " not found: ./mcl test (or `source"
      + " testbed/fake-gcs/ensure.sh && ensure_fake_gcs`) builds it once from its Go module into"
      + " ~/.cache/mclease/fake-gcs-server (needs Go 1.26 and the Go module proxy); or set MCL_FAKE_GCS_SERVER";
  private static final Logger LOG = LoggerFactory.getLogger(FakeGcsProvider.class);

  private FakeGcsProvider() {
  }

  /** The emulator binary; empty (with where it was looked for logged) when there is none. */
  public static Optional<Path> find() {
    for (String configured : new String[] {System.getProperty("mclease.fakegcs.binary"),
        System.getenv("MCL_FAKE_GCS_SERVER")}) {
      if (configured != null && !configured.isBlank()) {
        Path p = Path.of(configured);
        if (Files.isExecutable(p)) {
          return Optional.of(p.toAbsolutePath());
        }
        LOG.warn("{} is not an executable file; looking further", p);
      }
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache = (xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg))
        .resolve("mclease/fake-gcs-server/current/fake-gcs-server");
    if (Files.isExecutable(cache)) {
      return Optional.of(cache);
    }
    String path = System.getenv("PATH");
    Optional<Path> onPath = path == null ? Optional.empty() : Stream.of(path.split(":"))
        .map(d -> Path.of(d, "fake-gcs-server")).filter(Files::isExecutable).findFirst();
    if (onPath.isEmpty()) {
      LOG.warn("no fake-gcs-server (looked at mclease.fakegcs.binary, MCL_FAKE_GCS_SERVER, {} and PATH)", cache);
    }
    return onPath;
  }

  /**
   * Starts the emulator on a free loopback port with its objects in a temp directory.
   *
   * @throws IllegalStateException naming the build step when the emulator cannot be had, or when it does not listen
   */
  public static FakeGcsServer start() {
    return FakeGcsServer.start(find().orElseThrow(() -> new IllegalStateException(INSTALL_HINT)));
  }
}
