package dev.mclease.crd;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Written only by the election controller of the cluster, through the {@code /status} subresource.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MultiClusterLeaseStatus {

  @JsonPropertyDescription("holderIdentity of the confirmed global leader, wherever it runs; empty when none is known.")
  private String leader;

  @JsonPropertyDescription("When the leader's global lock was acquired.")
  @SchemaFrom(type = String.class)
  private MicroTime acquireTime;

  @JsonPropertyDescription("Leader, BackendReachable, CandidateAlive.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Strictly increasing per acquisition of the global lock; fence writes with it.")
  private Long fencingToken;

  @JsonPropertyDescription("The spec.renewTime that the controller last confirmed while holding the global lock.")
  @SchemaFrom(type = String.class)
  private MicroTime observedRenewTime;

  @JsonPropertyDescription("How long, at most, the echo of observedRenewTime lets its writer lead, in milliseconds, "
      + "counted from the writer's own write of that heartbeat: the controller's certainty window when it echoed "
      + "(heldUntil - now - safetyMargin), capped by spec.renewDeadlineMilliseconds. A candidate leads until "
      + "t0(T) + min(its renewDeadline, this).")
  private Long confirmationWindowMilliseconds;

  @JsonPropertyDescription("The cluster the global leader runs in.")
  private String leaderCluster;

  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;

  public String getLeader() {
    return leader;
  }

  public void setLeader(String leader) {
    this.leader = leader;
  }

  public MicroTime getAcquireTime() {
    return acquireTime;
  }

  public void setAcquireTime(MicroTime acquireTime) {
    this.acquireTime = acquireTime;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions == null ? new ArrayList<>() : conditions;
  }

  public Long getFencingToken() {
    return fencingToken;
  }

  public void setFencingToken(Long fencingToken) {
    this.fencingToken = fencingToken;
  }

  public MicroTime getObservedRenewTime() {
    return observedRenewTime;
  }

  public void setObservedRenewTime(MicroTime observedRenewTime) {
    this.observedRenewTime = observedRenewTime;
  }

  public Long getConfirmationWindowMilliseconds() {
    return confirmationWindowMilliseconds;
  }

  public void setConfirmationWindowMilliseconds(Long confirmationWindowMilliseconds) {
    this.confirmationWindowMilliseconds = confirmationWindowMilliseconds;
  }

  public String getLeaderCluster() {
    return leaderCluster;
  }

  public void setLeaderCluster(String leaderCluster) {
    this.leaderCluster = leaderCluster;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  /** The condition of the given type, if the controller has written one. */
  @JsonIgnore
  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof MultiClusterLeaseStatus)) {
      return false;
    }
    MultiClusterLeaseStatus that = (MultiClusterLeaseStatus) o;
    return Objects.equals(leader, that.leader) && Objects.equals(acquireTime, that.acquireTime)
        && Objects.equals(conditions, that.conditions) && Objects.equals(fencingToken, that.fencingToken)
        && Objects.equals(observedRenewTime, that.observedRenewTime)
        && Objects.equals(confirmationWindowMilliseconds, that.confirmationWindowMilliseconds)
        && Objects.equals(leaderCluster, that.leaderCluster)
        && Objects.equals(observedGeneration, that.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(leader, acquireTime, conditions, fencingToken, observedRenewTime,
        confirmationWindowMilliseconds, leaderCluster, observedGeneration);
  }

  @Override
  public String toString() {
    return "MultiClusterLeaseStatus{leader=" + leader + ", leaderCluster=" + leaderCluster + ", fencingToken="
        + fencingToken + ", observedRenewTime=" + (observedRenewTime == null ? null : observedRenewTime.getTime())
        + ", confirmationWindowMilliseconds=" + confirmationWindowMilliseconds
        + ", conditions=" + conditions + "}";
  }
}
