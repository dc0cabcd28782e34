package mclease

import (
	"context"
	"testing"
	"time"
)

// leading makes the rig's lock the confirmed leader on a watch that vouches: the object created with its heartbeat
// at the rig's monotonic start, echoed with token 7 and no window (so it leads for D = 10 s from there).
func leading(r *rig) {
	r.t.Helper()
	r.srv.setVouch(true)
	r.tick(0)
	r.srv.echo(7, nil)
	if !r.lock.Leadership().Leader {
		r.t.Fatalf("not leader after the echo: %s", r.lock.whyNotLeader())
	}
}

// holding: on a watch that vouches, the lock created the object with its heartbeat and nobody confirms it (a standby
// cluster's candidate).
func holding(r *rig) {
	r.t.Helper()
	r.srv.setVouch(true)
	r.tick(0)
	r.srv.setStatus(leaseStatus{}) // its controller has served the object: the standby cadence (cadence.go)
}

// peerHolds: a live local peer b holds spec, seen by the watch.
func peerHolds(r *rig) {
	r.srv.setVouch(true)
	r.srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(r.wall.Now())})
}

// A tick step: before runs first (what other writers do), then one tick after advance; want is what the lock sent.
type tickStep struct {
	before  func(*rig)
	advance time.Duration
	want    requests
}

func behind(r *rig) { r.srv.setBehind(true) }

// ownSpecBehind: spec still ours but with another renewTime than the watch's state has (e.g. a write of ours whose
// answer was lost): a spec write decided on the watch's state is refused as stale.
func ownSpecBehind(r *rig) {
	s := r.srv.spec()
	s.RenewTime = formatMicro(r.wall.Now().Add(-time.Second))
	r.srv.setSpec(s)
}

func all(fs ...func(*rig)) func(*rig) {
	return func(r *rig) {
		for _, f := range fs {
			f(r)
		}
	}
}

