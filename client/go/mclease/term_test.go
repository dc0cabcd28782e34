package mclease

import (
	"testing"
	"time"
)

func TestElectorTerm(t *testing.T) {
	const ms = time.Millisecond
	lead := func(token int64) Leadership { return Leadership{Leader: true, FencingToken: token} }
	none := Leadership{}
	type step struct {
		lead   Leadership
		at     time.Duration
		answer bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"the first term starts at once", []step{{none, 0, false}, {lead(3), 10 * ms, true}}},
		{"the same token after a lapse is answered at once", []step{
			{lead(2), 0, true}, {none, 100 * ms, false}, {lead(2), 200 * ms, true}}},
		{"a new token waits D + R after the first refusal", []step{
			{lead(2), 0, true}, {none, 1000 * ms, false}, {none, 1200 * ms, false},
			{lead(6), 2000 * ms, false}, {lead(6), 2699 * ms, false}, {lead(6), 2700 * ms, true}, {lead(6), 2900 * ms, true}}},
		{"a frozen elector resuming to a new token is refused, then waits from that refusal", []step{
			{lead(2), 0, true}, {lead(6), 5000 * ms, false}, {lead(6), 6699 * ms, false}, {lead(6), 6700 * ms, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newElectorTerm(1500*ms, 200*ms)
			for i, s := range tt.steps {
				if got := term.answerLeader(s.lead, s.at); got != s.answer {
					t.Fatalf("step %d (token %d at %v): answer %v, want %v", i, s.lead.FencingToken, s.at, got, s.answer)
				}
			}
		})
	}
}

func TestElectorTermRenews(t *testing.T) {
	term := newElectorTerm(1500*time.Millisecond, 200*time.Millisecond)
	lead := func(token int64) Leadership { return Leadership{Leader: true, FencingToken: token} }
	if term.renews(lead(2)) {
		t.Error("never told: Update must not renew")
	}
	term.answerLeader(lead(2), 0)
	if !term.renews(lead(2)) {
		t.Error("told token 2: Update renews it")
	}
	if term.renews(lead(6)) {
		t.Error("an Update of a frozen tick must not renew the term of 2 with token 6")
	}
	term.ended()
	if term.renews(lead(2)) {
		t.Error("released: no renewal of the ended term")
	}
	if !term.answerLeader(lead(6), time.Millisecond) {
		t.Error("after a release the next acquisition starts at once")
	}
}
