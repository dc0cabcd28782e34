// Package mclctl is the logic of the kubectl plugin kubectl-mcl (client/go/cmd/kubectl-mcl): one view of a
// MultiClusterLease across the clusters of a kubeconfig, and the two operator actions, release and move.
//
//	kubectl mcl status [ns/name] [-n ns | -A] [-o json]
//	kubectl mcl release ns/name [--timeout 2m]
//	kubectl mcl move ns/name --to <cluster> [--timeout 2m]
//
// Every command works on the contexts given with --context (repeatable or comma-separated), by default on every
// context of the kubeconfig that client-go's loading rules give (--kubeconfig, else KUBECONFIG, whose files are
// merged, else ~/.kube/config). A context that cannot be reached, or lacks the CRD, gets a line saying so and what
// to do; the others are still shown.
//
// # Which leader is the fleet's
//
// Each cluster's election controller writes status in its own cluster only, so the contexts may disagree for a
// moment (one controller has seen a newer acquisition than another). The fleet's leader is the one named by the
// status with the highest fencing token: tokens grow with every acquisition of the global lock. Two contexts that
// name different leaders with the same token are a warning (docs/protocol.md: never expected).
//
// The LAST ECHO AGE column is this machine's wall clock minus status.observedRenewTime, a timestamp the candidate's
// clock wrote: informational only. Leadership never compares two clocks (package mclease).
//
// # The annotation contract (docs/protocol.md, "Operator actions")
//
// The plugin never writes spec or status. It asks the controllers with annotations on the object, set with a JSON
// merge patch on metadata.annotations in every selected context, and removes them (a merge patch with null) when
// the action is over, also on timeout and on interrupt:
//
//   - mclease.dev/release-token: "<token>". The controller whose acquisition has that fencing token gives it up
//     once no confirmation it granted can still be in force (the release rule of a holder change), and does not
//     take the key again for L (spec.leaseDurationSeconds), so that another cluster's candidate leads with a larger
//     token. release sets it to the current token (the highest status.fencingToken across the contexts) and waits
//     until a context shows a leader with a larger token: another cluster's candidate, or the same identity again
//     when no other cluster has one.
//   - mclease.dev/preferred-cluster: "<cluster>" (a controller's --cluster-name, which status.leaderCluster shows).
//     The holder in another cluster steps down as for a release, and the controllers of other clusters hold back
//     from acquiring while it names another cluster, for a bounded time after they first saw it (docs/protocol.md
//     gives the bound), so that a wrong or dead target never leaves the fleet without a leader. move sets it and
//     waits until status.leaderCluster is the target with a larger token than before. When the target already
//     leads it changes nothing.
//
// A token that is no acquisition's, or a cluster nobody runs, asks nothing that harms: the first is ignored, the
// second delays acquisitions by at most the bound. The annotations are metadata: writing them changes neither spec
// (the local election) nor status, and does not change the object's generation.
//
// Exit codes: 0 done (or nothing to do), 1 failed or timed out, 2 bad usage, 130 interrupted.
package mclctl
