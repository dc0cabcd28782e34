package mclease

// The Lock as client-go's elector sees it: the resourcelock.Interface methods and the errors they return. Get, Create
// and Update run the tick (tick.go) and then answer from the monotonic judgement (leadership.go); they are apart from
// both so that what client-go is told can be read against the contract in Lock's documentation in one place.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

var _ resourcelock.Interface = (*Lock)(nil)

// Identity implements resourcelock.Interface.
func (l *Lock) Identity() string { return l.cfg.Identity }

// Describe implements resourcelock.Interface.
func (l *Lock) Describe() string { return l.cfg.Namespace + "/" + l.cfg.Name }

// RecordEvent implements resourcelock.Interface: an event on the object, if an EventRecorder was configured.
func (l *Lock) RecordEvent(s string) {
	l.mu.Lock()
	o := l.observed
	l.mu.Unlock()
	if l.cfg.EventRecorder == nil || o == nil || o.raw == nil {
		return
	}
	l.cfg.EventRecorder.Eventf(o.raw, "Normal", "LeaderElection", "%s %s", l.cfg.Identity, s)
}

// Get implements resourcelock.Interface. It never returns an error (client-go would log it and try nothing else)
// and never NotFound (client-go would then call Create): it answers from the last observed state when the API
// server does not, and Problem says why.
func (l *Lock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	start := time.Now()
	if l.tick(ctx) {
		l.awaitConfirmation(ctx, start.Add(l.cfg.ConfirmationWait))
	}
	rec := l.record()
	l.mu.Lock()
	l.recordCounter++
	n := l.recordCounter
	l.mu.Unlock()
	// client-go restarts its observedTime only when the raw record changes: a new one each time means it never
	// judges expiry itself; the lock does, on the monotonic clock.
	raw, err := json.Marshal(struct {
		Record *resourcelock.LeaderElectionRecord `json:"record"`
		N      uint64                             `json:"n"`
	}{rec, n})
	if err != nil {
		return nil, nil, err
	}
	return rec, raw, nil
}

// Create implements resourcelock.Interface. Get creates the object itself, so client-go never needs to; if it calls
// anyway, Create is a tick and returns nil only while confirmed.
func (l *Lock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if ler.HolderIdentity != l.cfg.Identity {
		return fmt.Errorf("%s: refusing to create a record for %q; only the candidate itself writes its heartbeat",
			l.subject, ler.HolderIdentity)
	}
	l.tick(ctx)
	return l.errIfNotLeader()
}

// Update implements resourcelock.Interface: a renewal (a tick, nil only while confirmed), a release (empty holder)
// or, for anyone else, a refusal: a take-over by wall-clock expiry is never right here.
func (l *Lock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	switch ler.HolderIdentity {
	case "":
		return l.Release(ctx)
	case l.cfg.Identity:
		l.tick(ctx)
		return l.errIfNotRenewal()
	default:
		return fmt.Errorf("%s: refusing to take the MultiClusterLease over for %q by wall-clock expiry; the local "+
			"election follows heartbeats observed on this process's monotonic clock", l.subject, ler.HolderIdentity)
	}
}

// errIfNotRenewal: nil only while confirmed for the acquisition client-go's term began with (electorTerm).
func (l *Lock) errIfNotRenewal() error {
	l.mu.Lock()
	lead := l.leadershipAt(l.cfg.Monotonic())
	renews := l.term.renews(lead)
	l.mu.Unlock()
	switch {
	case renews:
		return nil
	case !lead.Leader:
		return l.notLeaderConflict()
	}
	return apierrors.NewConflict(GroupVersionResource.GroupResource(), l.cfg.Name,
		fmt.Errorf("confirmed for a new acquisition (fencing token %d), not the one this elector's term began with; "+
			"the term ends first and a new one starts with OnStartedLeading", lead.FencingToken))
}

func (l *Lock) errIfNotLeader() error {
	if l.Leadership().Leader {
		return nil
	}
	return l.notLeaderConflict()
}

// notLeaderConflict is a conflict, as another writer's win would be: client-go logs it and asks again next tick.
func (l *Lock) notLeaderConflict() error {
	return apierrors.NewConflict(GroupVersionResource.GroupResource(), l.cfg.Name,
		fmt.Errorf("not leader: %s. The election controller of this cluster confirms a leader by echoing its "+
			"heartbeat into status", l.whyNotLeader()))
}
