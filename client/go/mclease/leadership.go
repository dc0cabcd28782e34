package mclease

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Leadership is one atomic answer to "may I act as leader now, with which token, until when".
type Leadership struct {
	// Leader is true iff the last observed status names this instance, echoes a heartbeat T this instance wrote,
	// and the monotonic clock has not passed t0(T) + min(RenewDeadline, status.confirmationWindowMilliseconds).
	Leader bool
	// FencingToken is status.fencingToken of this leadership: strictly larger for every new acquisition of the
	// global lock (and every new lock instance). Pass it to the systems you write to. 0 when not leader.
	FencingToken int64
	// ValidUntil is the end of this leadership on Config.Monotonic's scale unless a newer heartbeat is confirmed.
	ValidUntil time.Duration
	// ValidFor is ValidUntil minus the monotonic now of this snapshot; 0 when not leader.
	ValidFor time.Duration
}

// Leadership answers leader?, fencing token and deadline in one snapshot. It reads only memory and the monotonic
// clock, so it answers at once, turns false by itself at ValidUntil even while the API server is unreachable, and
// is the one to trust: client-go's OnStoppedLeading comes only after its own renew deadline has run out.
func (l *Lock) Leadership() Leadership {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leadershipAt(l.cfg.Monotonic())
}

// leadershipAt is Leadership at monotonic now. Caller holds mu.
func (l *Lock) leadershipAt(now time.Duration) Leadership {
	if !l.leaderAt(now) {
		return Leadership{}
	}
	return Leadership{Leader: true, FencingToken: l.token, ValidUntil: l.until, ValidFor: l.until - now}
}

// GlobalLeader is status.leader and status.leaderCluster as last observed, wherever it runs; informational only.
func (l *Lock) GlobalLeader() (identity, cluster string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.observed == nil || l.observed.status == nil {
		return "", ""
	}
	return l.observed.status.Leader, l.observed.status.LeaderCluster
}

// leaderAt: caller holds mu.
func (l *Lock) leaderAt(now time.Duration) bool {
	return l.confirmed && !l.closing && now < l.until
}

