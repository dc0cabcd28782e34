package dev.mclease.crd;

import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * metav1.MicroTime as the API server writes it: RFC 3339 in UTC with exactly six fractional digits,
 * e.g. {@code 2026-11-24T10:15:30.123456Z}. Heartbeats are compared by equality of these strings, so the
 * format must be stable and carry microseconds.
 */
public final class MicroTimes {

  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private MicroTimes() {
  }

  /** The instant, truncated to microseconds, as a MicroTime. */
  public static MicroTime of(Instant instant) {
    return new MicroTime(FORMAT.format(instant.truncatedTo(ChronoUnit.MICROS)));
  }

  /** Parses any RFC 3339 form (with or without fraction or offset); null for null. */
  public static Instant toInstant(MicroTime microTime) {
    if (microTime == null || microTime.getTime() == null || microTime.getTime().isEmpty()) {
      return null;
    }
    try {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(microTime.getTime(), Instant::from);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not an RFC 3339 MicroTime: '" + microTime.getTime() + "'", e);
    }
  }
}
