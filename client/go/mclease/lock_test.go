package mclease

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

const sec = time.Second

// The local election: a holder counts while its (holderIdentity, renewTime) changed less than its L ago on this
// process's monotonic clock; its renewTime value (here an hour in the future) never matters.
func TestLocalElectionFreshVersusExpiredHolder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		after    time.Duration
		holderL  *int64
		wantTake bool
	}{
		{"fresh holder, just under L", 15*sec - time.Millisecond, nil, false},
		{"expired holder, exactly L", 15 * sec, nil, true},
		{"the holder's own L counts, not ours: 5 s", 5 * sec, ptr[int64](5), true},
		{"the holder's own L counts, not ours: 30 s", 20 * sec, ptr[int64](30), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake()
			srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(epoch.Add(time.Hour)), LeaseDurationSeconds: tc.holderL})
			r := newRig(t, srv, "a", 0, nil)
			if got := r.tick(0); got != NoLeader {
				t.Fatalf("record holder %q, want %q", got, NoLeader)
			}
			r.tick(tc.after)
			if took := srv.spec().HolderIdentity == "a"; took != tc.wantTake {
				t.Fatalf("took spec = %v, want %v (spec %+v)", took, tc.wantTake, srv.spec())
			}
		})
	}
}

// A changed heartbeat of the holder restarts the count: liveness is "changed within L", not "renewTime recent".
func TestLocalElectionHolderThatKeepsBeatingKeepsSpec(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	for i := range 20 {
		srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(epoch.Add(time.Duration(i) * time.Microsecond))})
		r.tick(2 * sec)
	}
	if h := srv.spec().HolderIdentity; h != "b" {
		t.Fatalf("spec taken from a live holder: %q", h)
	}
}

// A 409 is another candidate's win, not an error: no leadership, no problem, the next tick decides.
func TestConflictsAreRacesNotErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(*fakeServer)
		wantAfter string // spec holder after the next tick
	}{
		{"a spec write loses the race", func(s *fakeServer) {
			s.setSpec(leaseSpec{})
			s.conflicts = 1
		}, "a"},
		{"create loses to another creator (409 AlreadyExists)", func(s *fakeServer) {
			s.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(epoch)})
			s.hideOnce = true
		}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake()
			tc.setup(srv)
			r := newRig(t, srv, "a", 0, nil)
			before := srv.writeCount()
			r.tick(0)
			if got := srv.writeCount(); got != before {
				t.Fatalf("%d writes landed, want none", got-before)
			}
			if r.lock.Problem() != "" {
				t.Fatalf("a race reported as a problem: %s", r.lock.Problem())
			}
			if r.lock.Leadership().Leader {
				t.Fatal("leader after losing a race")
			}
			if err := r.lock.Update(context.Background(), resourcelock.LeaderElectionRecord{HolderIdentity: "a"}); err == nil {
				t.Fatal("Update succeeded without a confirmation")
			}
			r.tick(2 * sec) // the next tick decides: a free spec is taken, a live holder is left alone
			if h := srv.spec().HolderIdentity; h != tc.wantAfter {
				t.Fatalf("after the next tick spec is held by %q, want %q", h, tc.wantAfter)
			}
		})
	}
}

// The confirmation rule, decision by decision (docs/protocol.md, Candidate side 3).
func TestConfirmationRule(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status func(s *fakeServer, mine leaseSpec) leaseStatus
		after  time.Duration // monotonic time between the heartbeat and the question
		want   bool
	}{
		{"echo of own T, fresh", func(_ *fakeServer, m leaseSpec) leaseStatus { return echoOf("a", m.RenewTime, nil) }, 9 * sec, true},
		{"echo of own T, D passed", func(_ *fakeServer, m leaseSpec) leaseStatus { return echoOf("a", m.RenewTime, nil) }, 10 * sec, false},
		{"W smaller than D bounds it: inside W", func(_ *fakeServer, m leaseSpec) leaseStatus {
			return echoOf("a", m.RenewTime, ptr[int64](3000))
		}, 3*sec - time.Millisecond, true},
		{"W smaller than D bounds it: W passed", func(_ *fakeServer, m leaseSpec) leaseStatus {
			return echoOf("a", m.RenewTime, ptr[int64](3000))
		}, 3 * sec, false},
		{"W larger than D does not extend it", func(_ *fakeServer, m leaseSpec) leaseStatus {
			return echoOf("a", m.RenewTime, ptr[int64](60000))
		}, 10 * sec, false},
		{"W of zero is no leadership", func(_ *fakeServer, m leaseSpec) leaseStatus { return echoOf("a", m.RenewTime, ptr[int64](0)) }, 0, false},
		{"echo of someone else's T", func(_ *fakeServer, m leaseSpec) leaseStatus {
			return echoOf("a", formatMicro(epoch.Add(-time.Minute)), nil)
		}, 0, false},
		{"own T echoed for another leader", func(_ *fakeServer, m leaseSpec) leaseStatus { return echoOf("b", m.RenewTime, nil) }, 0, false},
		{"status names nobody", func(_ *fakeServer, m leaseSpec) leaseStatus { return leaseStatus{ObservedRenewTime: m.RenewTime} }, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake()
			r := newRig(t, srv, "a", 0, nil)
			r.tick(0)
			srv.setStatus(tc.status(srv, srv.spec()))
			r.mono.step(tc.after)
			if got := r.lock.Leadership().Leader; got != tc.want {
				t.Fatalf("leader = %v, want %v (%s)", got, tc.want, r.lock.whyNotLeader())
			}
			rec := r.lock.record()
			if (rec.HolderIdentity == "a") != tc.want {
				t.Fatalf("Get's record names %q while leader = %v", rec.HolderIdentity, tc.want)
			}
		})
	}
}

