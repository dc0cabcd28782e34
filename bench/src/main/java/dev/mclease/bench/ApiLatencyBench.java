package dev.mclease.bench;

import dev.mclease.bench.sut.BenchClusters;
import dev.mclease.controller.backend.AcquireResult;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendException;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.LockValue;
import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import dev.mclease.testbed.etcd.EtcdCluster;
import dev.mclease.testbed.etcd.EtcdProvider;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under every failover figure: how long one request on a MultiClusterLease takes on this machine's API
 * server with nothing else running — the read, the candidate's spec write and the controller's status patch, as the
 * lock and the controller send them (one client, one object, one request at a time). A graceful handover is at least
 * one spec write, one status patch, two lock-store writes and three watch deliveries in a row, so these latencies say
 * how far below its measured time a handover could go here, and why a latency target met on one machine is missed
 * on a slower one. The lock store's part is measured the same way: a controller's acquire and release of one key on
 * the etcd that MCL's benches use as the store (3.7.0, one member, no proxy between), through the controller's own
 * backend.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class ApiLatencyBench {

  private static final PatchContext STATUS_PATCH = new PatchContext.Builder().withPatchType(PatchType.JSON).build();

  private BenchClusters.Handle handle;
  private KubernetesClient client;
  private Resource<MultiClusterLease> object;
  private Resource<MultiClusterLease> named;
  private MultiClusterLease current;
  private long n;
  private EtcdCluster lockStore;
  private GlobalLockBackend backend;
  private final LockValue value = new LockValue("probe-candidate", "east", Instant.parse("2026-03-01T12:00:00Z"));

  @Setup(Level.Trial)
  public void start() {
    Quiet.apply();
    handle = BenchClusters.cluster("api-latency");
    client = handle.cluster().client();
    String ns = "latency-" + UUID.randomUUID().toString().substring(0, 8);
    handle.cluster().ensureNamespace(ns);
    MultiClusterLease m = MultiClusterLease.named(ns, "probe");
    m.setSpec(new MultiClusterLeaseSpec("probe-candidate", 15, MicroTimes.of(Instant.now())));
    current = client.resource(m).create();
    object = client.resources(MultiClusterLease.class).inNamespace(ns).withName("probe");
    named = client.resources(MultiClusterLease.class).inNamespace(ns).resource(MultiClusterLease.named(ns, "probe"));
    lockStore = EtcdProvider.start(1);
    backend = BackendFactory.create(BackendConfig.builder(BackendConfig.Kind.ETCD).ttl(Duration.ofSeconds(15))
        .renewInterval(Duration.ofSeconds(5)).etcd(lockStore.endpoints(), null, null, null).build(), System::nanoTime);
  }

  /** A tick's read of its object (what every tick sent before the lock used its watch's state). */
  @Benchmark
  public MultiClusterLease get() {
    return object.get();
  }

  /** A candidate's heartbeat: a spec write with the resourceVersion it was decided on. */
  @Benchmark
  public MultiClusterLease putSpec() {
    current.setSpec(new MultiClusterLeaseSpec("probe-candidate", 15, MicroTimes.of(Instant.now())));
    current.setStatus(null);
    current = client.resource(current).update();
    return current;
  }

  /**
   * A controller's echo: one JSON-patch op replacing status, as KubernetesLeaseOutput sends it — on a resource that
   * names its item, since fabric8 GETs the object first for a patch without one (this figure included that GET
   * before 2026-12-03).
   */
  @Benchmark
  public MultiClusterLease patchStatus() {
    n++;
    return named.subresource("status").patch(STATUS_PATCH,
        "[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"leader\":\"probe-candidate\",\"fencingToken\":" + n + "}}]");
  }

  /**
   * A handover's two lock-store writes in a row, as a controller sends them: the acquire (a Txn: the key free, put
   * with this controller's lease) and the release (a Txn: delete while the token is ours).
   */
  @Benchmark
  public long lockStoreAcquireRelease() throws BackendException {
    long token = ((AcquireResult.Granted) backend.acquire("bench/probe", value)).token();
    backend.release("bench/probe", token);
    return token;
  }

  @TearDown(Level.Trial)
  public void stop() {
    backend.close();
    lockStore.close();
    handle.close();
  }
}
