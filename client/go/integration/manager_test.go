package integration

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"mclease.dev/client/go/mclease"
)

// A controller-runtime manager takes the lock through LeaderElectionResourceLockInterface, no adapter: its
// leader-election runnables start only once the lock is confirmed, and a graceful stop releases spec.
func TestControllerRuntimeManager(t *testing.T) {
	ns := namespace(t)
	writer := startStatusWriter(t, ns)
	writer.enabled.Store(false) // no controller confirms yet
	lock, err := mclease.NewForConfig(cfg, short(ns, "go-mgr"))
	if err != nil {
		t.Fatal(err)
	}
	c := lock.Config()
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                              runtime.NewScheme(),
		Metrics:                             metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:              "0",
		LeaderElection:                      true,
		LeaderElectionID:                    c.Name,
		LeaderElectionResourceLockInterface: lock,
		LeaseDuration:                       &c.LeaseDuration,
		RenewDeadline:                       &c.RenewDeadline,
		RetryPeriod:                         &c.RetryPeriod,
		LeaderElectionReleaseOnCancel:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan mclease.Leadership, 1)
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		started <- lock.Leadership()
		<-ctx.Done()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	until(t, 10*time.Second, "the manager's candidate holds spec", func() bool { return spec(t, ns)["holderIdentity"] == "go-mgr" })
	select {
	case <-started:
		t.Fatal("a leader-election runnable started without a confirmation")
	case <-mgr.Elected():
		t.Fatal("the manager was elected without a confirmation")
	case <-time.After(time.Second):
	}
	writer.enabled.Store(true)
	select {
	case l := <-started:
		if !l.Leader || l.FencingToken <= 0 {
			t.Fatalf("runnable started with leadership %+v", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no runnable after the confirmation: %s", lock.Problem())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("manager: %v", err)
	}
	if h := spec(t, ns)["holderIdentity"]; h != "" {
		t.Fatalf("holderIdentity after the manager stopped (LeaderElectionReleaseOnCancel): %v", h)
	}
	_ = lock.Close(context.Background())
}
