package mclease

import (
	"fmt"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"
)

// Defaults, the same as the Java client's and docs/protocol.md's.
const (
	// DefaultLeaseDuration L: a heartbeat counts this long for the other local candidates and the controller.
	DefaultLeaseDuration = 15 * time.Second
	// DefaultRenewDeadline D: a confirmed heartbeat lets this process lead this long after its write.
	DefaultRenewDeadline = 10 * time.Second
	// DefaultRetryPeriod R: one heartbeat per retry period.
	DefaultRetryPeriod = 2 * time.Second
	// NoLeader is the holder named in Get's record while no confirmed global leader is known.
	NoLeader = "<no-confirmed-leader>"

	maxIdentityLength = 253
	// jitterFactor is client-go's leaderelection.JitterFactor: a candidate's ticks are R to (1+1.2)·R apart.
	jitterFactor = 1.2
)

// Config names the lock and its timings. Namespace, Name and Identity are required; every other field has the
// default its comment gives.
type Config struct {
	// Namespace and Name of the MultiClusterLease in this process's own cluster.
	Namespace, Name string
	// Identity of this candidate, unique per process (the pod name); at most 253 characters.
	Identity string
	// LeaseDuration is L, whole seconds in 1..3600. Default 15 s.
	LeaseDuration time.Duration
	// RenewDeadline is D: how long one confirmed heartbeat lets this process lead, counted from its own write
	// request, capped by the controller's status.confirmationWindowMilliseconds. Default 10 s.
	RenewDeadline time.Duration
	// RetryPeriod is R, the heartbeat interval. Default 2 s. A request of a tick may take max(R, D/2).
	RetryPeriod time.Duration
	// ConfirmationWait is how long Get waits for the echo of the heartbeat it just wrote while this process holds
	// its cluster's spec and is not confirmed yet, so that a confirmed candidate leads at once instead of one
	// retry period later. Default R; negative turns the wait off (many locks on few goroutines do not need it).
	ConfirmationWait time.Duration
	// Clock is the wall clock for the heartbeat values and the records given to client-go; its value is never
	// compared with anybody's clock. Default the system clock.
	Clock clock.PassiveClock
	// Monotonic is the clock of every judgement (liveness of other holders, the leadership window): any source
	// that only moves forward at the rate of real time. Default the process's monotonic clock.
	Monotonic func() time.Duration
	// EventRecorder receives client-go's "became leader" / "stopped leading" events. Optional.
	EventRecorder resourcelock.EventRecorder
}

var processStart = time.Now()

// systemMonotonic reads the monotonic reading that time.Now carries: immune to wall-clock steps.
func systemMonotonic() time.Duration { return time.Since(processStart) }

// withDefaults fills in defaults and checks the timing rules, with the numbers in the message.
func (c Config) withDefaults() (Config, error) {
	if c.Namespace == "" || c.Name == "" || c.Identity == "" {
		return c, fmt.Errorf("mclease: Namespace, Name and Identity are required, got %q, %q, %q",
			c.Namespace, c.Name, c.Identity)
	}
	if len(c.Identity) > maxIdentityLength {
		return c, fmt.Errorf("mclease: Identity must be at most %d characters, got %d", maxIdentityLength, len(c.Identity))
	}
	if c.Identity == NoLeader {
		return c, fmt.Errorf("mclease: Identity %s is reserved", NoLeader)
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = DefaultLeaseDuration
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = DefaultRenewDeadline
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = DefaultRetryPeriod
	}
	if c.ConfirmationWait == 0 {
		c.ConfirmationWait = c.RetryPeriod
	}
	if c.ConfirmationWait < 0 {
		c.ConfirmationWait = 0
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Monotonic == nil {
		c.Monotonic = systemMonotonic
	}
	L, D, R := c.LeaseDuration, c.RenewDeadline, c.RetryPeriod
	switch {
	case R <= 0:
		return c, fmt.Errorf("mclease: RetryPeriod must be > 0, got %v", R)
	case L%time.Second != 0 || L < time.Second || L > time.Hour:
		return c, fmt.Errorf("mclease: LeaseDuration must be whole seconds between 1 and 3600 (spec.leaseDurationSeconds), got %v", L)
	case L <= D:
		return c, fmt.Errorf("mclease: LeaseDuration (%v) must be greater than RenewDeadline (%v)", L, D)
	case float64(D) <= jitterFactor*float64(R):
		// client-go's NewLeaderElector refuses this too; saying it here names the lock's numbers
		return c, fmt.Errorf("mclease: RenewDeadline (%v) must be greater than %.1f × RetryPeriod (%v) = %v",
			D, jitterFactor, R, time.Duration(jitterFactor*float64(R)))
	}
	// A candidate that waits for its echo heartbeats at most every ConfirmationWait + (1+jitter)·R; other local
	// candidates and the controller count it alive only while that stays below L.
	if cadence := c.ConfirmationWait + time.Duration((1+jitterFactor)*float64(R)); cadence >= L {
		return c, fmt.Errorf("mclease: ConfirmationWait (%v) + %.1f × RetryPeriod (%v) = %v, the longest gap between "+
			"two heartbeats of a waiting candidate, must be less than LeaseDuration (%v); shorten ConfirmationWait",
			c.ConfirmationWait, 1+jitterFactor, R, cadence, L)
	}
	return c, nil
}

// requestTimeout bounds each request of a tick: client-go's advice for leader election clients (half the renew
// deadline), never below R. Leadership does not wait for it: the judgement reads memory and the monotonic clock.
func (c Config) requestTimeout() time.Duration { return max(c.RetryPeriod, c.RenewDeadline/2) }
