package mclease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// Lock is a resourcelock.Interface on the MultiClusterLease of this process's own cluster. Give it to
// leaderelection.RunOrDie (or a controller-runtime manager) in place of a LeaseLock and the elector elects one
// leader across every cluster that runs the election controller, without comparing anybody's wall clock.
//
// How it answers client-go's tryAcquireOrRenew:
//   - The first Get or Update(record naming us) of a tick is the tick: it writes at most one heartbeat when this
//     process may hold spec and the cadence asks for one (creating the object if missing). It decides on the newest
//     state this process has seen while its watch has listed and is watching, so a tick that writes nothing sends
//     no request; before the watch's first list, while it is being re-established and after a write was refused as
//     stale, it reads the object first. Later calls of the same tick (within RetryPeriod/2 of its end) answer from
//     memory, so a tick never writes twice.
//   - Get names this identity only while an echo of this instance's own heartbeat confirms it; otherwise the
//     global leader from status, or NoLeader. RenewTime is always now and the raw record always new, so client-go's
//     observedTime never runs out and it never tries a take-over by wall-clock expiry.
//   - Update(record naming us) returns nil only while confirmed; Update(empty holder), client-go's release, stops
//     counting us leader before it writes spec.holderIdentity = "".
//   - A holder of spec that is not confirmed yet waits in Get, up to ConfirmationWait, for the echo, so that it
//     leads as soon as the controller confirms rather than one retry period later.
//
// Safe for concurrent use. One Lock per candidate process and object; do not share an identity between processes.
type Lock struct {
	cfg      Config
	store    store
	instance string
	subject  string
	problems *problems

	// io serialises the request sequences of ticks and releases, so that a release never interleaves with a
	// heartbeat write of a tick still in flight.
	io sync.Mutex
	// readNext: a write decided on the watch's state was refused as stale, so the next tick or release reads before
	// it decides. Guarded by io.
	readNext bool

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced whenever the observation changes
	observed      *leaseObject
	observedRV    int64
	pairHolder    string
	pairRenew     string
	pairSince     time.Duration
	ledger        *heartbeatLedger
	lastT         time.Time
	ticked        bool
	lastTickEnd   time.Duration
	cadence       cadence
	term          electorTerm
	wrote         bool          // a heartbeat was written by this instance
	lastWrite     time.Duration // monotonic instant of that last heartbeat
	confirmed     bool
	until         time.Duration
	token         int64
	acquireTime   string
	reportedLead  bool
	closing       bool
	stopWatch     context.CancelFunc
	recordCounter uint64
}

// New returns a Lock that talks to the API server through client. host only names the server in messages.
func New(client dynamic.Interface, host string, cfg Config) (*Lock, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newLock(newDynamicStore(client, cfg.Namespace, cfg.Name, host), cfg), nil
}

// NewForConfig returns a Lock on a dynamic client made from restConfig. Each request of a tick is bounded by its
// context (max(R, D/2), client-go's advice for leader election clients); restConfig.Timeout is cleared in the copy,
// since an http.Client timeout would also cut the lock's watch every few seconds.
func NewForConfig(restConfig *rest.Config, cfg Config) (*Lock, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := rest.CopyConfig(restConfig)
	c.Timeout = 0
	c = rest.AddUserAgent(c, "mclease-candidate")
	dc, err := dynamic.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("mclease: %w", err)
	}
	return New(dc, c.Host, cfg)
}

func newLock(s store, cfg Config) *Lock {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	subject := fmt.Sprintf("MultiClusterLease %s/%s (%s)", cfg.Namespace, cfg.Name, cfg.Identity)
	return &Lock{
		cfg: cfg, store: s, instance: hex.EncodeToString(b), subject: subject, problems: &problems{subject: subject},
		changed: make(chan struct{}), observedRV: -1, pairSince: cfg.Monotonic(), ledger: newHeartbeatLedger(cfg.RenewDeadline),
		cadence: newCadence(cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod),
		term:    newElectorTerm(cfg.RenewDeadline, cfg.RetryPeriod),
	}
}

// Config returns the lock's configuration with every default filled in: pass its LeaseDuration, RenewDeadline
// and RetryPeriod to client-go's LeaderElectionConfig.
func (l *Lock) Config() Config { return l.cfg }

// Instance is the random id of this lock instance, written as spec.holderInstance with every heartbeat: a restart
// under the same identity shows the controller a new instance, and so a new fencing token.
func (l *Lock) Instance() string { return l.instance }

// Problem is the current problem talking to the API server (what happened and what to do), or "".
func (l *Lock) Problem() string { return l.problems.current() }
