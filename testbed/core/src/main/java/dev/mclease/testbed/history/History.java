package dev.mclease.testbed.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * An append-only, thread-safe record of leadership starts, confirmations and stops, faults and notes, stamped
 * with a monotonic clock. Event times never decrease in append order, even if callers race.
 * {@link HistoryChecker} judges it; {@link TimelineRenderer} draws it.
 */
public final class History {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final LongSupplier nanoTime;
  private final List<HistoryEvent> events = new ArrayList<>();
  private long lastNanos = Long.MIN_VALUE;

  /** A history stamped with {@link System#nanoTime()}. */
  public History() {
    this(System::nanoTime);
  }

  /** A history stamped with the given monotonic source (nanoseconds). */
  public History(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** {@code identity} in {@code cluster} started leading with fencing {@code token} (≤ 0 if unknown). */
  public void start(String identity, String cluster, long token) {
    start(identity, 0, cluster, token);
  }

  /**
   * Incarnation {@code incarnation} (≥ 1: which process of this identity, e.g. after a restart under the same name)
   * of {@code identity} started leading with fencing {@code token}. A new incarnation must come with a larger token.
   */
  public void start(String identity, int incarnation, String cluster, long token) {
    append(HistoryEvent.Type.START, identity, cluster, token, 0, null, incarnation);
  }

  /**
   * {@code identity}'s lock accepted a confirmation that keeps it leader until {@code validUntilNanos} (same
   * clock as this history) unless a later one extends it.
   */
  public void confirmed(String identity, String cluster, long token, long validUntilNanos) {
    append(HistoryEvent.Type.CONFIRMED, identity, cluster, token, validUntilNanos, null, 0);
  }

  /** {@code identity} heard onStopLeading. */
  public void stop(String identity, String cluster) {
    append(HistoryEvent.Type.STOP, identity, cluster, 0, 0, null, 0);
  }

  /** Records FAULT_START now and returns a handle whose {@code close()} records FAULT_END (once). */
  public AutoCloseable fault(String description) {
    append(HistoryEvent.Type.FAULT_START, null, null, 0, 0, description, 0);
    AtomicBoolean ended = new AtomicBoolean();
    return () -> {
      if (ended.compareAndSet(false, true)) {
        append(HistoryEvent.Type.FAULT_END, null, null, 0, 0, description, 0);
      }
    };
  }

  /** A free-text note on the timeline. */
  public void note(String text) {
    append(HistoryEvent.Type.NOTE, null, null, 0, 0, text, 0);
  }

  /** Appends a ready-made event (e.g. from another process's file); its time is kept as given. */
  public synchronized void append(HistoryEvent event) {
    events.add(event);
    lastNanos = Math.max(lastNanos, event.tNanos());
  }

  private synchronized void append(HistoryEvent.Type type, String identity, String cluster, long token,
      long validUntil, String detail, int incarnation) {
    long t = Math.max(nanoTime.getAsLong(), lastNanos);
    lastNanos = t;
    events.add(new HistoryEvent(t, type, identity, cluster, token, validUntil, detail, incarnation));
  }

  /** A snapshot of all events in append order. */
  public synchronized List<HistoryEvent> events() {
    return List.copyOf(events);
  }

  /** Writes one JSON object per line. */
  public void writeJsonLines(Path file) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (HistoryEvent e : events()) {
          w.write(JSON.writeValueAsString(e));
          w.newLine();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write history to " + file, e);
    }
  }

  /** Reads a file written by {@link #writeJsonLines}; blank lines are skipped. */
  public static History readJsonLines(Path file) {
    History h = new History();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          h.append(JSON.readValue(line, HistoryEvent.class));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read history from " + file, e);
    }
    return h;
  }
}
