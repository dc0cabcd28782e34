package dev.mclease.testbed.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds (or installs once with npm) {@code dynalite} 4.0.0, an open-source DynamoDB emulator, and starts
 * {@link DynaliteServer}s from it. The package is looked for in {@code mclease.dynalite.dir} or, by default, in
 * {@code .mcl/dynalite} of the repository this runs in (found by walking up from the working directory to the
 * directory holding {@code mcl}), where {@code ./mcl} installs it; when it is missing and {@code npm} is there, it
 * is installed into that directory once, so later runs work offline.
 */
public final class DynaliteProvider {

  public static final String VERSION = "4.0.0";
  /** What to do when dynalite cannot be had. */
  public static final String INSTALL_HINT = "dynalite " + VERSION + " cannot be had: it needs 'node' (apt-get install"
      + " nodejs npm) and, once, 'npm install --prefix .mcl/dynalite dynalite@" + VERSION + "' (./mcl does both)";
  private static final Logger LOG = LoggerFactory.getLogger(DynaliteProvider.class);

  private DynaliteProvider() {
  }

  /** Where the dynalite package lives (or will be installed). */
  public static Path directory() {
    String configured = System.getProperty("mclease.dynalite.dir");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("mcl")) && Files.isRegularFile(d.resolve("pom.xml"))) {
        return d.resolve(".mcl/dynalite");
      }
    }
    return Path.of(System.getProperty("user.home"), ".mcl", "dynalite");
  }

  /** The dynalite CLI, installing it first when npm can; empty (with the reason logged) when it cannot be had. */
  public static Optional<Path> findOrInstall() {
    if (!onPath("node")) {
      LOG.warn("no 'node' on PATH: dynalite cannot run");
      return Optional.empty();
    }
    Path dir = directory();
    Path cli = dir.resolve("node_modules/dynalite/cli.js");
    if (Files.isRegularFile(cli)) {
      return Optional.of(cli);
    }
    if (!onPath("npm")) {
      LOG.warn("dynalite is not in {} and there is no 'npm' to install it", dir);
      return Optional.empty();
    }
    try {
      Files.createDirectories(dir);
      Process p = new ProcessBuilder("npm", "install", "--prefix", dir.toString(), "--no-audit", "--no-fund",
          "dynalite@" + VERSION).redirectErrorStream(true).start();
      boolean done = p.waitFor(3, TimeUnit.MINUTES);
      String out = done ? new String(p.getInputStream().readAllBytes()) : "(timed out)";
      if (!done || p.exitValue() != 0) {
        p.destroyForcibly();
        LOG.warn("npm install dynalite@{} into {} failed: {}", VERSION, dir, out);
        return Optional.empty();
      }
    } catch (IOException e) {
      LOG.warn("npm install dynalite failed: {}", e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    return Files.isRegularFile(cli) ? Optional.of(cli) : Optional.empty();
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
  }

  /**
   * Starts dynalite on a free loopback port with its data in a temp directory.
   *
   * @throws IllegalStateException naming the install step when dynalite cannot be had, or when it does not listen
   */
  public static DynaliteServer start() {
    Path cli = findOrInstall().orElseThrow(() -> new IllegalStateException(INSTALL_HINT));
    return DynaliteServer.start(cli);
  }
}
