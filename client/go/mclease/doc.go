// Package mclease is leader election across Kubernetes clusters for client-go and controller-runtime: a
// resourcelock.Interface on the MultiClusterLease object of this process's own cluster. The election controller of
// each cluster (controller/ in this repository) contends for one global lock on the candidates' behalf and confirms
// the winner by echoing its heartbeat into status. The candidate talks only to its own API server.
//
//	lock, err := mclease.NewForConfig(restConfig, mclease.Config{Namespace: "my-ns", Name: "my-operator", Identity: podName})
//	leaderelection.RunOrDie(ctx, lock.ElectionConfig(callbacks))
//	_ = lock.Close(context.Background())
//
// The rules are docs/protocol.md's, the same as the Java client's (client/src/main/java/dev/mclease/client):
//
//   - Local election on spec: this process writes spec when it holds it, when it is free, or when the holder's
//     (holderIdentity, renewTime) has not changed for the holder's LeaseDuration as observed on this process's
//     monotonic clock. A spec write is a CAS on the spec it decided on (specpatch.go: JSON Patch tests on
//     holderIdentity, holderInstance and renewTime), so status writes never refuse it; a 409 means another
//     candidate won this round.
//   - Heartbeat: spec.renewTime = T (microseconds, strictly increasing), spec.renewDeadlineMilliseconds = D and
//     spec.holderInstance, random per Lock; the Lock remembers T → t0, the monotonic instant of the write request.
//   - Confirmation: leader iff status.leader is this identity and status.observedRenewTime is a T this instance
//     wrote and the monotonic clock is before t0(T) + min(D, W), W = status.confirmationWindowMilliseconds
//     (D when absent). The controller grants W so that this ends before anyone else can get the global lock.
//   - Release stops counting itself leader before it writes spec.holderIdentity = ""; Close is final.
//
// What is guaranteed and what is not:
//
//   - Wall clocks do not matter: no timestamp is compared with another clock (a unit test runs the same scenario
//     with ±1 h skew). Monotonic clocks must run at about the same rate; the controller's safety margin absorbs
//     the difference.
//   - Lock.Leadership is the truth: one snapshot of leader?, fencing token and deadline, correct while the API
//     server is unreachable. client-go's callbacks are not on time: OnStartedLeading comes as soon as the echo
//     arrives, but OnStoppedLeading only after client-go's own RenewDeadline of failed renewals, and a paused process
//     hears it late. Take Leadership before each side effect and pass its FencingToken to the systems you write
//     to; it is the only protection against a write started while leader that lands after leadership ended.
//   - Nothing holds if two processes share an identity; nobody leads while no controller can reach the backend.
package mclease
