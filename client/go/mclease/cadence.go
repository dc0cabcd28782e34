package mclease

import "time"

// cadence decides when the local holder writes its next heartbeat: the rule that keeps API writes near a
// single-cluster Lease lock's (docs/client.md, "Heartbeat cadence"; the Java client's HeartbeatCadence is the same
// rule). client-go's elector calls the lock every tick — every RetryPeriod R while leading, up to 2.2 R (jittered)
// while not — and the lock writes only when a heartbeat is needed:
//
//   - Leader: a heartbeat is needed only to be confirmed again before the newest confirmation runs out, so it is
//     written once less than max(D − 2R, 2R) of it is left: once the confirmation is two ticks old. The next tick
//     comes within R, so at least D − 3R (and at least R) is left when it goes out, and the echo path may stall that
//     long without costing the leadership. The controller echoes every new heartbeat, so this also sets how often it
//     writes status. If the echo does not come, the remainder only shrinks and every tick writes.
//   - Not leader (a standby cluster's local holder): a heartbeat keeps it alive for its controller and local peers
//     and must stay younger than D − 2R even at the next tick, 2.2 R away, so that the echo made at a handover still
//     confirms it for at least 2R, time for the new leader's first refresh: it is written once D − 4.2 R has passed
//     since the last one.
//   - Not leader, on an object no controller has served yet (no status: its controller is not running or is behind,
//     as when thousands of leases are created at once): no echo can come before the controller gets to it, and a
//     heartbeat per tick would only add to the controller's work. It is written once (L − 2.2R)/2 has passed, which
//     keeps it alive for its local peers (at most L/2 + 1.1R old at the next tick); once status is there the
//     standby rule applies at once.
//   - Never more than one write per R/2, and at once for a first write or a takeover of the local spec.
//
// Safety does not depend on it: a confirmation lasts t0(T) + min(D, W) whenever T was written.
type cadence struct {
	minInterval     time.Duration
	refreshLeft     time.Duration
	standbyInterval time.Duration
	// unservedInterval: a non-leader's interval while the object has no status
	unservedInterval time.Duration
}

func newCadence(leaseDuration, renewDeadline, retryPeriod time.Duration) cadence {
	minInterval := retryPeriod / 2
	standby := max(minInterval, renewDeadline-retryPeriod*42/10)
	return cadence{
		minInterval:      minInterval,
		refreshLeft:      max(renewDeadline-2*retryPeriod, 2*retryPeriod),
		standbyInterval:  standby,
		unservedInterval: max(standby, (leaseDuration-retryPeriod*22/10)/2),
	}
}

// due reports whether to write a heartbeat at monotonic now. first: nothing written yet, or this write takes the
// local spec over; lastWrite: monotonic instant of the last heartbeat; lead: this instance's leadership now.
func (c cadence) due(first bool, lastWrite time.Duration, lead Leadership, served bool, now time.Duration) bool {
	if first {
		return true
	}
	since := now - lastWrite
	if since < c.minInterval {
		return false
	}
	if lead.Leader && now < lead.ValidUntil {
		return lead.ValidUntil-now <= c.refreshLeft
	}
	if !served {
		return since >= c.unservedInterval
	}
	return since >= c.standbyInterval
}
