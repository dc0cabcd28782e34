/**
 * Leader election across Kubernetes clusters for fabric8 clients: {@link dev.mclease.client.MultiClusterLeaseLock},
 * a {@code Lock} for fabric8's {@code LeaderElector}, and {@link dev.mclease.client.CandidateRunner}, which keeps
 * campaigning after a loss.
 *
 * <h2>How it works</h2>
 * Candidates talk only to their own cluster's API server, through one {@code MultiClusterLease} object. Inside a
 * cluster they compete for its {@code spec} like for a {@code coordination.k8s.io} Lease (optimistic concurrency on
 * {@code resourceVersion}); the winner, the cluster's <em>local candidate</em>, writes a heartbeat
 * {@code spec.renewTime = T} every retryPeriod and remembers the monotonic instant {@code t0(T)} of the write. The
 * cluster's election controller contends for the candidate in a global lock store and, while it holds the global lock
 * long enough, echoes {@code status.leader = identity, status.observedRenewTime = T}. A candidate is
 * <em>leader</em> iff the last observed status names it and echoes a heartbeat T that <em>this instance</em> wrote,
 * and {@code now − t0(T) < renewDeadline} on its monotonic clock.
 *
 * <h2>What is guaranteed</h2>
 * <ul>
 *   <li>At most one candidate in all clusters is leader at any instant, provided the controllers' rule holds: a
 *       controller echoes only while its global lock is certainly held for another {@code renewDeadline + margin}
 *       (see docs/protocol.md) and the timings satisfy {@code leaseDuration > renewDeadline > retryPeriod > 0} and
 *       {@code renewDeadline + retryPeriod + margin < G} (the backend lock's TTL).</li>
 *   <li>A leader stops being leader by {@code t0 + min(renewDeadline, the controller's confirmation window)} of its
 *       newest confirmed heartbeat, whatever happens
 *       to the network: {@link dev.mclease.client.MultiClusterLeaseLock#isLeader()} and
 *       {@link dev.mclease.client.MultiClusterLeaseLock#validUntilNanos()} read only memory and the monotonic clock,
 *       so they stay correct while the API server is unreachable.</li>
 *   <li>Every acquisition of the global lock has a larger
 *       {@link dev.mclease.client.MultiClusterLeaseLock#fencingToken() fencing token} than the one before, and a
 *       new lock instance (a process restarted under the same identity) always gets a new acquisition.</li>
 *   <li>A stale status (from a previous process with the same identity, or another local replica) never confirms a
 *       candidate: only echoes of heartbeats this instance wrote count.</li>
 * </ul>
 *
 * <h2>What is not guaranteed</h2>
 * <ul>
 *   <li>Callbacks are not on time. {@code onStartLeading}/{@code onStopLeading} arrive on fabric8's next tick (up to
 *       a retryPeriod late), and a process paused by GC or a frozen VM hears {@code onStopLeading} after its
 *       leadership already ended. Take {@code leadership()} right before each side effect, or better, pass the fencing
 *       token to the systems you write to and let them reject older tokens: without fencing, a write that was
 *       <em>started</em> while leader can still <em>land</em> after leadership ended.</li>
 *   <li>Liveness is not guaranteed: while no controller can renew in the global store, nobody is leader.</li>
 *   <li>Identities must be unique per live process. Two processes with one identity at once take spec from each
 *       other (each is a new instance to the controller): safe, but neither leads for long.</li>
 * </ul>
 *
 * <h2>Clocks: why offset does not matter but rate does</h2>
 * No wall-clock timestamp is ever compared with another clock. Heartbeat values are compared only for equality;
 * a candidate judges another local holder's expiry from when <em>it observed</em> the heartbeat change; the
 * controller judges a candidate's liveness from when <em>it observed</em> the change; leadership is measured from
 * the candidate's own {@code t0} on its own monotonic clock. So candidates whose wall clocks are hours apart, or
 * whose wall clocks jump, behave exactly as if they agreed. What the argument does need is that monotonic clocks
 * <em>run at roughly the same rate</em> everywhere: a candidate clock that runs slow stretches its renewDeadline in
 * real time. The controller's margin {@code M} absorbs rate error and latency: a candidate leads at most
 * {@code renewDeadline} on its own clock after a write that preceded the echo, and the echo promised the global lock
 * for {@code renewDeadline + M}; with the defaults (D = 10 s, M = 2 s) a candidate clock may run about 15% slow
 * before that promise is outrun. client-go's leaderelection makes the same assumption ("tolerates arbitrary clock
 * skew, but not arbitrary clock skew rate").
 */
package dev.mclease.client;