// What each tick sends (defaults L 15 s, D 10 s, R 2 s: the leader writes once its confirmation is 4 s old, a holder
// that does not lead once 1.6 s have passed since its last heartbeat, nobody twice within 1 s). While the watch
// vouches, a tick decides on the newest state seen and sends only its write; a stale state costs the refused write
// (a renewal: a read and the same heartbeat again at once; anything else: the next tick reads first); a watch that
// does not vouch (not listed yet, re-establishing) makes every tick read first.
func TestWhatATickSends(t *testing.T) {
	bHeartbeats := func(r *rig) {
		r.srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(r.wall.Now().Add(time.Millisecond))})
	}
	echo := func(r *rig) { r.srv.echo(7, nil) }
	tests := []struct {
		name  string
		setup func(*rig)
		steps []tickStep
		check func(*testing.T, *rig)
	}{
		{name: "steady leader, nothing to write: nothing sent", setup: leading,
			steps: []tickStep{{advance: 2 * sec}},
			check: func(t *testing.T, r *rig) {
				if !r.lock.Leadership().Leader {
					t.Fatal("not leader")
				}
			}},
		{name: "leader whose confirmation is two ticks old: one write, no get", setup: leading,
			steps: []tickStep{{advance: 2 * sec}, {advance: 2 * sec, want: requests{write: 1}}, {before: echo, advance: 2 * sec}}},
		{name: "a live local peer holds spec: the standby sends nothing", setup: peerHolds,
			steps: []tickStep{{advance: 0}, {before: bHeartbeats, advance: 2 * sec}, {before: bHeartbeats, advance: 2 * sec}},
			check: func(t *testing.T, r *rig) {
				if h := r.srv.spec().HolderIdentity; h != "b" {
					t.Fatalf("spec held by %q", h)
				}
			}},
		{name: "a holder that does not lead: one write once D - 4.2R has passed", setup: holding,
			steps: []tickStep{{advance: sec}, {advance: sec, want: requests{write: 1}}, {advance: sec}}},
		{name: "a holder on an object no controller has served (no status): one write once (L - 2.2R)/2 has passed",
			setup: func(r *rig) { r.srv.setVouch(true); r.tick(0) },
			steps: []tickStep{{advance: 2 * sec}, {advance: 2 * sec}, {advance: 2 * sec, want: requests{write: 1}},
				{advance: 2 * sec}}},
		{name: "a missing object: one create", setup: func(r *rig) { r.srv.setVouch(true) },
			steps: []tickStep{{advance: 0, want: requests{create: 1}}}},
		{name: "watch not listed yet: every tick reads first", setup: func(*rig) {},
			steps: []tickStep{
				{advance: 0, want: requests{get: 1, create: 1}},
				{before: echo, advance: 2 * sec, want: requests{get: 1}},
				{advance: 2 * sec, want: requests{get: 1, write: 1}},
			}},
		{name: "watch broken: every tick reads first, until it vouches again", setup: leading,
			steps: []tickStep{
				{before: func(r *rig) { r.srv.setVouch(false) }, advance: 2 * sec, want: requests{get: 1}},
				{advance: 2 * sec, want: requests{get: 1, write: 1}},
				{before: all(echo, func(r *rig) { r.srv.setVouch(true) }), advance: 2 * sec},
				{advance: 2 * sec, want: requests{write: 1}},
			}},
		{name: "a status write behind the watch does not refuse the renewal: one write", setup: leading,
			steps: []tickStep{
				{advance: 2 * sec},
				{before: all(behind, echo), advance: 2 * sec, want: requests{write: 1}},
			}},
		{name: "renewal refused as stale (spec changed behind the watch): a get and the same heartbeat again at once",
			setup: leading,
			steps: []tickStep{
				{advance: 2 * sec},
				{before: all(behind, ownSpecBehind), advance: 2 * sec, want: requests{get: 1, write: 2}},
				{before: all(func(r *rig) { r.srv.setBehind(false) }, echo), advance: 2 * sec},
			},
			check: func(t *testing.T, r *rig) {
				tried := r.srv.triedSpecs()
				if len(tried) != 2 || tried[0].RenewTime != tried[1].RenewTime || r.srv.spec().RenewTime != tried[1].RenewTime {
					t.Fatalf("the refused heartbeat and its retry: %+v, on the server %+v", tried, r.srv.spec())
				}
				if !r.lock.Leadership().Leader || r.lock.Problem() != "" {
					t.Fatalf("leader %v, problem %q", r.lock.Leadership().Leader, r.lock.Problem())
				}
			}},
		{name: "renewal refused twice: the next tick reads first", setup: leading,
			steps: []tickStep{
				{before: func(r *rig) { r.srv.mu.Lock(); r.srv.conflicts = 2; r.srv.mu.Unlock() }, advance: 4 * sec,
					want: requests{get: 1, write: 2}},
				{advance: 2 * sec, want: requests{get: 1, write: 1}},
			}},
		{name: "a write refused as stale that is no renewal (spec taken): the next tick reads first", setup: holding,
			steps: []tickStep{
				{before: all(behind, bHeartbeats), advance: 2 * sec, want: requests{write: 1, get: 1}},
				{advance: 2 * sec, want: requests{get: 1}},
				{advance: 2 * sec},
			},
			check: func(t *testing.T, r *rig) {
				if h := r.srv.spec().HolderIdentity; h != "b" || r.lock.Problem() != "" {
					t.Fatalf("spec held by %q, problem %q", h, r.lock.Problem())
				}
			}},
		{name: "a create that lost to a creator the watch had not seen: the next tick reads first",
			setup: func(r *rig) { r.srv.setVouch(true) },
			steps: []tickStep{
				{before: all(behind, bHeartbeats), advance: 0, want: requests{create: 1}},
				{advance: 2 * sec, want: requests{get: 1}},
				{advance: 2 * sec},
			}},
		{name: "the object deleted behind the watch: the write's 404 makes the next tick read and create", setup: holding,
			steps: []tickStep{
				{before: all(behind, func(r *rig) { r.srv.remove() }), advance: 2 * sec, want: requests{write: 1}},
				{advance: 2 * sec, want: requests{get: 1, create: 1}},
				{advance: sec},
			},
			check: func(t *testing.T, r *rig) {
				if h := r.srv.spec().HolderIdentity; h != "a" || r.lock.Problem() != "" {
					t.Fatalf("spec held by %q, problem %q", h, r.lock.Problem())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, newFake(), "a", 0, nil)
			tt.setup(r)
			r.srv.sent()
			r.srv.mu.Lock()
			r.srv.tried = nil
			r.srv.mu.Unlock()
			for i, s := range tt.steps {
				if s.before != nil {
					s.before(r)
				}
				r.tick(s.advance)
				if got := r.srv.sent(); got != s.want {
					t.Fatalf("tick %d sent %v, want %v", i+1, got, s.want)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// What a release sends: one write while the watch vouches that this instance holds spec; a read before it believes
// "not ours" (a write of ours whose answer was lost may hold spec); a stale state costs the refused write and a read.
func TestWhatAReleaseSends(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*rig)
		want       requests
		wantHolder string
	}{
		{"the watch's state is ours: one write", holding, requests{write: 1}, ""},
		{"a status write behind the watch: still one write",
			all(holding, behind, func(r *rig) { r.srv.echo(7, nil) }), requests{write: 1}, ""},
		{"spec changed behind the watch (409): write, get, write",
			all(holding, behind, ownSpecBehind), requests{write: 2, get: 1}, ""},
		{"the watch's state says not ours, a write whose answer was lost holds spec: get, write", func(r *rig) {
			r.srv.setVouch(true)
			r.srv.mu.Lock()
			r.srv.loseAnswer = true
			r.srv.mu.Unlock()
			r.tick(0)
		}, requests{get: 1, write: 1}, ""},
		{"not ours, and the read agrees: one get, nothing written", peerHolds, requests{get: 1}, "b"},
		{"the object deleted behind the watch: the write's 404, then a read finds nothing",
			all(holding, behind, func(r *rig) { r.srv.remove() }), requests{write: 1, get: 1}, ""},
		{"the watch does not vouch: get, write", func(r *rig) { r.tick(0) }, requests{get: 1, write: 1}, ""},
		{"a tick's write was refused as stale: the release reads first", all(holding, func(r *rig) {
			r.srv.setBehind(true)
			r.srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(r.wall.Now())})
			r.tick(2 * sec) // 409, the read shows b: the next request reads first
			r.srv.setBehind(false)
			r.srv.setSpec(leaseSpec{HolderIdentity: "a", HolderInstance: r.lock.Instance(), RenewTime: formatMicro(r.wall.Now())})
		}), requests{get: 1, write: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, newFake(), "a", 0, nil)
			tt.setup(r)
			r.srv.sent()
			if err := r.lock.Release(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := r.srv.sent(); got != tt.want {
				t.Fatalf("release sent %v, want %v", got, tt.want)
			}
			if h := r.srv.spec().HolderIdentity; h != tt.wantHolder {
				t.Fatalf("spec held by %q after the release, want %q", h, tt.wantHolder)
			}
			if r.lock.Leadership().Leader {
				t.Fatal("leader after the release")
			}
		})
	}
}
