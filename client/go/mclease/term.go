package mclease

import "time"

// electorTerm decides whether client-go's elector may be told "leader" now: the rule that makes every new
// acquisition start with its own OnStartedLeading (docs/client.md, "A new acquisition is a new term"; the Java
// client's ElectorTerm). client-go renews a term by Get and Update within its renew loop, and a renewal that succeeds
// continues the term without a callback. A leader that lapsed and was then confirmed for a new acquisition (another
// fencing token, after another cluster led) would be renewed across the gap, never hearing OnStoppedLeading.
//
// client-go does not end its renew loop on one failed renewal: it polls every RetryPeriod until RenewDeadline has
// passed since that loop iteration began, which is before the first failed answer. So once the elector has been
// told "leader" for one token, another token is answered "not leader" until RenewDeadline + RetryPeriod has passed
// since the first "not leader" answer after it (the RetryPeriod covers a poll that races its deadline); by then the
// renew loop has ended with OnStoppedLeading. Counting from an answer, not from the last "leader" answer, is what
// makes this hold for an elector frozen inside a tick. The same token again is answered at once; Update succeeds as
// a renewal only for the token the elector was last told. Not safe for concurrent use: the Lock holds mu.
type electorTerm struct {
	hold time.Duration // RenewDeadline + RetryPeriod

	toldLeader bool
	toldToken  int64
	refused    bool          // a "not leader" answer followed the last "leader" answer
	refusedAt  time.Duration // monotonic instant of the first such answer
}

func newElectorTerm(renewDeadline, retryPeriod time.Duration) electorTerm {
	return electorTerm{hold: renewDeadline + retryPeriod}
}

// answerLeader reports whether Get names this instance, for leadership lead at monotonic now.
func (t *electorTerm) answerLeader(lead Leadership, now time.Duration) bool {
	if !lead.Leader {
		t.refuse(now)
		return false
	}
	if lead.FencingToken != t.toldToken && (t.toldLeader || (t.refused && now-t.refusedAt < t.hold)) {
		t.refuse(now) // the elector may still be renewing the old term: let it end first
		return false
	}
	t.toldLeader, t.toldToken, t.refused = true, lead.FencingToken, false
	return true
}

func (t *electorTerm) refuse(now time.Duration) {
	if t.toldLeader {
		t.toldLeader, t.refused, t.refusedAt = false, true, now
	}
}

// renews reports whether Update may succeed as a renewal for leadership lead: only for the acquisition the elector
// was last told about.
func (t *electorTerm) renews(lead Leadership) bool {
	return lead.Leader && t.toldLeader && lead.FencingToken == t.toldToken
}

// ended: the elector's term ended with a release of ours; the next confirmation starts a new one at once.
func (t *electorTerm) ended() {
	t.toldLeader, t.refused = false, false
}
