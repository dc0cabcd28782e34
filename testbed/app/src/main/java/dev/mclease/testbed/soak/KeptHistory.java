package dev.mclease.testbed.soak;

import dev.mclease.testbed.history.History;
import dev.mclease.testbed.history.HistoryChecker.Verdict;
import dev.mclease.testbed.history.TimelineRenderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The evidence a failed history leaves: history.jsonl, timeline.svg and the checker's verdict.txt in one folder. */
public final class KeptHistory {

  private KeptHistory() {
  }

  /** Writes the files into {@code dir} (created); {@code verdict} may be null when the history was not judged. */
  public static Path write(History history, Path dir, Verdict verdict) {
    try {
      Files.createDirectories(dir);
      history.writeJsonLines(dir.resolve("history.jsonl"));
      TimelineRenderer.writeSvg(history, dir.resolve("timeline.svg"));
      if (verdict != null) {
        Files.writeString(dir.resolve("verdict.txt"), verdict + System.lineSeparator(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