func echoOf(leader, t string, window *int64) leaseStatus {
	return leaseStatus{Leader: leader, LeaderCluster: "east", FencingToken: ptr[int64](7), ObservedRenewTime: t,
		ConfirmationWindowMilliseconds: window}
}

// A leader whose echoes stop (controller lost the backend, API server gone) stops leading at t0(T)+D on its own.
func TestLostConfirmation(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	r.tick(0)
	srv.echo(7, ptr[int64](8000))
	l := r.lock.Leadership()
	if !l.Leader || l.FencingToken != 7 || l.ValidFor != 8*sec {
		t.Fatalf("after the echo: %+v", l)
	}
	// heartbeats go on, no echo comes back
	for range 3 {
		r.tick(2 * sec)
		if err := r.lock.Update(context.Background(), resourcelock.LeaderElectionRecord{HolderIdentity: "a"}); err != nil {
			t.Fatalf("still inside the window, Update: %v", err)
		}
	}
	r.mono.step(2 * sec) // 8 s after the confirmed heartbeat
	if r.lock.Leadership().Leader {
		t.Fatal("still leader after the window of the last echo")
	}
	if err := r.lock.Update(context.Background(), resourcelock.LeaderElectionRecord{HolderIdentity: "a"}); err == nil {
		t.Fatal("Update renewed without a fresh confirmation")
	}
	// the API server is gone too: the judgement needs no answer
	srv.mu.Lock()
	srv.getErr = context.DeadlineExceeded
	srv.mu.Unlock()
	if got := r.tick(2 * sec); got == "a" {
		t.Fatal("record names us without a confirmation")
	}
	if !strings.Contains(r.lock.Problem(), "cannot reach") {
		t.Fatalf("problem: %q", r.lock.Problem())
	}
}

// Every decision with the wall clock an hour ahead or behind is the same as without: only the monotonic clock
// judges, and T is compared only for identity. Whether the ticks read first or decide on the watch's state changes
// nothing either.
func TestWallClockSkewChangesNothing(t *testing.T) {
	run := func(skew time.Duration, vouch bool) []string {
		srv := newFake()
		srv.setSpec(leaseSpec{HolderIdentity: "b", RenewTime: formatMicro(epoch)})
		r := newRig(t, srv, "a", skew, nil)
		srv.setVouch(vouch)
		var got []string
		note := func(step string) {
			l := r.lock.Leadership()
			got = append(got, step+": spec="+srv.spec().HolderIdentity+" leader="+map[bool]string{true: "yes", false: "no"}[l.Leader]+
				" validFor="+l.ValidFor.String())
		}
		r.tick(0)
		note("start")
		r.tick(14 * sec)
		note("b fresh")
		r.tick(1 * sec)
		note("b expired")
		srv.echo(3, ptr[int64](6000))
		note("echo")
		r.tick(2 * sec)
		note("renewed")
		srv.echo(3, nil)
		note("echo2")
		r.tick(11 * sec)
		note("lapsed")
		return got
	}
	base := run(0, false)
	for _, skew := range []time.Duration{0, time.Hour, -time.Hour} {
		for _, vouch := range []bool{false, true} {
			if skew == 0 && !vouch {
				continue
			}
			got := run(skew, vouch)
			for i := range base {
				if got[i] != base[i] {
					t.Fatalf("skew %v, watch vouches %v: decision %d is %q, without skew reading first %q", skew,
						vouch, i, got[i], base[i])
				}
			}
		}
	}
	if !strings.Contains(base[3], "leader=yes") || !strings.Contains(base[6], "leader=no") {
		t.Fatalf("scenario did not exercise leadership: %v", base)
	}
}

