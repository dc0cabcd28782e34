package dev.mclease.controller.backend.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendListeners;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The session lifecycle on a scripted store and a fake monotonic clock (docs/safety.md, invariant 6). */
class SessionKeeperTest {

  private static final Logger LOG = LoggerFactory.getLogger(SessionKeeperTest.class);
  private static final long G = Duration.ofSeconds(10).toNanos();

  private final AtomicLong now = new AtomicLong(5_000);
  private final FakeStore store = new FakeStore();
  private final BackendListeners listeners = new BackendListeners(LOG);
  private final AtomicInteger changes = new AtomicInteger();
  private final SessionKeeper<String> keeper = new SessionKeeper<>(store, listeners, now::get, LOG);

  {
    listeners.onSessionChange(changes::incrementAndGet);
  }

  /** Answers open/renew as scripted; records every call. */
  private final class FakeStore implements SessionStore<String> {
    final List<String> calls = new ArrayList<>();
    int opened;
    Supplier<Renewal> renewal = () -> Renewal.renewed(G);
    /** Time that passes while a renewal is in flight (its answer arrives that much after its send instant). */
    long renewTakes;
    boolean unreachable;

    @Override
    public String storeName() {
      return "fake";
    }

    @Override
    public Opened<String> open() throws BackendException {
      if (unreachable) {
        throw new BackendException("unreachable");
      }
      String s = "s" + ++opened;
      calls.add("open " + s);
      return new Opened<>(s, G, "G");
    }

    @Override
    public Renewal renew(String session) throws BackendException {
      calls.add("renew " + session);
      now.addAndGet(renewTakes);
      if (unreachable) {
        throw new BackendException("unreachable");
      }
      return renewal.get();
    }

    @Override
    public void end(String session) throws BackendException {
      if (unreachable) {
        throw new BackendException("unreachable");
      }
      calls.add("end " + session);
    }
  }

  @Test
  void heldUntilIsTheSendInstantOfTheLastAnsweredRenewalPlusG() throws Exception {
    long opened = now.get();
    assertThat(keeper.acquireSession()).isEqualTo("s1");
    assertThat(keeper.heldUntilNanos()).isEqualTo(opened + G);
    now.addAndGet(3_000);
    long send = now.get();
    store.renewTakes = 2_000;
    keeper.tick();
    assertThat(keeper.heldUntilNanos()).as("send instant, not answer instant").isEqualTo(send + G);
    assertThat(keeper.health().reachable()).isTrue();
  }

  @Test
  void anAnswerArrivingAfterHeldUntilDoesNotReviveTheSessionAndItIsEndedBeforeTheNextOpens() throws Exception {
    keeper.acquireSession();
    keeper.grants().put("ns/a", 7);
    store.renewTakes = G + 1; // sent in time, answered after heldUntil (a paused process, a stuck link)
    keeper.tick();
    assertThat(keeper.current()).isNull();
    assertThat(keeper.heldUntilNanos()).isEqualTo(Long.MIN_VALUE);
    assertThat(keeper.grants().known("ns/a")).as("a lapse is final").isNull();
    assertThat(keeper.health().detail()).contains("heldUntil ran out");

    store.renewTakes = 0;
    assertThat(keeper.acquireSession()).isEqualTo("s2");
    assertThat(store.calls).containsExactly("open s1", "renew s1", "end s1", "open s2");
  }

  @Test
  void noAnsweredRenewalBeforeHeldUntilLosesTheSession() throws Exception {
    keeper.acquireSession();
    store.unreachable = true;
    keeper.tick();
    assertThat(keeper.current()).as("still inside heldUntil").isEqualTo("s1");
    assertThat(keeper.health().reachable()).isFalse();
    now.addAndGet(G);
    keeper.tick();
    assertThat(keeper.current()).isNull();
    assertThatThrownBy(keeper::acquireSession).isInstanceOf(BackendException.class);
    store.unreachable = false;
    assertThat(keeper.acquireSession()).isEqualTo("s2");
    assertThat(store.calls).as("the lost session could not be ended while unreachable; it expires by itself")
        .endsWith("renew s1", "open s2");
  }

  @Test
  void aSessionTheStoreSaysIsGoneIsNotEndedAgain() throws Exception {
    keeper.acquireSession();
    store.renewal = () -> Renewal.gone("declared dead by a contender");
    keeper.tick();
    assertThat(keeper.current()).isNull();
    assertThat(keeper.health().detail()).contains("declared dead");
    store.renewal = () -> Renewal.renewed(G);
    keeper.tick(); // no session: the tick opens one
    assertThat(keeper.current()).isEqualTo("s2");
    assertThat(store.calls).containsExactly("open s1", "renew s1", "open s2");
  }

  @Test
  void anInconclusiveAnswerExtendsNothing() throws Exception {
    keeper.acquireSession();
    long held = keeper.heldUntilNanos();
    store.renewal = () -> Renewal.inconclusive("lost a CAS to our own write");
    now.addAndGet(G / 2);
    keeper.tick();
    assertThat(keeper.heldUntilNanos()).isEqualTo(held);
    now.addAndGet(G / 2);
    keeper.tick();
    assertThat(keeper.current()).as("lapsed meanwhile").isNull();
  }

  @Test
  void releaseAllEndsTheSessionAndNoneOpensUntilTheNextAcquisition() throws Exception {
    keeper.acquireSession();
    keeper.grants().put("ns/a", 7);
    keeper.releaseAll();
    assertThat(keeper.grants().known("ns/a")).isNull();
    keeper.tick();
    assertThat(keeper.current()).as("suspended").isNull();
    assertThat(keeper.acquireSession()).isEqualTo("s2");
    assertThat(store.calls).containsExactly("open s1", "end s1", "open s2");
  }

  @Test
  void listenersHearOfOpensLossesAndRecoveriesButNotOfRoutineRenewals() throws Exception {
    keeper.acquireSession();
    assertThat(changes.get()).isEqualTo(1);
    keeper.tick();
    keeper.tick();
    assertThat(changes.get()).as("routine renewals").isEqualTo(1);
    store.unreachable = true;
    keeper.tick();
    assertThat(changes.get()).isEqualTo(2);
    store.unreachable = false;
    keeper.tick();
    assertThat(changes.get()).as("renewed again").isEqualTo(3);
  }

  @Test
  void theStoreCanSayTheSessionIsGoneWhileAcquiring() throws Exception {
    keeper.acquireSession();
    keeper.lost("s1", "lease not found");
    assertThat(keeper.current()).isNull();
    assertThat(keeper.acquireSession()).isEqualTo("s2");
    assertThat(store.calls).as("nothing to end").containsExactly("open s1", "open s2");
  }
}
