package mclease

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"
	"strconv"
)

// fakeServer plays the API server for one object (spec writes a CAS on the decided-on fields of spec, as specPatch's
// tests are on a real server; 409s on demand; a watch) and, through echo, the election controller's status writes.
type fakeServer struct {
	mu          sync.Mutex
	obj         *unstructured.Unstructured
	rv          int64
	conflicts   int   // the next n spec writes answer 409
	getErr      error // every get answers this
	hideOnce    bool  // the next get answers "not found" although the object exists (another creator was faster)
	writes      []leaseSpec
	watchers    []func(*leaseObject)
	beforeWrite func(leaseSpec) // runs as the API server receives a write
	behind      bool            // setStatus and setSpec reach only reads, not the watch (it has not caught up)
	registered  chan struct{}   // one value per watcher that registered
	vouch       bool            // what vouches answers: the watch has listed and is watching
	reqs        requests        // what the lock sent
	tried       []leaseSpec     // the spec of every spec write received, refused ones included
	loseAnswer  bool            // the next write lands, reaches no watcher, and its answer is lost (a timeout)
}

// requests counts what the API server received, by kind.
type requests struct{ get, create, write int }

func (r requests) String() string {
	return fmt.Sprintf("%d get, %d create, %d spec write", r.get, r.create, r.write)
}

func newFake() *fakeServer { return &fakeServer{registered: make(chan struct{}, 16)} }

var gr = schema.GroupResource{Group: "mclease.dev", Resource: "multiclusterleases"}

func (f *fakeServer) get(context.Context) (*leaseObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs.get++
	if f.getErr != nil {
		return nil, f.getErr
	}
	if f.obj == nil || f.hideOnce {
		f.hideOnce = false
		return nil, nil
	}
	return fromUnstructured(f.obj)
}

func (f *fakeServer) create(_ context.Context, u *unstructured.Unstructured) (*leaseObject, error) {
	f.mu.Lock()
	f.reqs.create++
	if f.obj != nil {
		f.mu.Unlock()
		return nil, apierrors.NewAlreadyExists(gr, u.GetName())
	}
	return f.store(u)
}

func (f *fakeServer) writeSpec(_ context.Context, base *leaseObject, spec leaseSpec) (*leaseObject, error) {
	f.mu.Lock()
	f.reqs.write++
	f.tried = append(f.tried, spec)
	if f.obj == nil {
		f.mu.Unlock()
		return nil, apierrors.NewNotFound(gr, base.meta.Name)
	}
	if f.conflicts > 0 || !sameDecidedOn(base, f.obj) {
		f.conflicts = max(0, f.conflicts-1)
		f.mu.Unlock()
		return nil, apierrors.NewConflict(gr, base.meta.Name, nil)
	}
	u := f.obj.DeepCopy() // status and metadata as stored: the main resource never changes status
	m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	u.Object["spec"] = m
	return f.store(u)
}

// sameDecidedOn: what specPatch's tests check, on the stored object (an absent field equals null).
func sameDecidedOn(base *leaseObject, stored *unstructured.Unstructured) bool {
	seen, hadSpec := seenSpec(base)
	now, hasSpec := stored.Object["spec"].(map[string]any)
	if !hadSpec || !hasSpec {
		return !hadSpec && !hasSpec
	}
	for _, f := range decidedOn {
		if seen[f] != now[f] {
			return false
		}
	}
	return true
}

// store saves u as the new state; called with mu held, releases it before telling the watchers.
func (f *fakeServer) store(u *unstructured.Unstructured) (*leaseObject, error) {
	o, _ := fromUnstructured(u)
	if f.beforeWrite != nil {
		f.beforeWrite(o.spec)
	}
	f.writes = append(f.writes, o.spec)
	f.rv++
	u.SetResourceVersion(strconv.FormatInt(f.rv, 10))
	f.obj = u.DeepCopy()
	if f.loseAnswer {
		f.loseAnswer = false
		f.mu.Unlock()
		return nil, context.DeadlineExceeded
	}
	return f.notify()
}

// remove deletes the object (delivered to the watch unless behind).
func (f *fakeServer) remove() {
	f.mu.Lock()
	f.obj = nil
	ws := append([]func(*leaseObject){}, f.watchers...)
	behind := f.behind
	f.mu.Unlock()
	if behind {
		return
	}
	for _, w := range ws {
		w(nil)
	}
}

// triedSpecs are the specs of every spec write received, refused ones included.
func (f *fakeServer) triedSpecs() []leaseSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]leaseSpec{}, f.tried...)
}

func (f *fakeServer) notify() (*leaseObject, error) {
	o, err := fromUnstructured(f.obj)
	ws := append([]func(*leaseObject){}, f.watchers...)
	f.mu.Unlock()
	for _, w := range ws {
		w(o)
	}
	return o, err
}