// A restart under the same identity is a new instance: it takes spec at once, the previous process's echo does not
// confirm it, and a release by the old instance never frees the new one's candidacy.
func TestNewHolderInstance(t *testing.T) {
	srv := newFake()
	old := newRig(t, srv, "a", 0, nil)
	old.tick(0)
	srv.echo(4, nil)
	if !old.lock.Leadership().Leader {
		t.Fatal("old instance not confirmed")
	}
	restarted := newRig(t, srv, "a", 0, nil)
	restarted.mono = old.mono
	restarted.lock.cfg.Monotonic = old.mono.read
	restarted.tick(sec)
	if s := srv.spec(); s.HolderInstance != restarted.lock.Instance() {
		t.Fatalf("restart did not take spec at once: %+v", s)
	}
	if restarted.lock.Leadership().Leader {
		t.Fatal("the new instance leads on the old instance's echo")
	}
	if err := old.lock.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := srv.spec(); s.HolderIdentity != "a" || s.HolderInstance != restarted.lock.Instance() {
		t.Fatalf("old instance released the new one's candidacy: %+v", s)
	}
	srv.echo(5, nil)
	if l := restarted.lock.Leadership(); !l.Leader || l.FencingToken != 5 {
		t.Fatalf("new instance after its own echo: %+v", l)
	}
}

// Release stops counting itself leader before the write lands, and no late echo confirms it again.
func TestReleaseStopsLeadingBeforeWriting(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	r.tick(0)
	srv.echo(2, nil)
	mine := srv.spec().RenewTime
	var leaderAtWrite *bool
	srv.beforeWrite = func(s leaseSpec) {
		if s.HolderIdentity == "" {
			v := r.lock.Leadership().Leader
			leaderAtWrite = &v
		}
	}
	if err := r.lock.Update(context.Background(), resourcelock.LeaderElectionRecord{}); err != nil {
		t.Fatal(err)
	}
	if leaderAtWrite == nil || *leaderAtWrite {
		t.Fatalf("leader while the release was written: %v", leaderAtWrite)
	}
	if s := srv.spec(); s.HolderIdentity != "" {
		t.Fatalf("spec after release: %+v", s)
	}
	srv.setStatus(echoOf("a", mine, nil)) // a controller's late echo of the last heartbeat
	if r.lock.Leadership().Leader {
		t.Fatal("a late echo confirmed a released lock")
	}
}

// Close is final: the echo of a heartbeat written before Close never makes the lock leader again.
func TestCloseIsFinal(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	r.tick(0)
	mine := srv.spec().RenewTime
	if err := r.lock.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.setStatus(echoOf("a", mine, nil))
	if r.lock.Leadership().Leader || r.tick(2*sec) == "a" {
		t.Fatal("leader after Close")
	}
	if n := srv.writeCount(); n != 2 { // the heartbeat and the release
		t.Fatalf("%d writes, want 2 (heartbeat, release)", n)
	}
}

// Get creates a missing object with our heartbeat and never answers NotFound (client-go would call Create).
func TestGetCreatesTheObject(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	if got := r.tick(0); got != NoLeader {
		t.Fatalf("holder %q", got)
	}
	s := srv.spec()
	if s.HolderIdentity != "a" || s.HolderInstance != r.lock.Instance() || *s.RenewDeadlineMilliseconds != 10000 ||
		*s.LeaseDurationSeconds != 15 {
		t.Fatalf("created spec: %+v", s)
	}
}

// Heartbeats are strictly increasing and newer than any echo seen, even when the wall clock steps back.
func TestHeartbeatsIncreaseAcrossAWallClockStepBack(t *testing.T) {
	srv := newFake()
	r := newRig(t, srv, "a", 0, nil)
	r.tick(0)
	srv.setStatus(leaseStatus{}) // served by its controller: the standby cadence
	first, _ := parseMicro(srv.spec().RenewTime)
	r.wall.SetTime(r.wall.Now().Add(-time.Hour))
	r.tick(4 * sec) // not leader: the next heartbeat once D − 4.2R = 1.6 s have passed (cadence.go)
	second, _ := parseMicro(srv.spec().RenewTime)
	if !second.After(first) {
		t.Fatalf("T went from %v to %v", first, second)
	}
}

func TestConfigRules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{}, ""},
		{"short timings", Config{LeaseDuration: 2 * sec, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 200 * time.Millisecond}, ""},
		{"L not whole seconds", Config{LeaseDuration: 1500 * time.Millisecond, RenewDeadline: sec, RetryPeriod: 100 * time.Millisecond}, "whole seconds"},
		{"L ≤ D", Config{LeaseDuration: 10 * sec}, "must be greater than RenewDeadline (10s)"},
		{"D ≤ 1.2 R", Config{RenewDeadline: 2 * sec}, "RenewDeadline (2s) must be greater than 1.2 × RetryPeriod (2s) = 2.4s"},
		{"cadence ≥ L", Config{LeaseDuration: 4 * sec, RenewDeadline: 3 * sec, RetryPeriod: sec, ConfirmationWait: 2 * sec}, "shorten ConfirmationWait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.Namespace, c.Name, c.Identity = "ns", "demo", "a"
			_, err := c.withDefaults()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := (Config{Namespace: "ns", Name: "n", Identity: NoLeader}).withDefaults(); err == nil {
		t.Fatal("reserved identity accepted")
	}
}
