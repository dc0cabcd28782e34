// Command manager is a controller-runtime manager whose leader election is an mclease.Lock: the manager takes any
// resourcelock.Interface through Options.LeaderElectionResourceLockInterface, so no adapter is needed. Only the
// confirmed leader across all clusters starts the manager's leader-election runnables (controllers).
package main

import (
	"context"
	"os"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"mclease.dev/client/go/mclease"
)

func main() {
	restConfig := ctrl.GetConfigOrDie()
	lock, err := mclease.NewForConfig(restConfig, mclease.Config{
		Namespace: "my-ns", Name: "my-operator", Identity: os.Getenv("POD_NAME"),
	})
	if err != nil {
		klog.Fatal(err)
	}
	c := lock.Config()
	mgr, err := ctrl.NewManager(restConfig, manager.Options{
		LeaderElection:                      true,
		LeaderElectionID:                    c.Name, // required by the manager; the lock names the object
		LeaderElectionResourceLockInterface: lock,
		LeaseDuration:                       &c.LeaseDuration,
		RenewDeadline:                       &c.RenewDeadline,
		RetryPeriod:                         &c.RetryPeriod,
		LeaderElectionReleaseOnCancel:       true,
	})
	if err != nil {
		klog.Fatal(err)
	}
	// a controller would go here (ctrl.NewControllerManagedBy(mgr)...); its reconciler fences with lock.Leadership()
	_ = mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		klog.Infof("leading with fencing token %d", lock.Leadership().FencingToken)
		<-ctx.Done()
		return nil
	}))
	err = mgr.Start(ctrl.SetupSignalHandler()) // "leader election lost" ends it: the pod restarts as a new instance
	_ = lock.Close(context.Background())
	if err != nil {
		klog.Fatal(err)
	}
}
