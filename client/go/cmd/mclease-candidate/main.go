// Command mclease-candidate is one Go candidate process for the testbed's mixed-language elections: client-go's
// elector on an mclease.Lock, campaigning again after each loss as a replica would, reporting its leadership on
// stdout in lines the testbed records into the fleet's history:
//
//	MCLEASE READY instance=<id>
//	MCLEASE START token=<n> validForNanos=<n>      OnStartedLeading, with the lock's own snapshot
//	MCLEASE CONFIRMED token=<n> validForNanos=<n>  the lock's deadline moved (a newer echo)
//	MCLEASE STOP                                   OnStoppedLeading after a START
//	MCLEASE RELEASED                               SIGTERM: released and closed, exiting 0
//
// validForNanos is relative (monotonic clocks of two processes share no origin); the reader adds it to its own
// clock when it reads the line, which only moves the deadline later by the pipe's delay.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/klog/v2"

	"mclease.dev/client/go/mclease"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of this candidate's own cluster")
	cfg := mclease.Config{}
	flag.StringVar(&cfg.Namespace, "namespace", "default", "namespace of the MultiClusterLease")
	flag.StringVar(&cfg.Name, "name", "demo", "name of the MultiClusterLease")
	flag.StringVar(&cfg.Identity, "identity", "", "this candidate's identity")
	flag.DurationVar(&cfg.LeaseDuration, "lease-duration", mclease.DefaultLeaseDuration, "L")
	flag.DurationVar(&cfg.RenewDeadline, "renew-deadline", mclease.DefaultRenewDeadline, "D")
	flag.DurationVar(&cfg.RetryPeriod, "retry-period", mclease.DefaultRetryPeriod, "R")
	klog.InitFlags(nil)
	flag.Parse()
	klog.SetOutput(os.Stderr)
	klog.LogToStderr(true)

	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	lock, err := mclease.NewForConfig(rc, cfg)
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	out := &reporter{lock: lock}
	say("READY instance=%s", lock.Instance())
	go out.watchDeadline(ctx)
	for ctx.Err() == nil {
		// a LeaderElector runs once; a replica that lost campaigns again with the same lock (same instance)
		leaderelection.RunOrDie(ctx, lock.ElectionConfig(leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { out.started() },
			OnStoppedLeading: out.stopped,
		}))
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), cfg.RenewDeadline)
	defer cancel()
	if err := lock.Close(closeCtx); err != nil {
		klog.Warningf("close: %v", err)
	}
	say("RELEASED")
}

// reporter prints leadership changes. A START needs both: client-go said OnStartedLeading, and the lock's own
// snapshot says leader (the snapshot decides, and it is printed as soon as both hold, so a leadership is never left
// out of the history); a STOP follows OnStoppedLeading.
type reporter struct {
	lock      *mclease.Lock
	mu        sync.Mutex
	elected   bool // between OnStartedLeading and OnStoppedLeading
	leading   bool // START printed, STOP not yet
	lastUntil time.Duration
}

func (r *reporter) started() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.elected = true
	r.report()
}

func (r *reporter) stopped() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.elected = false
	if r.leading {
		r.leading = false
		say("STOP")
	}
}

// report: caller holds mu.
func (r *reporter) report() {
	l := r.lock.Leadership()
	switch {
	case !r.elected || !l.Leader:
	case !r.leading:
		r.leading, r.lastUntil = true, l.ValidUntil
		say("START token=%d validForNanos=%d", l.FencingToken, l.ValidFor.Nanoseconds())
	case l.ValidUntil != r.lastUntil:
		r.lastUntil = l.ValidUntil
		say("CONFIRMED token=%d validForNanos=%d", l.FencingToken, l.ValidFor.Nanoseconds())
	}
}

func (r *reporter) watchDeadline(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		r.report()
		r.mu.Unlock()
	}
}

var stdout sync.Mutex

func say(format string, args ...any) {
	stdout.Lock()
	defer stdout.Unlock()
	fmt.Fprintf(os.Stdout, "MCLEASE "+format+"\n", args...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mclease-candidate:", err)
	os.Exit(2)
}
