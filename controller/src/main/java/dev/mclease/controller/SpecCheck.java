package dev.mclease.controller;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLeaseSpec;

/** Whether a spec can be served, and if not, what is wrong and what to do (condition {@code InvalidSpec}). */
final class SpecCheck {

  private SpecCheck() {
  }

  /** Null when the spec can be served; else what is wrong and what to do. */
  static String problem(MultiClusterLeaseSpec spec) {
    if (spec == null) {
      return "spec is missing: candidates must write spec.holderIdentity, spec.leaseDurationSeconds and "
          + "spec.renewTime";
    }
    Integer l = spec.getLeaseDurationSeconds();
    if (l == null || l < MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS
        || l > MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS) {
      return "spec.leaseDurationSeconds is " + l + ": it must be between "
          + MultiClusterLeaseSpec.MIN_LEASE_DURATION_SECONDS + " and " + MultiClusterLeaseSpec.MAX_LEASE_DURATION_SECONDS
          + "; fix the candidate's configuration (and apply the CRD, whose schema rejects such values)";
    }
    String h = spec.getHolderIdentity();
    if (h != null && h.length() > MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH) {
      return "spec.holderIdentity is " + h.length() + " characters long: at most "
          + MultiClusterLeaseSpec.MAX_HOLDER_IDENTITY_LENGTH + " are allowed; use a shorter identity such as the"
          + " pod name";
    }
    if (h != null && !h.isEmpty()) {
      if (spec.getRenewTime() == null) {
        return "spec.renewTime is missing while holderIdentity is " + h + ": candidates must write it with every"
            + " heartbeat";
      }
      try {
        MicroTimes.toInstant(spec.getRenewTime());
      } catch (IllegalArgumentException e) {
        return "spec.renewTime is not an RFC 3339 MicroTime ('" + spec.getRenewTime().getTime() + "'); candidates"
            + " must write e.g. 2026-01-02T03:04:05.123456Z";
      }
    }
    return null;
  }
}
