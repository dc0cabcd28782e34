package mclease

import "time"

// heartbeatLedger is the candidate's half of the confirmation rule (docs/protocol.md, "Candidate side" 2 and 3)
// with no I/O, the same rule as the Java client's HeartbeatLedger: which heartbeats T this lock instance wrote,
// the monotonic instant t0(T) of each write request, and how long an echo of one of them lets it lead.
//
// An echo of T with window W makes this instance leader until t0(T) + min(D, W). Why that is safe: t0(T) precedes
// the controller's observation of T, which precedes its echo at e, and the controller grants W ≤ heldUntil − e − M.
// So the leadership ends at least M before the global lock could pass to anyone else, on any clock that runs at
// about the same rate, whatever D this candidate was configured with. Only the identity of T matters (its
// microsecond instant); its value is never compared with a clock.
//
// Not safe for concurrent use: the Lock calls it under its mutex.
type heartbeatLedger struct {
	renewDeadline time.Duration
	written       map[int64]time.Duration // T in Unix microseconds → t0 on the monotonic source
}

func newHeartbeatLedger(renewDeadline time.Duration) *heartbeatLedger {
	return &heartbeatLedger{renewDeadline: renewDeadline, written: map[int64]time.Duration{}}
}

// wrote remembers that heartbeat t is being written, its request sent at monotonic t0, and forgets heartbeats
// older than D: no echo of them could make this instance leader any more.
func (l *heartbeatLedger) wrote(t time.Time, t0 time.Duration) {
	l.written[t.UnixMicro()] = t0
	for k, v := range l.written {
		if t0-v >= l.renewDeadline {
			delete(l.written, k)
		}
	}
}

// leadsUntil is the monotonic instant until which an echo of echoed with window (nil: the controller published
// none, as before 0.2) makes this instance leader; ok is false when echoed is not a heartbeat this instance wrote
// (a previous process's, another replica's, or one forgotten by a release).
func (l *heartbeatLedger) leadsUntil(echoed time.Time, window *int64) (until time.Duration, ok bool) {
	t0, ok := l.written[echoed.UnixMicro()]
	if !ok {
		return 0, false
	}
	w := l.renewDeadline
	if window != nil {
		// a window ≤ 0 never comes from a controller (it does not echo then): no leadership at all
		w = min(w, time.Duration(max(0, *window))*time.Millisecond)
	}
	return t0 + w, true
}

// clear forgets every heartbeat: after a release or close no late echo may confirm this instance.
func (l *heartbeatLedger) clear() { clear(l.written) }

func (l *heartbeatLedger) empty() bool { return len(l.written) == 0 }
