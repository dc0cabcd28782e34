package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"mclease.dev/client/go/mclease"
)

// sent counts one lock's requests on its object as they go on the wire, by kind.
type sent struct{ get, create, write, list, watch, other int }

func (s sent) String() string {
	return fmt.Sprintf("%d get, %d create, %d spec write, %d list, %d watch, %d other", s.get, s.create, s.write,
		s.list, s.watch, s.other)
}

// requestCounter is an http.RoundTripper wrapper that counts the requests on MultiClusterLeases.
type requestCounter struct {
	mu     sync.Mutex
	counts sent
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		c.note(r)
		return rt.RoundTrip(r)
	})
}

func (c *requestCounter) note(r *http.Request) {
	path := r.URL.Path
	if !strings.Contains(path, "/multiclusterleases") {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	object := strings.HasSuffix(path, "/multiclusterleases/demo")
	switch {
	case object && r.Method == http.MethodGet:
		c.counts.get++
	case object && (r.Method == http.MethodPatch || r.Method == http.MethodPut): // a patch; an update where patch is refused
		c.counts.write++
	case !object && r.Method == http.MethodPost:
		c.counts.create++
	case !object && r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true":
		c.counts.watch++
	case !object && r.Method == http.MethodGet:
		c.counts.list++
	default:
		c.counts.other++
	}
}

// take is what was sent since the last take.
func (c *requestCounter) take() sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.counts
	c.counts = sent{}
	return s
}

// countedLock is a lock whose every request passes through its own counter.
func countedLock(t *testing.T, c mclease.Config) (*mclease.Lock, *requestCounter) {
	t.Helper()
	counter := &requestCounter{}
	rc := rest.CopyConfig(cfg)
	rc.Wrap(counter.wrap)
	lock, err := mclease.NewForConfig(rc, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Close(context.Background()) })
	return lock, counter
}

// tickGap is longer than R/2, so each Get is a tick of its own (client-go ticks every R).
const tickGap = 300 * time.Millisecond

// counted is a lock with its counter, under a name for messages. echoed: a controller confirms its heartbeats.
type counted struct {
	name   string
	lock   *mclease.Lock
	sent   *requestCounter
	echoed bool
}

// tick is one tick of the lock (a Get, as client-go's first call of a tick) and what it sent. After a heartbeat of
// an echoed lock it waits until the controller's echo has reached the lock's watch, so that its next tick decides
// on the newest state, as it would with client-go's R between two ticks.
func (c counted) tick(t *testing.T) sent {
	t.Helper()
	c.sent.take()
	before := c.lock.Leadership().ValidUntil
	if _, _, err := c.lock.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := c.sent.take()
	if c.echoed && s.write > 0 {
		until(t, 5*time.Second, c.name+": the echo of its heartbeat reaches its watch", func() bool {
			return c.lock.Leadership().ValidUntil > before
		})
	}
	return s
}

// warmUp ticks all locks together (so that none stops heartbeating) until each has had a tick without a GET: its
// informer has listed and watches. Before that every tick reads first.
func warmUp(t *testing.T, locks ...counted) {
	t.Helper()
	warm := map[string]bool{}
	for deadline := time.Now().Add(20 * time.Second); len(warm) < len(locks); {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s only %v had a tick without a GET: a watch never vouched", warm)
		}
		time.Sleep(tickGap)
		for _, c := range locks {
			if c.tick(t).get == 0 {
				warm[c.name] = true
			}
		}
	}
}

// On a real kube-apiserver, with every request of each lock counted on the wire once its watch has listed and
// watches: the steady leader's tick sends nothing or its one heartbeat write, never a GET; a standby beside it
// (a live local peer holds spec) sends nothing at all; a holder that no controller confirms (a standby cluster's
// candidate) sends nothing or its one heartbeat write. A graceful release is one write.
func TestATickSendsOnlyItsWrite(t *testing.T) {
	ns := namespace(t)
	standbyNS := namespace(t)
	startStatusWriter(t, ns)
	timings := func(ns, identity string) mclease.Config {
		// the leader writes once its confirmation is 1 s old, the unconfirmed holder once 0.9 s have passed
		return mclease.Config{Namespace: ns, Name: "demo", Identity: identity, LeaseDuration: 4 * time.Second,
			RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}
	}
	lock, counter := countedLock(t, timings(ns, "go-a"))
	leader := counted{"leader", lock, counter, true}
	until(t, 20*time.Second, "go-a leads", func() bool {
		time.Sleep(tickGap)
		leader.tick(t)
		return leader.lock.Leadership().Leader
	})
	lock, counter = countedLock(t, timings(ns, "go-b"))
	peer := counted{"standby beside the leader", lock, counter, false}
	holderCfg := timings(standbyNS, "go-c")
	holderCfg.ConfirmationWait = -1 // no controller: do not wait for an echo in every tick
	lock, counter = countedLock(t, holderCfg)
	holder := counted{"unconfirmed holder", lock, counter, false}
	warmUp(t, leader, peer, holder)

	oneWrite := sent{write: 1}
	idle, writes := map[string]int{}, map[string]int{}
	for i := 1; i <= 15; i++ {
		time.Sleep(tickGap)
		for _, c := range []counted{leader, peer, holder} {
			switch s := c.tick(t); {
			case s == sent{}:
				idle[c.name]++
			case s == oneWrite && c != peer:
				writes[c.name]++
			default:
				t.Fatalf("tick %d: the %s sent %v; want nothing%s", i, c.name, s,
					map[bool]string{true: "", false: ", or its one write"}[c == peer])
			}
		}
		if !leader.lock.Leadership().Leader || peer.lock.Leadership().Leader || holder.lock.Leadership().Leader {
			t.Fatalf("tick %d: leaders: go-a %v, go-b %v, go-c %v", i, leader.lock.Leadership().Leader,
				peer.lock.Leadership().Leader, holder.lock.Leadership().Leader)
		}
	}
	for _, c := range []counted{leader, holder} {
		if idle[c.name] == 0 || writes[c.name] == 0 {
			t.Fatalf("15 ticks of the %s: %d idle, %d with one write; want some of each", c.name, idle[c.name], writes[c.name])
		}
	}
	t.Logf("15 ticks each: idle %v, one write %v", idle, writes)

	// a graceful release on the watch's state is its one write
	if err := leader.lock.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := leader.sent.take(); s != oneWrite {
		t.Fatalf("the release sent %v; want its one write", s)
	}
}
