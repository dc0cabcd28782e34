package dev.mclease.testbed.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Children of a JVM that died are killed by the next one; a record whose pid was recycled is not trusted. */
class ChildProcessesTest {

  @TempDir
  Path records;

  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor(10, TimeUnit.SECONDS);
    return p.pid();
  }

  @Test
  void anOrphanIsKilledAndARecycledPidIsLeftAlone() throws Exception {
    Process orphan = new ProcessBuilder("sleep", "60").start();
    Process stranger = new ProcessBuilder("sleep", "60").start();
    try {
      long deadOwner = deadPid();
      Files.writeString(records.resolve(deadOwner + "-" + orphan.pid()), ChildProcesses.recordOf(orphan.toHandle()));
      // Same pid, but another start time: the recorded process is gone and its pid now belongs to someone else.
      Files.writeString(records.resolve(deadOwner + "-" + stranger.pid()), "2001-01-01T00:00:00Z\nsleep");
      Path ownedByUs = records.resolve(ProcessHandle.current().pid() + "-" + stranger.pid());
      Files.writeString(ownedByUs, ChildProcesses.recordOf(stranger.toHandle()));

      ChildProcesses.reapOrphans(records);

      assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).as("the orphan was killed").isTrue();
      assertThat(stranger.isAlive()).isTrue();
      assertThat(ownedByUs).as("records of a live JVM stay").exists();
      assertThat(Files.list(records).count()).isEqualTo(1);
    } finally {
      orphan.destroyForcibly();
      stranger.destroyForcibly();
    }
  }
}