// observe takes in a state of the object (nil: it does not exist); states older than one already seen are ignored.
func (l *Lock) observe(o *leaseObject) {
	l.mu.Lock()
	defer l.judgementMayHaveChanged()
	defer l.mu.Unlock()
	now := l.cfg.Monotonic()
	var s leaseSpec
	if o != nil {
		rv, err := strconv.ParseInt(o.meta.ResourceVersion, 10, 64)
		if err != nil {
			rv = -1
		}
		if rv >= 0 && l.observedRV >= 0 && rv < l.observedRV {
			return
		}
		l.observedRV = rv
		s = o.spec
	} else {
		l.observedRV = -1
	}
	l.observed = o
	if s.HolderIdentity != l.pairHolder || s.RenewTime != l.pairRenew {
		l.pairHolder, l.pairRenew, l.pairSince = s.HolderIdentity, s.RenewTime, now
	}
	l.confirmed, l.token = false, 0
	if o != nil && o.status != nil {
		st := o.status
		echoed, ok := parseMicro(st.ObservedRenewTime)
		if ok && echoed.After(l.lastT) {
			l.lastT = echoed.UTC().Truncate(time.Microsecond)
		}
		if ok && st.Leader == l.cfg.Identity && !l.closing {
			if until, mine := l.ledger.leadsUntil(echoed, st.ConfirmationWindowMilliseconds); mine {
				l.confirmed, l.until, l.acquireTime = true, until, st.AcquireTime
				if st.FencingToken != nil {
					l.token = *st.FencingToken
				}
			}
		}
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// judgementMayHaveChanged logs a change of leadership once.
func (l *Lock) judgementMayHaveChanged() {
	l.mu.Lock()
	now := l.cfg.Monotonic()
	lead := l.leaderAt(now)
	var line string
	if lead != l.reportedLead {
		l.reportedLead = lead
		if lead {
			line = fmt.Sprintf("confirmed as global leader, fencing token %d, valid for %v unless renewed", l.token,
				(l.until - now).Round(time.Millisecond))
		} else {
			line = "no longer leader: " + l.whyNotLeaderLocked()
		}
	}
	l.mu.Unlock()
	if line != "" {
		klog.Infof("%s: %s", l.subject, line)
	}
}

func (l *Lock) whyNotLeader() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.whyNotLeaderLocked()
}

func (l *Lock) whyNotLeaderLocked() string {
	switch {
	case l.closing:
		return "the lock is closed"
	case l.observed == nil:
		return "the object is gone or not yet read"
	case l.observed.status == nil || l.observed.status.Leader == "":
		return "status names no leader"
	case l.observed.status.Leader != l.cfg.Identity:
		s := "status names " + l.observed.status.Leader
		if c := l.observed.status.LeaderCluster; c != "" {
			s += " in " + c
		}
		return s
	case l.confirmed:
		return fmt.Sprintf("no fresh confirmation within the window of the last confirmed heartbeat (renewDeadline %v, "+
			"capped by the controller's status.confirmationWindowMilliseconds)", l.cfg.RenewDeadline)
	}
	return "status echoes a heartbeat this instance did not write (stale status, another instance, or released)"
}

// record is what Get hands client-go: us only while confirmed, renewTime always now (a foreign or placeholder
// record must never look expired to client-go's wall clock).
func (l *Lock) record() *resourcelock.LeaderElectionRecord {
	now := l.cfg.Clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	holder := NoLeader
	acquired := now
	mono := l.cfg.Monotonic()
	if l.term.answerLeader(l.leadershipAt(mono), mono) {
		holder = l.cfg.Identity
		if t, ok := parseMicro(l.acquireTime); ok {
			acquired = t
		}
	} else if st := l.observedStatus(); st != nil && st.Leader != "" && st.Leader != l.cfg.Identity {
		holder = st.Leader
	}
	return &resourcelock.LeaderElectionRecord{HolderIdentity: holder, LeaseDurationSeconds: int(l.cfg.LeaseDuration / time.Second),
		AcquireTime: metav1.NewTime(acquired), RenewTime: metav1.NewTime(now)}
}

func (l *Lock) observedStatus() *leaseStatus {
	if l.observed == nil {
		return nil
	}
	return l.observed.status
}

// holdsSpec: the last observed spec names this instance. Caller holds mu.
func (l *Lock) holdsSpec() bool {
	return l.observed != nil && l.heldByUs(l.observed.spec)
}

// heldByUs: spec names this identity, and this instance or none (a spec written before holderInstance existed);
// never another instance's candidacy.
func (l *Lock) heldByUs(s leaseSpec) bool {
	return s.HolderIdentity == l.cfg.Identity && (s.HolderInstance == "" || s.HolderInstance == l.instance)
}

// awaitConfirmation lets a confirmation that the watch delivers after the tick be answered at once: client-go asks
// again only R to 2.2 R after a tick ends, so without the wait a confirmed candidate would sit idle for that long.
// Only a holder of spec with a heartbeat that may still be echoed waits; the leader never does (its renewals and
// its OnStoppedLeading must not be delayed), nor anyone once the lock closes or releases. The bound is real time
// because client-go's scheduler runs on it; the judgement itself uses the injected monotonic clock.
func (l *Lock) awaitConfirmation(ctx context.Context, deadline time.Time) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		l.mu.Lock()
		wait := l.cfg.ConfirmationWait > 0 && !l.closing && l.stopWatch != nil && !l.ledger.empty() &&
			!l.leaderAt(l.cfg.Monotonic()) && l.holdsSpec()
		ch := l.changed
		l.mu.Unlock()
		if !wait {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// startWatch starts the watch once, on a context of the lock's own that Close ends.
func (l *Lock) startWatch() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopWatch != nil || l.closing {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.stopWatch = cancel
	go l.store.watch(ctx, l.observe)
}

func (l *Lock) report(verb string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the caller gave up (shutdown), the API server did nothing wrong
	}
	key, text := explain(verb, l.cfg.Namespace, l.cfg.Name, l.store.server(), l.cfg.RenewDeadline.String(), err)
	l.problems.report(key, text)
}

// checkSchema: a real API server prunes the fields its CRD does not know. A heartbeat that comes back without
// holderInstance or renewDeadlineMilliseconds means the cluster's CRD is older than this client, so the controller
// can neither cap confirmations by this process's D nor tell a restart from its predecessor.
func (l *Lock) checkSchema(written *leaseObject) {
	if written == nil || written.spec.HolderIdentity != l.cfg.Identity {
		return
	}
	if written.spec.HolderInstance == "" || written.spec.RenewDeadlineMilliseconds == nil {
		l.problems.report("crd-outdated", "the API server pruned spec.holderInstance and spec.renewDeadlineMilliseconds "+
			"from this heartbeat: the MultiClusterLease CRD of this cluster is older than this client; apply the CRD "+
			"of this release (kubectl apply -f multiclusterleases.mclease.dev-v1.yml)")
	}
}

// ElectionConfig is a client-go LeaderElectionConfig for this lock: its timings, ReleaseOnCancel (so a graceful
// stop frees the global lock at once) and the given callbacks. Set further fields on the result as needed.
func (l *Lock) ElectionConfig(callbacks leaderelection.LeaderCallbacks) leaderelection.LeaderElectionConfig {
	return leaderelection.LeaderElectionConfig{
		Lock:            l,
		Name:            l.cfg.Name,
		LeaseDuration:   l.cfg.LeaseDuration,
		RenewDeadline:   l.cfg.RenewDeadline,
		RetryPeriod:     l.cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Callbacks:       callbacks,
	}
}
