package mclease

// What a tick may write, decided under mu without I/O: the local election on spec (docs/protocol.md, candidate rule
// 1), the cadence that says whether a heartbeat is needed (cadence.go), and the heartbeat itself, T and its t0 in the
// ledger. Apart from the tick's I/O (tick.go) so that the rules read without the requests around them.

import (
	"fmt"
	"time"
)

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
