package integration

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"mclease.dev/client/go/mclease"
)

// statusWriter stands in for the election controller of one cluster that holds the global lock: while enabled it
// echoes every new heartbeat of the local candidate into status through the /status subresource, with a fencing
// token that grows for each new (holderIdentity, holderInstance), and the window W it was given.
type statusWriter struct {
	t       *testing.T
	ns      string
	enabled atomic.Bool
	window  atomic.Int64 // 0: publish none (a controller before 0.2)
	mu      sync.Mutex
	holder  string // identity/instance of the current acquisition
	token   int64
	echoes  int
}

func startStatusWriter(t *testing.T, ns string) *statusWriter {
	w := &statusWriter{t: t, ns: ns}
	w.enabled.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			wi, err := dyn.Resource(mclease.GroupVersionResource).Namespace(ns).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for ev := range wi.ResultChan() {
				if u, ok := ev.Object.(*unstructured.Unstructured); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
					w.maybeEcho(ctx, u)
				}
			}
			wi.Stop()
		}
	}()
	return w
}

func (w *statusWriter) maybeEcho(ctx context.Context, u *unstructured.Unstructured) {
	if !w.enabled.Load() {
		return
	}
	holder, _, _ := unstructured.NestedString(u.Object, "spec", "holderIdentity")
	instance, _, _ := unstructured.NestedString(u.Object, "spec", "holderInstance")
	renew, _, _ := unstructured.NestedString(u.Object, "spec", "renewTime")
	echoed, _, _ := unstructured.NestedString(u.Object, "status", "observedRenewTime")
	if holder == "" || renew == "" || renew == echoed {
		return
	}
	w.mu.Lock()
	if w.holder != holder+"/"+instance {
		w.holder = holder + "/" + instance
		w.token++
	}
	status := map[string]any{"leader": holder, "leaderCluster": "east", "fencingToken": w.token,
		"observedRenewTime": renew, "acquireTime": renew}
	if win := w.window.Load(); win > 0 {
		status["confirmationWindowMilliseconds"] = win
	}
	w.mu.Unlock()
	u = u.DeepCopy()
	u.Object["status"] = status
	_, err := dyn.Resource(mclease.GroupVersionResource).Namespace(w.ns).UpdateStatus(ctx, u, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
		w.t.Logf("status writer: %v", err)
	}
	if err == nil {
		w.mu.Lock()
		w.echoes++
		w.mu.Unlock()
	}
}

func (w *statusWriter) currentToken() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.token
}
