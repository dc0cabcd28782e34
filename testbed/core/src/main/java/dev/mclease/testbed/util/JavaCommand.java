package dev.mclease.testbed.util;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs a main class of this JVM's own class path (under surefire, the booter
 * jar whose manifest names every dependency), for the testbed's candidates and controllers as OS processes.
 */
public final class JavaCommand {

  private JavaCommand() {
  }

  /**
   * {@code java -Xmx<heap> -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp <this class path> <main>}: a small JVM that
   * starts in about a second (C1 only) and does not compete with the testbed for cores (serial GC).
   */
  public static List<String> of(String mainClass, String maxHeap) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        mainClass));
    return cmd;
  }
}
