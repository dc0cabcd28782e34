package dev.mclease.client.gate;

import dev.mclease.client.Leadership;
import dev.mclease.client.MultiClusterLeaseLock;
import dev.mclease.crd.MultiClusterLease;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A write gate for a Java leader: a fabric8 {@link Interceptor} that refuses every mutating request ({@code POST},
 * {@code PUT}, {@code PATCH}, {@code DELETE}) of a {@code KubernetesClient} unless the lock's leadership is in force
 * on the lock's monotonic clock at the moment the request is about to be sent, and can stamp the leadership's fencing
 * token on the requests it lets out. Reads pass untouched, and so do the election's own requests (anything on
 * {@code multiclusterleases.mclease.dev}: a candidate writes its heartbeats there before it leads). Install it on the
 * client your reconciler writes with:
 *
 * <pre>{@code
 * LeaderWriteGate gate = LeaderWriteGate.forLock(lock);          // the lock's nanoTime source, System::nanoTime by default
 * KubernetesClient writer = gate.installOn(new KubernetesClientBuilder()).build();
 * writer.configMaps().resource(cm).update();                      // WriteRefusedException once leadership has lapsed
 * }</pre>
 *
 * <h2>When it checks, and what it guarantees</h2>
 * fabric8 calls {@link #before} for every attempt of a request, retries included, right before it hands the request
 * to the HTTP client: the last moment user code can see. There the gate takes one {@link Leadership} snapshot and one
 * reading of the same monotonic source and applies {@link WriteDecision}. So a leader that was paused (GC, a frozen
 * VM, SIGSTOP) <em>before</em> that moment, however long, cannot write late through the gate: when it runs again the
 * check happens after the pause, on a clock that kept running, and finds the deadline behind it. The refusal is a
 * {@link WriteRefusedException} thrown to the caller; nothing is sent. It names the lease and the token of the last
 * leadership the gate saw, and how long before the request that leadership's deadline passed (measured from the
 * newest deadline the gate saw: if the lock was renewed again unseen, the true lateness is smaller).
 *
 * <h2>The remaining window, and why fencing is still needed</h2>
 * The gate cannot see past its own check. Between the check and the moment the API server applies the write lie the
 * HTTP client's queue and connection, the network, the API server's admission and its storage. A pause or a delay
 * there (the process frozen right after the check, a packet held by the network, a slow etcd) lets a write that was
 * allowed at {@code t < validUntil} land at any later time, after another leader has taken over. No client-side check
 * can close that window, because the last instant a client can check is still before the send. What closes it is a
 * resource that compares the writer's fencing token with the highest it has accepted and refuses a lower one (a
 * conditional update in the same store the write lands in); stamp the token with {@link #stampingToken(String)} or
 * put it in the object yourself, from {@link #admit(String)}. The gate makes the window small (one request's flight
 * instead of an arbitrary pause), fencing makes it harmless.
 *
 * <h2>fabric8 versions</h2>
 * Works with the Interceptor API of fabric8 7.5 to 8.0. On fabric8 7.x an exception thrown by an interceptor during a
 * <em>retry</em> (after a 5xx, 429 or I/O failure of an earlier attempt) is not handed to the caller (fabric8's
 * {@code AsyncUtils.retryWithExponentialBackoff}; 8.0 passes it on): the refused retry is still not sent, but the
 * call only ends at the caller's own timeout. On 7.x give gated calls a timeout, or set
 * {@code requestRetryBackoffLimit} to 0 on the gated client's Config.
 */
public final class LeaderWriteGate implements Interceptor {

  /** The name the gate is registered under in the HTTP client's interceptors. */
  public static final String INTERCEPTOR_NAME = "mclease-write-gate";
  /** The header {@link #stampingToken(String)} is usually given. */
  public static final String DEFAULT_TOKEN_HEADER = "X-Mclease-Fencing-Token";

  private static final String ELECTION_PREFIX = "/apis/" + MultiClusterLease.GROUP + "/";

  private final String lease;
  private final Supplier<Leadership> leadership;
  private final LongSupplier nanoTime;
  private final String tokenHeader;
  /** The newest snapshot in which the lock led: the lock says only "not leader" once its deadline has passed. */
  private final AtomicReference<Leadership> lastLed = new AtomicReference<>(Leadership.NONE);

  private LeaderWriteGate(String lease, Supplier<Leadership> leadership, LongSupplier nanoTime, String tokenHeader) {
    this.lease = Objects.requireNonNull(lease, "lease");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.tokenHeader = tokenHeader;
  }

  /** A gate on {@code lock}'s leadership, judged on {@code System::nanoTime} (the lock's default source). */
  public static LeaderWriteGate forLock(MultiClusterLeaseLock lock) {
    return forLock(lock, System::nanoTime);
  }

  /** A gate on {@code lock}'s leadership, judged on {@code nanoTime}: the source given to the lock's builder. */
  public static LeaderWriteGate forLock(MultiClusterLeaseLock lock, LongSupplier nanoTime) {
    return of(lock.namespace() + "/" + lock.name(), lock::leadership, nanoTime);
  }

  /**
   * A gate on any source of leadership snapshots.
   *
   * @param lease how refusals name the lease, e.g. {@code namespace/name}
   * @param leadership one atomic snapshot per call, like {@link MultiClusterLeaseLock#leadership()}
   * @param nanoTime the monotonic source the snapshots' {@code validUntilNanos} is on
   */
  public static LeaderWriteGate of(String lease, Supplier<Leadership> leadership, LongSupplier nanoTime) {
    return new LeaderWriteGate(lease, leadership, nanoTime, null);
  }

  /** This gate, also setting header {@code header} to the fencing token on every mutating request it lets out. */
  public LeaderWriteGate stampingToken(String header) {
    return new LeaderWriteGate(lease, leadership, nanoTime, Objects.requireNonNull(header, "header"));
  }

  /**
   * Adds this gate to the HTTP client of every client {@code builder} builds. This sets the builder's one
   * {@code httpClientBuilderConsumer}; if you need your own too, call {@link #addTo(HttpClient.Builder)} from it.
   */
  public KubernetesClientBuilder installOn(KubernetesClientBuilder builder) {
    return builder.withHttpClientBuilderConsumer(this::addTo);
  }

  /** Adds (or replaces) this gate among {@code httpClientBuilder}'s interceptors. */
  public void addTo(HttpClient.Builder httpClientBuilder) {
    httpClientBuilder.addOrReplaceInterceptor(INTERCEPTOR_NAME, this);
  }

  /**
   * The check for a side effect that is not a Kubernetes request (a database row, a message): returns the fencing
   * token to write with when the leadership is in force now, else throws. Call it right before the write and pass the
   * token to the resource, which must refuse a token lower than one it has accepted (the window above).
   *
   * @param what how a refusal names the side effect
   * @throws WriteRefusedException when the leadership is not in force now
   */
  public long admit(String what) {
    WriteDecision d = decide(null);
    if (!d.mayProceed()) {
      throw new WriteRefusedException(lease, what, d);
    }
    return d.token().getAsLong();
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    if (!WriteDecision.MUTATING.contains(request.method().toUpperCase(Locale.ROOT))
        || isElection(request.uri())) {
      return; // reads (watches, informers) never wait for the lock's monitor
    }
    // snapshot and clock read here, per attempt: nothing user-visible happens between this and the send
    WriteDecision d = decide(request.method());
    if (!d.mayProceed()) {
      throw new WriteRefusedException(lease, request.method() + " " + request.uri(), d);
    }
    if (tokenHeader != null && d.outcome() == WriteDecision.Outcome.ALLOWED) {
      builder.setHeader(tokenHeader, Long.toString(d.token().getAsLong()));
    }
  }

  /** One snapshot, one clock reading, the pure rule; {@code method} null for a side effect outside Kubernetes. */
  private WriteDecision decide(String method) {
    Leadership current = leadership.get();
    long now = nanoTime.getAsLong();
    Leadership before = lastLed.get();
    if (current.leader()) {
      lastLed.set(current);
    }
    return method == null ? WriteDecision.ofWrite(current, before, now)
        : WriteDecision.of(method, current, before, now);
  }

  /** The election's own objects: a candidate must heartbeat (and create) its MultiClusterLease before it leads. */
  static boolean isElection(URI uri) {
    String path = uri.getRawPath();
    if (path == null || !path.startsWith(ELECTION_PREFIX)) {
      return false;
    }
    for (String segment : path.substring(ELECTION_PREFIX.length()).split("/")) {
      if (segment.equals(MultiClusterLease.PLURAL)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "LeaderWriteGate[" + lease + (tokenHeader == null ? "" : ", stamps " + tokenHeader) + "]";
  }
}
