package mclease

// The tick's I/O, serialised by io: at most one heartbeat write (or the create) per client-go tick, decided on the
// newest state this process has seen while the watch vouches for it, else on a fresh read. It is apart from the
// decisions, which are taken under mu (election.go), and from the judgement (leadership.go), so that the requests a
// tick sends can be read, and counted (ticksends_test.go), in one place.

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// tick writes at most one heartbeat (heartbeat); false when it did nothing (closed, or a tick ended less than
// RetryPeriod/2 ago: a later call of the same client-go tick).
func (l *Lock) tick(ctx context.Context) bool {
	l.io.Lock()
	defer l.io.Unlock()
	l.mu.Lock()
	now := l.cfg.Monotonic()
	skip := l.closing || (l.ticked && now-l.lastTickEnd < l.cfg.RetryPeriod/2)
	l.mu.Unlock()
	if skip {
		return false
	}
	l.startWatch()
	ctx, cancel := context.WithTimeout(ctx, l.cfg.requestTimeout())
	defer cancel()
	l.heartbeat(ctx)
	l.mu.Lock()
	l.ticked, l.lastTickEnd = true, l.cfg.Monotonic()
	l.mu.Unlock()
	l.judgementMayHaveChanged()
	return true
}

// heartbeat is the tick's I/O: at most one heartbeat write (or the create). It decides on the newest state this
// process has seen while the watch vouches for it (known), else on a fresh read, so a tick that writes nothing sends
// nothing. Every write is a resourceVersion CAS on the state it was decided on: a state the watch had not caught up
// with costs a 409 (or a 404 if the object is gone). A renewal then reads and writes the same heartbeat once more at
// once (retryOnARead); anything else is left to the next tick, which reads before it decides (readNext). Caller
// holds io.
func (l *Lock) heartbeat(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	cur, fromWatch, ok := l.tickState(ctx)
	if !ok {
		return
	}
	spec, took, write := l.nextHeartbeat(cur)
	if !write {
		l.problems.clearIfVerb("get") // the read works (or the watch does, which reads too); a write is for the next write to say
		return
	}
	if cur == nil {
		l.create(ctx, spec)
		return
	}
	err := l.writeHeartbeat(ctx, cur, spec, took)
	switch {
	case err == nil:
	case apierrors.IsConflict(err) && fromWatch:
		// another write had just overtaken the watch's state (with update instead of patch, any status write; with
		// patch, our own earlier write whose answer was lost): read and write the same heartbeat once more now if spec
		// is still ours, or the refresh waits a tick
		l.problems.clear()
		l.retryOnARead(ctx, spec, took)
	case apierrors.IsConflict(err):
		l.problems.clear()
		l.readNext = true
		klog.V(4).Infof("%s: another writer changed the object first (409); not an error, the next tick reads and decides", l.subject)
	case apierrors.IsNotFound(err) && fromWatch:
		l.readNext = true // deleted since the watch's state: the next tick reads and creates
		klog.V(4).Infof("%s: the object is gone (404); the next tick reads and decides", l.subject)
	default:
		l.report("update", err)
	}
}

// tickState is the state a tick decides on (nil: the object does not exist): the newest one seen while the watch
// vouches for it and no write since was refused as stale (fromWatch), else a fresh read; ok is false when the read
// failed (reported). Caller holds io.
func (l *Lock) tickState(ctx context.Context) (cur *leaseObject, fromWatch, ok bool) {
	if !l.readNext {
		if cur, ok := l.known(); ok {
			return cur, true, true
		}
	}
	cur, err := l.read(ctx)
	if err != nil {
		return nil, false, false
	}
	return cur, false, true
}

// read reads the object (nil: it does not exist) and takes the answer in; the next decision needs no read after
// it. A failure is reported. Caller holds io.
func (l *Lock) read(ctx context.Context) (*leaseObject, error) {
	cur, err := l.store.get(ctx)
	if err != nil {
		l.report("get", err)
		return nil, err
	}
	l.readNext = false
	l.observe(cur)
	return cur, nil
}

// known is the newest state of the object this process has seen (the watch's, or a later answer to its own read or
// write; nil: it does not exist) while the watch vouches that it is current; ok is false before the watch's first
// list and while its stream is being re-established. The watch hands every state to observe, which keeps the newest
// resourceVersion, so a write's answer that the watch has not delivered yet is not lost.
func (l *Lock) known() (cur *leaseObject, ok bool) {
	// vouches before mu, never under it: the informer calls observe (which takes mu) holding its queue's lock, and
	// HasSynced takes that lock too
	if !l.store.vouches() {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.observed, true
}

// retryOnARead is the one retry of a heartbeat refused as stale on the watch's state: it reads, and writes the same
// heartbeat once more only while the fresh state shows this instance holding spec (a renewal; anything else is the
// next tick's to decide, after a read). The T is the same, and its confirmation counts from when it was first
// decided (the ledger's t0), so the retry can only shorten it. Caller holds io.
func (l *Lock) retryOnARead(ctx context.Context, spec leaseSpec, took string) {
	fresh, err := l.read(ctx)
	if err != nil {
		l.readNext = true
		return
	}
	l.mu.Lock()
	renewal := fresh != nil && l.heldByUs(fresh.spec) && !l.closing
	l.mu.Unlock()
	if !renewal {
		l.readNext = true
		return
	}
	err = l.writeHeartbeat(ctx, fresh, spec, took)
	switch {
	case err == nil:
	case apierrors.IsConflict(err):
		l.readNext = true
		klog.V(4).Infof("%s: another writer changed the object first (409) twice; the next tick reads and decides", l.subject)
	default:
		l.report("update", err)
	}
}

// writeHeartbeat writes spec on base (a CAS on its spec: store.writeSpec) and takes the answer in; it returns the API
// server's refusal for the caller to judge.
func (l *Lock) writeHeartbeat(ctx context.Context, base *leaseObject, spec leaseSpec, took string) error {
	written, err := l.store.writeSpec(ctx, base, spec)
	if err != nil {
		return err
	}
	l.problems.clear()
	if took != "" {
		klog.Infof("%s: became this cluster's local candidate (%s); leader once the election controller confirms", l.subject, took)
	}
	l.observe(written)
	l.checkSchema(written)
	return nil
}

// create creates the missing object with heartbeat spec; losing to another creator is a race, and the next tick
// reads. Caller holds io.
func (l *Lock) create(ctx context.Context, spec leaseSpec) {
	fresh := &leaseObject{meta: metav1.ObjectMeta{Namespace: l.cfg.Namespace, Name: l.cfg.Name}}
	obj, _ := fresh.withSpec(spec)
	created, err := l.store.create(ctx, obj)
	switch {
	case apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err):
		l.problems.clear()
		l.readNext = true
		klog.V(4).Infof("%s: another candidate created the object first; not an error", l.subject)
	case err != nil:
		l.report("create", err)
	default:
		l.problems.clear()
		klog.Infof("%s: created the object and became this cluster's local candidate", l.subject)
		l.observe(created)
		l.checkSchema(created)
	}
}
