package mclease

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

// fakeController echoes every heartbeat of the local candidate after a short latency while enabled, as the
// election controller does while it holds the global lock.
type fakeController struct {
	srv     *fakeServer
	enabled atomic.Bool
	token   int64
	mu      sync.Mutex
	echoAt  time.Time // the first echo
}

func (c *fakeController) onChange(o *leaseObject) {
	if o == nil || o.spec.HolderIdentity == "" || !c.enabled.Load() {
		return
	}
	if o.status != nil && o.status.ObservedRenewTime == o.spec.RenewTime {
		return
	}
	time.AfterFunc(20*time.Millisecond, func() {
		if !c.enabled.Load() {
			return
		}
		c.mu.Lock()
		if c.echoAt.IsZero() {
			c.echoAt = time.Now()
		}
		c.mu.Unlock()
		c.srv.setStatus(leaseStatus{Leader: o.spec.HolderIdentity, LeaderCluster: "east", FencingToken: &c.token,
			ObservedRenewTime: o.spec.RenewTime})
	})
}

// eachWatchMode runs f with a watch that does not vouch for its state (every tick reads first) and with one that does
// (ticks decide on the watch's state and send only their writes).
func eachWatchMode(t *testing.T, f func(t *testing.T, vouch bool)) {
	for _, vouch := range []bool{false, true} {
		t.Run(map[bool]string{false: "reading first", true: "on the watch's state"}[vouch], func(t *testing.T) { f(t, vouch) })
	}
}

// watchVouching starts the lock's watch and lets it vouch, as an informer does once it has listed and watches.
func watchVouching(t *testing.T, srv *fakeServer, lock *Lock) {
	t.Helper()
	lock.startWatch()
	select {
	case <-srv.registered:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock did not start its watch")
	}
	srv.setVouch(true)
}

// client-go's own elector on this lock, with real time: it leads only confirmed, as soon as the echo comes (not a
// retry period later), never writes twice per tick, stops leading when the echoes stop, and releases on cancel. On
// a watch that vouches it never reads the object at all.
func TestClientGoElectorOnTheLock(t *testing.T) { eachWatchMode(t, testClientGoElectorOnTheLock) }

func testClientGoElectorOnTheLock(t *testing.T, vouch bool) {
	const R = 300 * time.Millisecond
	srv := newFake()
	ctrl := &fakeController{srv: srv, token: 9}
	go srv.watch(t.Context(), ctrl.onChange)
	<-srv.registered
	var writeTimes []time.Time
	var wmu sync.Mutex
	srv.beforeWrite = func(s leaseSpec) {
		if s.HolderIdentity == "a" {
			wmu.Lock()
			writeTimes = append(writeTimes, time.Now())
			wmu.Unlock()
		}
	}
	lock := newLock(srv, mustConfig(t, Config{Namespace: "ns", Name: "demo", Identity: "a",
		LeaseDuration: 2 * sec, RenewDeadline: sec, RetryPeriod: R}))
	if vouch {
		watchVouching(t, srv, lock)
	}
	started, stopped := make(chan time.Time, 1), make(chan bool, 1)
	var unconfirmedStart atomic.Bool
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		leaderelection.RunOrDie(ctx, lock.ElectionConfig(leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				unconfirmedStart.Store(!lock.Leadership().Leader)
				started <- time.Now()
			},
			OnStoppedLeading: func() { stopped <- lock.Leadership().Leader },
		}))
	}()

	select {
	case <-started:
		t.Fatal("client-go started leading without any confirmation")
	case <-time.After(4 * R):
	}
	ctrl.enabled.Store(true)
	var at time.Time
	select {
	case at = <-started:
	case <-time.After(10 * R):
		t.Fatal("no OnStartedLeading after the controller began to echo")
	}
	if unconfirmedStart.Load() {
		t.Fatal("OnStartedLeading while the lock was not confirmed")
	}
	ctrl.mu.Lock()
	delay := at.Sub(ctrl.echoAt)
	ctrl.mu.Unlock()
	if delay > R/2 {
		t.Fatalf("OnStartedLeading %v after the first echo; a confirmed candidate must not wait for the next tick (R = %v)", delay, R)
	}

	// Leading for a while: one heartbeat per tick.
	deadline := time.Now().Add(6 * R)
	for time.Now().Before(deadline) {
		if !lock.Leadership().Leader {
			t.Fatalf("lost leadership while echoed: %s", lock.whyNotLeader())
		}
		select {
		case <-stopped:
			t.Fatal("stopped leading while echoed")
		case <-time.After(R / 3):
		}
	}
	wmu.Lock()
	for i := 1; i < len(writeTimes); i++ {
		if gap := writeTimes[i].Sub(writeTimes[i-1]); gap < R/2 {
			t.Fatalf("two heartbeats %v apart (R = %v): written twice in one tick", gap, R)
		}
	}
	wmu.Unlock()

	// The echoes stop: the lock ends leadership by itself at t0+D, before client-go's OnStoppedLeading.
	ctrl.enabled.Store(false)
	select {
	case leader := <-stopped:
		if leader {
			t.Fatal("OnStoppedLeading while the lock still counted itself leader")
		}
	case <-time.After(20 * R):
		t.Fatal("no OnStoppedLeading after the echoes stopped")
	}
	<-done
	cancel()
	if err := lock.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := srv.spec(); s.HolderIdentity != "" {
		t.Fatalf("Close did not release spec: %+v", s)
	}
	if sent := srv.sent(); vouch && sent.get != 0 {
		t.Fatalf("sent %v on a watch that vouched: no tick needed a read", sent)
	}
}

// RunOrDie cancelled while leading releases through Update(empty holder) at once.
func TestClientGoReleaseOnCancel(t *testing.T) { eachWatchMode(t, testClientGoReleaseOnCancel) }

func testClientGoReleaseOnCancel(t *testing.T, vouch bool) {
	const R = 200 * time.Millisecond
	srv := newFake()
	ctrl := &fakeController{srv: srv, token: 3}
	ctrl.enabled.Store(true)
	go srv.watch(t.Context(), ctrl.onChange)
	<-srv.registered
	lock := newLock(srv, mustConfig(t, Config{Namespace: "ns", Name: "demo", Identity: "a",
		LeaseDuration: 2 * sec, RenewDeadline: sec, RetryPeriod: R}))
	if vouch {
		watchVouching(t, srv, lock)
	}
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		leaderelection.RunOrDie(ctx, lock.ElectionConfig(leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { close(started) },
			OnStoppedLeading: func() {},
		}))
	}()
	select {
	case <-started:
	case <-time.After(10 * R):
		t.Fatal("never led")
	}
	cancel()
	<-done
	if s := srv.spec(); s.HolderIdentity != "" {
		t.Fatalf("not released on cancel: %+v", s)
	}
	if lock.Leadership().Leader {
		t.Fatal("leader after the release")
	}
	_ = lock.Close(context.Background())
}

func mustConfig(t *testing.T, c Config) Config {
	t.Helper()
	c, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
