// Command kubectl-mcl is the kubectl plugin "kubectl mcl": status, release and move of MultiClusterLeases across
// the clusters of a kubeconfig. The commands and the annotations they set are documented in package
// mclease.dev/client/go/mclctl and in docs/controller.md ("Operator actions: kubectl mcl").
//
//	go install ./client/go/cmd/kubectl-mcl   (or ./mcl kubectl-mcl), then: kubectl mcl status
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"mclease.dev/client/go/mclctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mclctl.Main(ctx, os.Args[1:], mclctl.Env{})
	stop()
	os.Exit(code)
}
