package dev.mclease.controller.backend.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ContenderExpiryTest {

  private static final Duration G = Duration.ofSeconds(10);

  private final AtomicLong now = new AtomicLong(1_000);
  private final Map<String, ContenderExpiry.Observed> records = new HashMap<>();
  private final List<String> marks = new ArrayList<>();
  private boolean markWins = true;

  private final ContenderExpiry expiry = new ContenderExpiry(new ContenderExpiry.Records() {
    @Override
    public ContenderExpiry.Observed read(String session) {
      return records.getOrDefault(session, ContenderExpiry.Observed.goneNow());
    }

    @Override
    public boolean markDead(String session, String version) {
      marks.add(session + "@" + version);
      return markWins;
    }
  }, G, now::get, LoggerFactory.getLogger(ContenderExpiryTest.class));

  @Test
  void aMissingOrMarkedSessionIsDeadAtOnce() throws Exception {
    assertThat(expiry.dead("nobody")).isTrue();
    records.put("s", ContenderExpiry.Observed.goneNow());
    assertThat(expiry.dead("s")).isTrue();
    assertThat(marks).isEmpty();
  }

  @Test
  void aVersionStandingStillForGOnThisClockIsMarkedDeadAtThatVersion() throws Exception {
    records.put("s", ContenderExpiry.Observed.at("5"));
    assertThat(expiry.dead("s")).as("first sight").isFalse();
    now.addAndGet(G.toNanos() - 1);
    assertThat(expiry.dead("s")).as("1 ns short of G").isFalse();
    now.addAndGet(1);
    assertThat(expiry.dead("s")).isTrue();
    assertThat(marks).containsExactly("s@5");
  }

  @Test
  void aRenewalRestartsTheWait() throws Exception {
    records.put("s", ContenderExpiry.Observed.at("5"));
    expiry.dead("s");
    now.addAndGet(G.toNanos() - 1);
    records.put("s", ContenderExpiry.Observed.at("6"));
    assertThat(expiry.dead("s")).isFalse();
    now.addAndGet(G.toNanos() - 1);
    assertThat(expiry.dead("s")).as("G since 6 was first seen has not passed").isFalse();
    now.addAndGet(1);
    assertThat(expiry.dead("s")).isTrue();
    assertThat(marks).containsExactly("s@6");
  }

  @Test
  void aMarkLostToARacingRenewalIsNotDeath() throws Exception {
    records.put("s", ContenderExpiry.Observed.at("5"));
    expiry.dead("s");
    now.addAndGet(G.toNanos());
    markWins = false;
    assertThat(expiry.dead("s")).isFalse();
  }

  @Test
  void wallClocksNeverEnter() throws Exception {
    // The clock handed in is the only time source: with it frozen, no amount of real time makes a session dead.
    records.put("s", ContenderExpiry.Observed.at("5"));
    for (int i = 0; i < 100; i++) {
      assertThat(expiry.dead("s")).isFalse();
    }
  }
}
