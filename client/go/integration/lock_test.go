package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"

	"mclease.dev/client/go/mclease"
)

// The protocol's short timings (docs/protocol.md).
func short(ns, identity string) mclease.Config {
	return mclease.Config{Namespace: ns, Name: "demo", Identity: identity, LeaseDuration: 2 * time.Second,
		RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 200 * time.Millisecond}
}

// candidate runs client-go's elector on a lock until stopped, campaigning again after each loss as a replica would.
type candidate struct {
	lock    *mclease.Lock
	cancel  context.CancelFunc
	done    chan struct{}
	started chan struct{}
}

func run(t *testing.T, cfg mclease.Config, releaseOnCancel bool) *candidate {
	t.Helper()
	return runAs(t, cfg0(), cfg, releaseOnCancel)
}

// runAs is run with the lock's requests sent through restConfig (another user, a wrapped transport).
func runAs(t *testing.T, restConfig *rest.Config, cfg mclease.Config, releaseOnCancel bool) *candidate {
	t.Helper()
	lock, err := mclease.NewForConfig(restConfig, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{lock: lock, cancel: cancel, done: make(chan struct{}), started: make(chan struct{}, 16)}
	go func() {
		defer close(c.done)
		for ctx.Err() == nil {
			lec := lock.ElectionConfig(leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) { c.started <- struct{}{} },
				OnStoppedLeading: func() {},
			})
			lec.ReleaseOnCancel = releaseOnCancel
			leaderelection.RunOrDie(ctx, lec)
		}
	}()
	t.Cleanup(func() {
		c.stop()
		// also a "crashed" candidate's lock: its watch would otherwise hold the API server's shutdown for ~20 s
		_ = lock.Close(context.Background())
	})
	return c
}

func cfg0() *rest.Config { return cfg }

// stop ends the elector (releasing if it leads and releaseOnCancel) and waits for it.
func (c *candidate) stop() {
	c.cancel()
	<-c.done
}

func until(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, timeout, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("%s: not within %v", what, timeout)
	}
}

func spec(t *testing.T, ns string) map[string]any {
	t.Helper()
	u, err := dyn.Resource(mclease.GroupVersionResource).Namespace(ns).Get(context.Background(), "demo", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil // not created yet
	}
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := unstructured.NestedMap(u.Object, "spec")
	return s
}

// One candidate and its controller stand-in on a real API server: it creates the object, its 0.2 fields survive the
// CRD's pruning, it leads with the echoed token once confirmed, within W when W < D, stops when echoes stop, and a
// graceful stop releases spec.
func TestLeadsOnlyWhileConfirmed(t *testing.T) {
	ns := namespace(t)
	writer := startStatusWriter(t, ns)
	writer.window.Store(700) // W below D = 1.5 s
	c := run(t, short(ns, "go-a"), true)
	select {
	case <-c.started:
	case <-time.After(20 * time.Second):
		t.Fatalf("no leadership: %s", c.lock.Problem())
	}
	l := c.lock.Leadership()
	if !l.Leader || l.FencingToken != writer.currentToken() || l.ValidFor > 700*time.Millisecond {
		t.Fatalf("leadership %+v, token written %d, W 700 ms", l, writer.currentToken())
	}
	s := spec(t, ns)
	if s["holderInstance"] != c.lock.Instance() || s["renewDeadlineMilliseconds"] != int64(1500) || s["leaseDurationSeconds"] != int64(2) {
		t.Fatalf("spec on the server (CRD pruned a field?): %v", s)
	}
	writer.enabled.Store(false)
	until(t, 1500*time.Millisecond, "leadership ends within W of the last echo", func() bool { return !c.lock.Leadership().Leader })
	c.stop()
	if err := c.lock.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := spec(t, ns)["holderIdentity"]; h != "" {
		t.Fatalf("holderIdentity after Close: %v", h)
	}
}

// Two candidates in one cluster race for spec through resourceVersion conflicts on a real server: never two
// leaders; a crashed leader (no release) is replaced after L with a larger token.
func TestTwoCandidatesOneCluster(t *testing.T) {
	ns := namespace(t)
	writer := startStatusWriter(t, ns)
	a := run(t, short(ns, "go-a"), false)
	b := run(t, short(ns, "go-b"), false)
	leaders := func() []*candidate {
		var out []*candidate
		for _, c := range []*candidate{a, b} {
			if c.lock.Leadership().Leader {
				out = append(out, c)
			}
		}
		return out
	}
	var first *candidate
	until(t, 20*time.Second, "one leader", func() bool {
		ls := leaders()
		if len(ls) > 1 {
			t.Fatal("two leaders in one cluster")
		}
		if len(ls) == 1 {
			first = ls[0]
		}
		return first != nil
	})
	other := b
	if first == b {
		other = a
	}
	token := first.lock.Leadership().FencingToken
	// crash: the elector stops without a word, its lock neither releases nor closes
	crashAt := time.Now()
	first.stop()
	until(t, 10*time.Second, "the other candidate leads", func() bool {
		if first.lock.Leadership().Leader && other.lock.Leadership().Leader {
			t.Fatal("two leaders during the take-over")
		}
		return other.lock.Leadership().Leader
	})
	if took := time.Since(crashAt); took < 2*time.Second-200*time.Millisecond {
		t.Fatalf("took over %v after the crash, before L = 2 s", took)
	}
	if got := other.lock.Leadership().FencingToken; got <= token {
		t.Fatalf("token %d after the take-over, was %d", got, token)
	}
	_ = writer
}

// A restart under the same identity is a new instance: it takes spec at once, leads only on an echo of its own
// heartbeat, and with a new token.
func TestRestartUnderSameIdentity(t *testing.T) {
	ns := namespace(t)
	writer := startStatusWriter(t, ns)
	old := run(t, short(ns, "go-a"), false)
	select {
	case <-old.started:
	case <-time.After(20 * time.Second):
		t.Fatalf("no leadership: %s", old.lock.Problem())
	}
	oldToken := old.lock.Leadership().FencingToken
	old.stop() // killed: no release
	restarted := run(t, short(ns, "go-a"), true)
	select {
	case <-restarted.started:
	case <-time.After(20 * time.Second):
		t.Fatalf("restart never led: %s", restarted.lock.Problem())
	}
	if l := restarted.lock.Leadership(); l.FencingToken <= oldToken {
		t.Fatalf("restart leads with token %d, the old process had %d", l.FencingToken, oldToken)
	}
	if s := spec(t, ns); s["holderInstance"] != restarted.lock.Instance() {
		t.Fatalf("spec: %v", s)
	}
	_ = writer
}

// A missing namespace is named with what to do, and the lock keeps answering the elector as a non-leader.
func TestMissingNamespaceIsNamed(t *testing.T) {
	namespace(t) // skips without binaries
	lock, err := mclease.NewForConfig(cfg, short("no-such-ns", "go-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(context.Background())
	rec, _, err := lock.Get(context.Background())
	if err != nil || rec.HolderIdentity != mclease.NoLeader {
		t.Fatalf("Get: %v %v", rec, err)
	}
	if p := lock.Problem(); !strings.Contains(p, "kubectl create namespace no-such-ns") {
		t.Fatalf("problem: %q", p)
	}
}
