package dev.mclease.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.MicroTime;
import java.util.Objects;

/**
 * Written only by candidates: the local election, run like a {@code coordination.k8s.io} Lease, each write a
 * compare-and-swap on the spec it decided on (JSON Patch tests, docs/protocol.md rule 1).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MultiClusterLeaseSpec {

  /** Longest holder identity a candidate may write (a DNS subdomain, like a pod name). */
  public static final int MAX_HOLDER_IDENTITY_LENGTH = 253;
  public static final int MIN_LEASE_DURATION_SECONDS = 1;
  public static final int MAX_LEASE_DURATION_SECONDS = 3600;
  /** Longest holderInstance a candidate may write (the client writes a 36-character UUID). */
  public static final int MAX_HOLDER_INSTANCE_LENGTH = 64;

  @JsonPropertyDescription("The local candidate currently heartbeating; empty means released.")
  @Size(max = MAX_HOLDER_IDENTITY_LENGTH)
  private String holderIdentity;

  @JsonPropertyDescription("How long a heartbeat counts, in seconds, as observed on the reader's own clock.")
  @Min(MIN_LEASE_DURATION_SECONDS)
  @Max(MAX_LEASE_DURATION_SECONDS)
  private Integer leaseDurationSeconds;

  @JsonPropertyDescription("The holder's last heartbeat (RFC 3339, microseconds).")
  @SchemaFrom(type = String.class)
  private MicroTime renewTime;

  @JsonPropertyDescription("The holder's renewDeadline in milliseconds: how long it would lead on one confirmed "
      + "heartbeat. The controller caps each confirmation's window by it and sizes its release wait to it; absent "
      + "(clients before 0.2) means the controller's --candidate-renew-deadline.")
  @Min(1)
  private Long renewDeadlineMilliseconds;

  @JsonPropertyDescription("Random per lock instance (process) of the holder: a new value under the same "
      + "holderIdentity is a restart, which the controller turns into a new acquisition with a larger fencing token.")
  @Size(max = MAX_HOLDER_INSTANCE_LENGTH)
  private String holderInstance;

  public MultiClusterLeaseSpec() {
  }

  public MultiClusterLeaseSpec(String holderIdentity, Integer leaseDurationSeconds, MicroTime renewTime) {
    this.holderIdentity = holderIdentity;
    this.leaseDurationSeconds = leaseDurationSeconds;
    this.renewTime = renewTime;
  }

  /** The spec of a candidate that also publishes its renew deadline and its lock instance (clients ≥ 0.2). */
  public MultiClusterLeaseSpec(String holderIdentity, Integer leaseDurationSeconds, MicroTime renewTime,
      Long renewDeadlineMilliseconds, String holderInstance) {
    this(holderIdentity, leaseDurationSeconds, renewTime);
    this.renewDeadlineMilliseconds = renewDeadlineMilliseconds;
    this.holderInstance = holderInstance;
  }

  public String getHolderIdentity() {
    return holderIdentity;
  }

  public void setHolderIdentity(String holderIdentity) {
    this.holderIdentity = holderIdentity;
  }

  public Integer getLeaseDurationSeconds() {
    return leaseDurationSeconds;
  }

  public void setLeaseDurationSeconds(Integer leaseDurationSeconds) {
    this.leaseDurationSeconds = leaseDurationSeconds;
  }

  public MicroTime getRenewTime() {
    return renewTime;
  }

  public void setRenewTime(MicroTime renewTime) {
    this.renewTime = renewTime;
  }

  public Long getRenewDeadlineMilliseconds() {
    return renewDeadlineMilliseconds;
  }

  public void setRenewDeadlineMilliseconds(Long renewDeadlineMilliseconds) {
    this.renewDeadlineMilliseconds = renewDeadlineMilliseconds;
  }

  public String getHolderInstance() {
    return holderInstance;
  }

  public void setHolderInstance(String holderInstance) {
    this.holderInstance = holderInstance;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof MultiClusterLeaseSpec)) {
      return false;
    }
    MultiClusterLeaseSpec that = (MultiClusterLeaseSpec) o;
    return Objects.equals(holderIdentity, that.holderIdentity)
        && Objects.equals(leaseDurationSeconds, that.leaseDurationSeconds)
        && Objects.equals(renewTime, that.renewTime)
        && Objects.equals(renewDeadlineMilliseconds, that.renewDeadlineMilliseconds)
        && Objects.equals(holderInstance, that.holderInstance);
  }

  @Override
  public int hashCode() {
    return Objects.hash(holderIdentity, leaseDurationSeconds, renewTime, renewDeadlineMilliseconds, holderInstance);
  }

  @Override
  public String toString() {
    return "MultiClusterLeaseSpec{holderIdentity=" + holderIdentity + ", leaseDurationSeconds="
        + leaseDurationSeconds + ", renewTime=" + (renewTime == null ? null : renewTime.getTime())
        + ", renewDeadlineMilliseconds=" + renewDeadlineMilliseconds + ", holderInstance=" + holderInstance + "}";
  }
}
