package dev.mclease.testbed.util;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs a main class of this JVM's own class path (under surefire, the booter
 * jar whose manifest names every dependency), for the testbed's candidates and controllers as OS processes.
 */
public final class JavaCommand {

  /** The child's logback configuration, a resource of testbed/core: stderr, INFO for the project's loggers. */
  public static final String LOGBACK = "mclease-child-logback.xml";

  private JavaCommand() {
  }

  /**
   * {@code java -Xmx<heap> -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlogback.configurationFile=<LOGBACK> -cp <this
   * class path> <main>}: a small JVM that starts in about a second (C1 only), does not compete with the testbed for
   * cores (serial GC) and logs to its stderr.
   */
  public static List<String> of(String mainClass, String maxHeap) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        // its own logging config: a logback-test.xml on the inherited class path would write the parent's log file
        "-Dlogback.configurationFile=" + LOGBACK, "-cp", System.getProperty("java.class.path"), mainClass));
    return cmd;
  }
}