// watch delivers the current state first, as an informer's list does, then every change.
func (f *fakeServer) watch(ctx context.Context, onChange func(*leaseObject)) {
	f.mu.Lock()
	f.watchers = append(f.watchers, onChange)
	var listed *leaseObject
	if f.obj != nil {
		listed, _ = fromUnstructured(f.obj)
	}
	f.mu.Unlock()
	if listed != nil {
		onChange(listed)
	}
	f.registered <- struct{}{}
	<-ctx.Done()
}

func (f *fakeServer) vouches() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vouch
}

// setVouch says whether the watch vouches for its state (listed and watching).
func (f *fakeServer) setVouch(v bool) {
	f.mu.Lock()
	f.vouch = v
	f.mu.Unlock()
}

// setBehind: the next changes of other writers reach only reads, not the watch.
func (f *fakeServer) setBehind(b bool) {
	f.mu.Lock()
	f.behind = b
	f.mu.Unlock()
}

// sent is what the lock sent since the last call.
func (f *fakeServer) sent() requests {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = requests{}
	return r
}

func (f *fakeServer) server() string { return "the fake API server" }

// spec is the current spec; T its renewTime.
func (f *fakeServer) spec() leaseSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.obj == nil {
		return leaseSpec{}
	}
	o, _ := fromUnstructured(f.obj)
	return o.spec
}

// setStatus writes status as the controller does (a new resourceVersion), delivered by the watch.
func (f *fakeServer) setStatus(st leaseStatus) {
	f.mu.Lock()
	m := map[string]any{"leader": st.Leader, "leaderCluster": st.LeaderCluster, "observedRenewTime": st.ObservedRenewTime,
		"acquireTime": st.AcquireTime}
	if st.FencingToken != nil {
		m["fencingToken"] = *st.FencingToken
	}
	if st.ConfirmationWindowMilliseconds != nil {
		m["confirmationWindowMilliseconds"] = *st.ConfirmationWindowMilliseconds
	}
	f.obj.Object["status"] = m
	f.rv++
	f.obj.SetResourceVersion(strconv.FormatInt(f.rv, 10))
	if f.behind {
		f.mu.Unlock()
		return
	}
	_, _ = f.notify()
}

// echo confirms the current spec's holder and renewTime with token and window (nil: a controller before 0.2).
func (f *fakeServer) echo(token int64, window *int64) {
	s := f.spec()
	f.setStatus(leaseStatus{Leader: s.HolderIdentity, LeaderCluster: "east", FencingToken: &token,
		ObservedRenewTime: s.RenewTime, ConfirmationWindowMilliseconds: window})
}

// setSpec puts another writer's spec in place (a new resourceVersion).
func (f *fakeServer) setSpec(s leaseSpec) {
	f.mu.Lock()
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if f.obj != nil {
		u = f.obj.DeepCopy()
	} else {
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace("ns")
		u.SetName("demo")
	}
	f.obj = u
	tmp := &leaseObject{raw: u}
	nu, _ := tmp.withSpec(s)
	if st, ok := u.Object["status"]; ok {
		nu.Object["status"] = st
	}
	f.rv++
	nu.SetResourceVersion(strconv.FormatInt(f.rv, 10))
	f.obj = nu
	if f.behind {
		f.mu.Unlock()
		return
	}
	_, _ = f.notify()
}

func (f *fakeServer) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

// fakeMono is a monotonic source the test moves by hand.
type fakeMono struct {
	mu  sync.Mutex
	now time.Duration
}

func (m *fakeMono) read() time.Duration  { m.mu.Lock(); defer m.mu.Unlock(); return m.now }
func (m *fakeMono) step(d time.Duration) { m.mu.Lock(); m.now += d; m.mu.Unlock() }

// rig is one candidate on a fake server with hand-moved clocks (wall skewed by skew).
type rig struct {
	t    *testing.T
	srv  *fakeServer
	mono *fakeMono
	wall *clocktesting.FakePassiveClock
	lock *Lock
}

var epoch = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func newRig(t *testing.T, srv *fakeServer, identity string, skew time.Duration, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, srv: srv, mono: &fakeMono{now: time.Hour}, wall: clocktesting.NewFakePassiveClock(epoch.Add(skew))}
	cfg := Config{Namespace: "ns", Name: "demo", Identity: identity, LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, ConfirmationWait: -1,
		Clock: r.wall, Monotonic: r.mono.read}
	if mod != nil {
		mod(&cfg)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r.lock = newLock(srv, cfg)
	t.Cleanup(func() { _ = r.lock.Close(context.Background()) })
	// the watch runs on its own goroutine: let it register so that the test's status writes reach the lock
	r.lock.startWatch()
	select {
	case <-srv.registered:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock did not start its watch")
	}
	return r
}

// tick moves both clocks by d, then runs one client-go tick as the acquire loop does: Get.
func (r *rig) tick(d time.Duration) string {
	r.t.Helper()
	r.mono.step(d)
	r.wall.SetTime(r.wall.Now().Add(d))
	rec, _, err := r.lock.Get(context.Background())
	if err != nil {
		r.t.Fatalf("Get: %v", err)
	}
	return rec.HolderIdentity
}

func ptr[T any](v T) *T { return &v }
