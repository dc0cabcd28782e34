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
	defaults := newCadence(10*time.Second, 2*time.Second)
	fast := newCadence(1500*time.Millisecond, 200*time.Millisecond)
	tests := []struct {
		name  string
		c     cadence
		first bool
		since time.Duration
		left  time.Duration // < 0: not leader
		want  bool
	}{
		{"first write", defaults, true, 0, -1, true},
		{"takeover 100 ms after the last write", defaults, true, 100 * time.Millisecond, -1, true},
		{"never twice within R/2", defaults, false, 999 * time.Millisecond, 500 * time.Millisecond, false},
		{"leader, 8 s left", defaults, false, 2 * time.Second, 8 * time.Second, false},
		{"leader, 6.1 s left", defaults, false, 3900 * time.Millisecond, 6100 * time.Millisecond, false},
		{"leader, max(D - 2R, 2R) = 6 s left", defaults, false, 4 * time.Second, 6 * time.Second, true},
		{"leader, 3 s left: the echo did not come", defaults, false, 2 * time.Second, 3 * time.Second, true},
		{"standby, 1.5 s", defaults, false, 1500 * time.Millisecond, -1, false},
		{"standby, D - 4.2R = 1.6 s", defaults, false, 1600 * time.Millisecond, -1, true},
		{"confirmation just ran out: standby rule", defaults, false, 1600 * time.Millisecond, 0, true},
		{"fast leader, 1200 ms left: one tick old", fast, false, 300 * time.Millisecond, 1200 * time.Millisecond, false},
		{"fast leader, 1100 ms left: two ticks old", fast, false, 400 * time.Millisecond, 1100 * time.Millisecond, true},
		{"fast standby, 650 ms", fast, false, 650 * time.Millisecond, -1, false},
		{"fast standby, 660 ms", fast, false, 660 * time.Millisecond, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.due(tt.first, now-tt.since, lead(tt.left), now); got != tt.want {
				t.Errorf("due = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCadenceIntervals(t *testing.T) {
	tests := []struct {
		d, r, standby, refresh time.Duration
	}{
		{10 * time.Second, 2 * time.Second, 1600 * time.Millisecond, 6 * time.Second},
		{1500 * time.Millisecond, 200 * time.Millisecond, 660 * time.Millisecond, 1100 * time.Millisecond},
		{time.Second, 900 * time.Millisecond, 450 * time.Millisecond, 1800 * time.Millisecond},
		{3 * time.Second, time.Second, 500 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		c := newCadence(tt.d, tt.r)
		if c.standbyInterval != tt.standby || c.refreshLeft != tt.refresh {
			t.Errorf("D=%v R=%v: standby %v refresh %v, want %v and %v", tt.d, tt.r, c.standbyInterval,
				c.refreshLeft, tt.standby, tt.refresh)
		}
	}
}
