// Command runordie is the smallest client-go program that leads across clusters: leaderelection.RunOrDie with an
// mclease.Lock in place of a LeaseLock. Run one per cluster (and as many replicas per cluster as you like), each
// with the election controller in its cluster.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/klog/v2"

	"mclease.dev/client/go/mclease"
)

func main() {
	restConfig, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG")) // in a pod: in-cluster config
	if err != nil {
		klog.Fatal(err)
	}
	lock, err := mclease.NewForConfig(restConfig, mclease.Config{
		Namespace: "my-ns", Name: "my-operator", Identity: os.Getenv("POD_NAME"), // defaults: L 15 s, D 10 s, R 2 s
	})
	if err != nil {
		klog.Fatal(err) // the timing rules, with the numbers
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	leaderelection.RunOrDie(ctx, lock.ElectionConfig(leaderelection.LeaderCallbacks{ // ReleaseOnCancel is on
		OnStartedLeading: func(ctx context.Context) { work(ctx, lock) },
		OnStoppedLeading: func() { klog.Info("stopped leading") },
	}))
	// also frees this cluster's candidacy when this replica held it without leading (another cluster led)
	_ = lock.Close(context.Background())
}

// work fences every side effect with one snapshot: OnStoppedLeading can come late, the snapshot cannot.
func work(ctx context.Context, lock *mclease.Lock) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if l := lock.Leadership(); l.Leader {
			klog.Infof("writing with fencing token %d (valid for %v more)", l.FencingToken, l.ValidFor)
		}
	}
}
