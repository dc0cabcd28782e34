package dev.mclease.bench;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The fabric8 mock web server under the embedded clusters logs every request at java.util.logging INFO; on a
 * benchmark that is thousands of lines a second and real CPU taken from the systems measured. Turned down to
 * WARNING in every fork before anything starts.
 */
public final class Quiet {

  /** Strong references: java.util.logging forgets the level of a logger that was garbage collected. */
  private static final Logger[] KEPT = {Logger.getLogger(""), Logger.getLogger("io.fabric8.mockwebserver")};

  private Quiet() {
  }

  public static void apply() {
    for (Logger l : KEPT) {
      l.setLevel(Level.WARNING);
    }
  }
}
