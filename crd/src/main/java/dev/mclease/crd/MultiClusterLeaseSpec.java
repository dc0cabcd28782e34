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
 * Written only by candidates: the local election, run like a {@code coordination.k8s.io} Lease with
 * optimistic concurrency on {@code metadata.resourceVersion}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MultiClusterLeaseSpec {

  /** Longest holder identity a candidate may write (a DNS subdomain, like a pod name). */
  public static final int MAX_HOLDER_IDENTITY_LENGTH = 253;
  public static final int MIN_LEASE_DURATION_SECONDS = 1;
  public static final int MAX_LEASE_DURATION_SECONDS = 3600;

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

  public MultiClusterLeaseSpec() {
  }

  public MultiClusterLeaseSpec(String holderIdentity, Integer leaseDurationSeconds, MicroTime renewTime) {
    this.holderIdentity = holderIdentity;
    this.leaseDurationSeconds = leaseDurationSeconds;
    this.renewTime = renewTime;
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
        && Objects.equals(renewTime, that.renewTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(holderIdentity, leaseDurationSeconds, renewTime);
  }

  @Override
  public String toString() {
    return "MultiClusterLeaseSpec{holderIdentity=" + holderIdentity + ", leaseDurationSeconds="
        + leaseDurationSeconds + ", renewTime=" + (renewTime == null ? null : renewTime.getTime()) + "}";
  }
}
