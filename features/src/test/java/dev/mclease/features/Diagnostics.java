package dev.mclease.features;

import dev.mclease.controller.backend.etcd.EtcdBackendConfig;
import dev.mclease.crd.MultiClusterLease;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import java.util.stream.Collectors;

/** What a failed scenario leaves beside its history: each cluster's lease object and each candidate's view. */
final class Diagnostics {

  private Diagnostics() {
  }

  static String describe(Fleet fleet) {
    StringBuilder b = new StringBuilder();
    String key = EtcdBackendConfig.DEFAULT_KEY_PREFIX + "/" + fleet.namespace() + "/" + fleet.leaseName();
    try (Client etcd = Client.builder().endpoints(fleet.etcd().endpoints().toArray(String[]::new)).build()) {
      List<KeyValue> kvs = etcd.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
          .get(3, TimeUnit.SECONDS).getKvs();
      if (kvs.isEmpty()) {
        b.append("etcd ").append(key).append(": free\n");
      } else {
        KeyValue kv = kvs.get(0);
        long ttl = kv.getLease() == 0 ? -1 : etcd.getLeaseClient().timeToLive(kv.getLease(),
            io.etcd.jetcd.options.LeaseOption.DEFAULT).get(3, TimeUnit.SECONDS).getTTL();
        b.append("etcd ").append(key).append(": ").append(kv.getValue().toString(StandardCharsets.UTF_8))
            .append(" createRevision=").append(kv.getCreateRevision()).append(" lease=")
            .append(Long.toHexString(kv.getLease())).append(" leaseTtlLeft=").append(ttl).append("s\n");
      }
    } catch (Exception e) {
      b.append("etcd ").append(key).append(": cannot read (").append(e).append(")\n");
    }
    for (ClusterNode n : fleet.clusters()) {
      b.append("cluster ").append(n.name()).append(": controller ")
          .append(n.controller().isRunning() ? "running" : "down").append('\n');
      try {
        MultiClusterLease l = n.cluster().client().resources(MultiClusterLease.class)
            .inNamespace(fleet.namespace()).withName(fleet.leaseName()).get();
        if (l == null) {
          b.append("  lease: none\n");
        } else {
          b.append("  spec: ").append(l.getSpec()).append('\n');
          b.append("  status: ").append(l.getStatus() == null ? "none" : l.getStatus().getConditions().stream()
              .map(c -> c.getType() + "=" + c.getStatus() + " " + c.getReason() + " (" + c.getMessage() + ")")
              .collect(Collectors.joining("\n          ", "leader=" + l.getStatus().getLeader() + " token="
                  + l.getStatus().getFencingToken() + " observedRenewTime="
                  + (l.getStatus().getObservedRenewTime() == null ? null : l.getStatus().getObservedRenewTime()
                      .getTime()) + "\n          ", ""))).append('\n');
        }
      } catch (RuntimeException e) {
        b.append("  lease: cannot read (").append(e.getMessage()).append(")\n");
      }
      for (CandidateNode c : n.candidates()) {
        b.append("  candidate ").append(c.identity()).append(c.isRunning() ? " running" : " down")
            .append(c.isPaused() ? " paused" : "").append(c.isLeader() ? " LEADER" : "");
        if (c.lock() != null) {
          b.append(" problem=").append(c.lock().problem().orElse("none"));
        }
        b.append('\n');
      }
    }
    return b.toString();
  }
}
