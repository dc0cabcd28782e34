package mclease

import (
	"testing"
	"time"
)

func TestCadenceDue(t *testing.T) {
	const now = time.Hour
	lead := func(left time.Duration) Leadership {
		if left < 0 {
			return Leadership{}
		}
		return Leadership{Leader: true, FencingToken: 7, ValidUntil: now + left, ValidFor: left}
	}
	defaults := newCadence(15*time.Second, 10*time.Second, 2*time.Second)
	fast := newCadence(2*time.Second, 1500*time.Millisecond, 200*time.Millisecond)
	tests := []struct {
		name     string
		c        cadence
		first    bool
		unserved bool // the object has no status yet
		since    time.Duration
		left     time.Duration // < 0: not leader
		want     bool
	}{
		{"first write", defaults, true, false, 0, -1, true},
		{"takeover 100 ms after the last write", defaults, true, false, 100 * time.Millisecond, -1, true},
		{"never twice within R/2", defaults, false, false, 999 * time.Millisecond, 500 * time.Millisecond, false},
		{"leader, 8 s left", defaults, false, false, 2 * time.Second, 8 * time.Second, false},
		{"leader, 6.1 s left", defaults, false, false, 3900 * time.Millisecond, 6100 * time.Millisecond, false},
		{"leader, max(D - 2R, 2R) = 6 s left", defaults, false, false, 4 * time.Second, 6 * time.Second, true},
		{"leader, 3 s left: the echo did not come", defaults, false, false, 2 * time.Second, 3 * time.Second, true},
		{"standby, 1.5 s", defaults, false, false, 1500 * time.Millisecond, -1, false},
		{"standby, D - 4.2R = 1.6 s", defaults, false, false, 1600 * time.Millisecond, -1, true},
		{"confirmation just ran out: standby rule", defaults, false, false, 1600 * time.Millisecond, 0, true},
		{"fast leader, 1200 ms left: one tick old", fast, false, false, 300 * time.Millisecond, 1200 * time.Millisecond, false},
		{"fast leader, 1100 ms left: two ticks old", fast, false, false, 400 * time.Millisecond, 1100 * time.Millisecond, true},
		{"fast standby, 650 ms", fast, false, false, 650 * time.Millisecond, -1, false},
		{"fast standby, 660 ms", fast, false, false, 660 * time.Millisecond, -1, true},
		{"unserved, 1.6 s", defaults, false, true, 1600 * time.Millisecond, -1, false},
		{"unserved, 5.2 s", defaults, false, true, 5200 * time.Millisecond, -1, false},
		{"unserved, (L - 2.2R)/2 = 5.3 s", defaults, false, true, 5300 * time.Millisecond, -1, true},
		{"unserved, first write", defaults, true, true, 0, -1, true},
		{"unserved leader, 6 s left: the leader's rule", defaults, false, true, 4 * time.Second, 6 * time.Second, true},
		{"fast unserved, 770 ms", fast, false, true, 770 * time.Millisecond, -1, false},
		{"fast unserved, (L - 2.2R)/2 = 780 ms", fast, false, true, 780 * time.Millisecond, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.due(tt.first, now-tt.since, lead(tt.left), !tt.unserved, now); got != tt.want {
				t.Errorf("due = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCadenceIntervals(t *testing.T) {
	tests := []struct {
		l, d, r, standby, unserved, refresh time.Duration
	}{
		{15 * time.Second, 10 * time.Second, 2 * time.Second, 1600 * time.Millisecond, 5300 * time.Millisecond, 6 * time.Second},
		{2 * time.Second, 1500 * time.Millisecond, 200 * time.Millisecond, 660 * time.Millisecond, 780 * time.Millisecond, 1100 * time.Millisecond},
		{1200 * time.Millisecond, time.Second, 900 * time.Millisecond, 450 * time.Millisecond, 450 * time.Millisecond, 1800 * time.Millisecond},
		{4 * time.Second, 3 * time.Second, time.Second, 500 * time.Millisecond, 900 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		c := newCadence(tt.l, tt.d, tt.r)
		if c.standbyInterval != tt.standby || c.unservedInterval != tt.unserved || c.refreshLeft != tt.refresh {
			t.Errorf("L=%v D=%v R=%v: standby %v unserved %v refresh %v, want %v, %v and %v", tt.l, tt.d, tt.r,
				c.standbyInterval, c.unservedInterval, c.refreshLeft, tt.standby, tt.unserved, tt.refresh)
		}
	}
}
