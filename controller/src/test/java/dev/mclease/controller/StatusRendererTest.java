package dev.mclease.controller;

import static dev.mclease.controller.RecordingOutput.reason;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mclease.controller.backend.BackendHealth;
import dev.mclease.controller.backend.Held;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.crd.Conditions;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.crd.MultiClusterLeaseStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The status renderer alone: the same view always gives the same status, and it writes down what was decided. */
class StatusRendererTest {

  private static final long MS = 1_000_000L;
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:07.250Z");
  private static final MicroTime T1 = new MicroTime("2026-03-01T10:00:01.000000Z");
  private final ControllerConfig cfg = ControllerConfig.shortTimings("east");
  private final StatusRenderer renderer = new StatusRenderer(cfg, EchoRule.of(cfg));
  private final Acquisition mine = new Acquisition("pod-a", "i-1", 42, Instant.parse("2026-03-01T10:00:00Z"));
  private final Held west = new Held(new LockValue("pod-w", "west", Instant.parse("2026-03-01T09:00:00Z")), 41);

  private CandidateView candidate(boolean stopping) {
    MultiClusterLeaseSpec spec = new MultiClusterLeaseSpec("pod-a", 2, T1, 1500L, "i-1");
    return CandidateView.of(spec, 0, 100 * MS, false, stopping);
  }

  @ParameterizedTest(name = "{0}, rule holds {1}, reachable {2}, echoed {3} -> Leader {4}, BackendReachable {5}")
  @CsvSource({
      // state, echo rule holds, backend reachable, echoed, Leader, BackendReachable, leader, token
      "HOLDING,    true,  true,  true,  True/GlobalLockAcquired,    True/BackendOK,           pod-a, 42",
      "HOLDING,    false, true,  true,  False/BackendUnreachable,   False/BackendUnreachable, pod-a, 42",
      "HOLDING,    false, false, false, False/BackendUnreachable,   False/BackendUnreachable, pod-a, 42",
      "RELEASING,  false, true,  true,  False/Released,             True/BackendOK,           pod-a, 42",
      "FOLLOWING,  false, true,  false, False/GlobalLockHeldElsewhere, True/BackendOK,        pod-w, 41",
      "CONTENDING, false, true,  false, False/NoCandidate,          True/BackendOK,           '',    ",
      "CONTENDING, false, false, false, False/BackendUnreachable,   False/BackendUnreachable, '',    ",
  })
  void rendersWhatTheStateSays(LeaseState state, boolean ruleHolds, boolean reachable, boolean echoed, String leader,
      String backendReachable, String leaderName, Long token) {
    LastEcho echo = echoed ? new LastEcho(T1, 0, 1499_999_999L) : null;
    boolean holds = state == LeaseState.HOLDING || state == LeaseState.RELEASING;
    StatusRenderer.View v = new StatusRenderer.View(3, state, candidate(false), false, holds ? mine : null, echo,
        ruleHolds, state == LeaseState.FOLLOWING ? west : null, null,
        reachable ? BackendHealth.ok() : BackendHealth.unreachable("cut off"), null);

    MultiClusterLeaseStatus st = renderer.render(v, Map.of(), NOW);

    assertThat(reason(st, Conditions.LEADER)).isEqualTo(leader);
    assertThat(reason(st, Conditions.BACKEND_REACHABLE)).isEqualTo(backendReachable);
    assertThat(reason(st, Conditions.CANDIDATE_ALIVE)).isEqualTo("True/Heartbeating");
    assertThat(reason(st, Conditions.RENEW_DEADLINE_COVERED)).isEqualTo("True/WithinLockCover");
    assertThat(st.getLeader()).isEqualTo(leaderName);
    assertThat(st.getFencingToken()).isEqualTo(token);
    assertThat(st.getObservedRenewTime()).isEqualTo(echoed ? T1 : null);
    assertThat(st.getConfirmationWindowMilliseconds()).as("rounded down").isEqualTo(echoed ? 1499L : null);
    assertThat(st.getObservedGeneration()).isEqualTo(3);
    assertThat(renderer.render(v, Map.of(), NOW)).as("no hidden state").isEqualTo(st);
  }

  @Test
  void keepsLastTransitionTimeWhileAConditionsStatusStaysAndLeavesItsInputsAlone() {
    StatusRenderer.View v = new StatusRenderer.View(3, LeaseState.HOLDING, candidate(false), false, mine,
        new LastEcho(T1, 0, 1500 * MS), true, null, null, BackendHealth.ok(), null);
    Map<String, Condition> previous = new HashMap<>();
    previous.put(Conditions.LEADER, new ConditionBuilder().withType(Conditions.LEADER).withStatus(Conditions.TRUE)
        .withLastTransitionTime("2026-03-01T09:00:00Z").build());
    previous.put(Conditions.BACKEND_REACHABLE, new ConditionBuilder().withType(Conditions.BACKEND_REACHABLE)
        .withStatus(Conditions.FALSE).withLastTransitionTime("2026-03-01T09:00:00Z").build());
    Map<String, Condition> before = Map.copyOf(previous);

    MultiClusterLeaseStatus st = renderer.render(v, previous, NOW);

    assertThat(st.condition(Conditions.LEADER).orElseThrow().getLastTransitionTime())
        .isEqualTo("2026-03-01T09:00:00Z");
    assertThat(st.condition(Conditions.BACKEND_REACHABLE).orElseThrow().getLastTransitionTime())
        .as("status changed: now, whole seconds").isEqualTo("2026-03-01T10:00:07Z");
    assertThat(previous).isEqualTo(before);
  }

  @Test
  void whileStoppingNothingIsContended() {
    StatusRenderer.View v = new StatusRenderer.View(1, LeaseState.IDLE, candidate(true), true, null, null, false,
        null, null, BackendHealth.ok(), null);
    MultiClusterLeaseStatus st = renderer.render(v, Map.of(), NOW);
    assertThat(reason(st, Conditions.LEADER)).isEqualTo("False/Released");
    assertThat(st.condition(Conditions.LEADER).orElseThrow().getMessage()).contains("shutting down");
  }
}
