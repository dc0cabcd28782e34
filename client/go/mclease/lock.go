package mclease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
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

var _ resourcelock.Interface = (*Lock)(nil)

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

// Identity implements resourcelock.Interface.
func (l *Lock) Identity() string { return l.cfg.Identity }

// Describe implements resourcelock.Interface.
func (l *Lock) Describe() string { return l.cfg.Namespace + "/" + l.cfg.Name }

// Problem is the current problem talking to the API server (what happened and what to do), or "".
func (l *Lock) Problem() string { return l.problems.current() }

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

// nextHeartbeat decides whether this tick writes a heartbeat on cur (nil: create the object) and returns its spec;
// took says why this instance may write spec it did not hold ("" when it holds it, or creates it).
func (l *Lock) nextHeartbeat(cur *leaseObject) (spec leaseSpec, took string, write bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return leaseSpec{}, "", false
	}
	now := l.cfg.Monotonic()
	if cur == nil {
		return l.heartbeatSpec(now), "", true
	}
	took, ok := l.mayWriteSpec(cur.spec, now)
	if !ok || !l.cadence.due(took != "" || !l.wrote, l.lastWrite, l.leadershipAt(now), cur.status != nil, now) {
		return leaseSpec{}, "", false
	}
	return l.heartbeatSpec(now), took, true
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

// mayWriteSpec applies the local election rule: this process may write spec when it holds it, when it is free, or
// when the holder's (holderIdentity, renewTime) has not changed for the holder's L on this process's monotonic
// clock. took describes what was taken ("" for a heartbeat of our own). Caller holds mu.
func (l *Lock) mayWriteSpec(s leaseSpec, now time.Duration) (took string, ok bool) {
	switch {
	case s.HolderIdentity == l.cfg.Identity:
		if s.HolderInstance == "" || s.HolderInstance == l.instance {
			return "", true
		}
		// A restart under the same identity takes spec at once; the controller sees a new holderInstance and
		// re-acquires once the earlier instance's last confirmation has run out, so the new term gets a new token.
		return "it was held by an earlier instance of this identity (" + s.HolderInstance + "); leadership follows " +
			"with a new fencing token once that instance's last confirmation has run out", true
	case s.HolderIdentity == "":
		return "it was free", true
	}
	lease := l.cfg.LeaseDuration
	if s.LeaseDurationSeconds != nil {
		lease = time.Duration(*s.LeaseDurationSeconds) * time.Second
	}
	if s.HolderIdentity == l.pairHolder && now-l.pairSince >= lease {
		return fmt.Sprintf("%s's heartbeat had not changed for %v on this process's clock", s.HolderIdentity,
			(now - l.pairSince).Round(time.Millisecond)), true
	}
	return "", false
}

// heartbeatSpec picks the next T, remembers T → t0 and returns the spec that carries it. Caller holds mu.
func (l *Lock) heartbeatSpec(t0 time.Duration) leaseSpec {
	t := l.nextT()
	l.ledger.wrote(t, t0)
	l.wrote, l.lastWrite = true, t0
	lease := int64(l.cfg.LeaseDuration / time.Second)
	deadline := l.cfg.RenewDeadline.Milliseconds()
	return leaseSpec{HolderIdentity: l.cfg.Identity, LeaseDurationSeconds: &lease, RenewTime: formatMicro(t),
		RenewDeadlineMilliseconds: &deadline, HolderInstance: l.instance}
}

// nextT is strictly increasing per writer and newer than any echo seen, so a stale status can never echo a T this
// instance is about to write. Only the identity of T matters; its value is never compared with a clock.
func (l *Lock) nextT() time.Time {
	t := l.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
	if !l.lastT.IsZero() && !t.After(l.lastT) {
		t = l.lastT.Add(time.Microsecond)
	}
	l.lastT = t
	return t
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
