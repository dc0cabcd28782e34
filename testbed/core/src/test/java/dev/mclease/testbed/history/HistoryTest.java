package dev.mclease.testbed.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class HistoryTest {

  @Test
  void timesNeverDecreaseEvenIfTheClockDoes() {
    AtomicLong clock = new AtomicLong(1_000);
    History h = new History(clock::get);
    h.note("one");
    clock.set(500);
    h.note("two");
    assertThat(h.events()).extracting(HistoryEvent::tNanos).containsExactly(1_000L, 1_000L);
  }

  @Test
  void concurrentAppendsAreAllKeptInOrder() throws Exception {
    History h = new History();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int n = i;
      threads.add(new Thread(() -> {
        for (int j = 0; j < 500; j++) {
          h.note(n + "-" + j);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    List<HistoryEvent> events = h.events();
    assertThat(events).hasSize(2_000);
    for (int i = 1; i < events.size(); i++) {
      assertThat(events.get(i).tNanos()).isGreaterThanOrEqualTo(events.get(i - 1).tNanos());
    }
  }

  @Test
  void jsonLinesRoundTrip(@TempDir Path dir) throws Exception {
    History h = sample();
    Path file = dir.resolve("h/history.jsonl");
    h.writeJsonLines(file);
    assertThat(Files.readAllLines(file)).hasSize(h.events().size());
    History back = History.readJsonLines(file);
    assertThat(back.events()).isEqualTo(h.events());
  }

  @Test
  void timelineIsWellFormedSvg() throws Exception {
    History h = sample();
    Path file = Path.of("target", "timeline-sample.svg");
    TimelineRenderer.writeSvg(h, file);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    String svg = Files.readString(file);
    assertThat(svg).contains(">east<", ">west<", "#41", "#42", "class=\"fault\"", " s</text>",
        "partition east &amp; west");
    assertThat(doc.getElementsByTagName("rect").getLength()).isGreaterThanOrEqualTo(4);
  }

  private static History sample() throws Exception {
    AtomicLong now = new AtomicLong(0);
    History h = new History(now::get);
    long s = 1_000_000_000L;
    h.note("fleet <up>");
    now.set(s / 2);
    h.start("pod-a", "east", 41);
    h.confirmed("pod-a", "east", 41, 3 * s);
    now.set(2 * s);
    try (AutoCloseable fault = h.fault("partition east & west")) {
      now.set(4 * s);
      h.stop("pod-a", "east");
      h.start("pod-b", "west", 42);
      h.confirmed("pod-b", "west", 42, 9 * s);
      now.set(5 * s);
    }
    now.set(8 * s);
    h.note("end");
    assertThat(HistoryChecker.check(h, Duration.ofSeconds(5)).ok()).isTrue();
    return h;
  }
}
