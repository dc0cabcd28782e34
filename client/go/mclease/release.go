package mclease

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
)

const releaseAttempts = 3

// Release gives up this cluster's local candidacy now if this instance holds it, so the election controller frees
// the global lock at once instead of after LeaseDuration. It stops counting itself leader before it writes
// spec.holderIdentity = "" (a CAS on spec, re-read and retried when spec changed first), and forgets its heartbeats, so
// no echo that arrives late can make it leader again. client-go calls it through Update when ReleaseOnCancel is set
// and it led; a candidate that held spec but was never confirmed is released only by Release or Close. While the
// watch vouches that this instance holds spec, the release is one write.
func (l *Lock) Release(ctx context.Context) error {
	l.stopLeading()
	l.io.Lock()
	defer l.io.Unlock()
	ctx, cancel := context.WithTimeout(ctx, l.cfg.RenewDeadline)
	defer cancel()
	readConflicts := 0
	for attempt := 1; ; attempt++ {
		cur, read, err := l.releaseState(ctx, attempt == 1)
		if err != nil {
			return fmt.Errorf("%s: cannot release: %s", l.subject, l.Problem())
		}
		if cur == nil || !l.heldByUs(cur.spec) {
			return nil // not ours (any more): nothing to release, and never another instance's candidacy
		}
		// Again, now that no tick is in flight: a heartbeat written since the first stopLeading must not be
		// confirmed once the controller can see "" and free the lock at once.
		l.stopLeading()
		l.mu.Lock()
		lease := int64(l.cfg.LeaseDuration / time.Second)
		spec := leaseSpec{HolderIdentity: "", LeaseDurationSeconds: &lease, RenewTime: formatMicro(l.nextT())}
		l.mu.Unlock()
		written, err := l.store.writeSpec(ctx, cur, spec)
		switch {
		case err == nil:
			l.observe(written)
			l.problems.clear()
			klog.Infof(`%s: released the local candidacy (spec.holderIdentity="")`, l.subject)
			return nil
		case !read && (apierrors.IsConflict(err) || apierrors.IsNotFound(err)):
			klog.V(4).Infof("%s: the watch's state was stale while releasing, re-reading", l.subject)
			continue
		case !apierrors.IsConflict(err):
			l.report("update", err)
			return fmt.Errorf("%s: cannot release: %s", l.subject, l.Problem())
		}
		if readConflicts++; readConflicts >= releaseAttempts {
			return fmt.Errorf("%s: release lost %d races for spec in a row", l.subject, releaseAttempts)
		}
		klog.V(4).Infof("%s: conflict while releasing, re-reading", l.subject)
	}
}

// releaseState is the state a release decides on; read says it is a fresh read. The watch's state spares the read
// only on the first attempt, while no write was refused as stale since, and only when it says this instance holds
// spec: "not ours" is read again, since a write of ours whose answer was lost may still hold it, and a release that
// wrongly found nothing to do would leave the other candidates waiting LeaseDuration. Caller holds io.
func (l *Lock) releaseState(ctx context.Context, first bool) (cur *leaseObject, read bool, err error) {
	if first && !l.readNext {
		if cur, ok := l.known(); ok && cur != nil && l.heldByUs(cur.spec) {
			return cur, false, nil
		}
	}
	cur, err = l.read(ctx)
	return cur, true, err
}

// stopLeading: no heartbeat written so far can confirm this instance any more.
func (l *Lock) stopLeading() {
	l.mu.Lock()
	l.ledger.clear()
	l.confirmed, l.token = false, 0
	l.term.ended()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	l.judgementMayHaveChanged()
}

// Close ends the lock for good: from its first moment the lock never counts itself leader again, whatever echo
// arrives late. It then releases the local candidacy if this instance holds it (best effort, bounded by ctx and
// RenewDeadline) and stops the watch. Call it after the elector returns; a closed Lock must not be reused.
func (l *Lock) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return nil
	}
	l.closing = true
	holds := l.holdsSpec()
	l.mu.Unlock()
	l.stopLeading()
	var err error
	if holds {
		err = l.Release(ctx)
	}
	l.mu.Lock()
	stop := l.stopWatch
	l.mu.Unlock()
	if stop != nil {
		stop()
	}
	return err
}
