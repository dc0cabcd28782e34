package mclease

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// eventually polls cond for up to 5 s: the forwarding goroutine marks a stream a moment after it handed an event on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func receive(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev := <-w.ResultChan():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event handed on")
		return watch.Event{}
	}
}

func initialEventsEndBookmark() watch.Event {
	u := &unstructured.Unstructured{}
	u.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	return watch.Event{Type: watch.Bookmark, Object: u}
}

// When the informer's watch vouches for its state: while a stream is open and past its initial state.
func TestStreamState(t *testing.T) {
	obj := &unstructured.Unstructured{}
	tests := []struct {
		name string
		run  func(t *testing.T, s *streamState)
	}{
		{"a watch from the listed resourceVersion is current at once, until the reflector stops it", func(t *testing.T, s *streamState) {
			w := s.track(watch.NewFake(), false)
			if !s.open() {
				t.Fatal("not open after the server accepted the watch")
			}
			w.Stop()
			if s.open() {
				t.Fatal("open after Stop")
			}
		}},
		{"a stream the server closes ends", func(t *testing.T, s *streamState) {
			f := watch.NewFake()
			w := s.track(f, false)
			go f.Modify(obj)
			receive(t, w)
			f.Stop() // closes the result channel, as a server that ends the watch does
			eventually(t, "closed after the server ended it", func() bool { return !s.open() })
			if _, ok := <-w.ResultChan(); ok {
				t.Fatal("the stream handed on an event after its end")
			}
		}},
		{"an error event ends the stream before the reflector sees it", func(t *testing.T, s *streamState) {
			f := watch.NewFake()
			w := s.track(f, false)
			go f.Error(&metav1.Status{Code: 410, Reason: metav1.StatusReasonExpired})
			if ev := receive(t, w); ev.Type != watch.Error {
				t.Fatalf("handed on %v", ev.Type)
			}
			if s.open() {
				t.Fatal("open after an error event")
			}
		}},
		{"a watch-list stream is current only after its initial-events-end bookmark", func(t *testing.T, s *streamState) {
			f := watch.NewFake()
			w := s.track(f, true)
			go f.Add(obj)
			receive(t, w)
			go f.Action(watch.Bookmark, &unstructured.Unstructured{}) // a bookmark without the annotation
			receive(t, w)
			if s.open() {
				t.Fatal("open during the initial state")
			}
			go f.Action(initialEventsEndBookmark().Type, initialEventsEndBookmark().Object)
			receive(t, w)
			eventually(t, "open after the initial-events-end bookmark", s.open)
		}},
		{"the end of an old stream does not end the next", func(t *testing.T, s *streamState) {
			old := s.track(watch.NewFake(), false)
			s.track(watch.NewFake(), false)
			old.Stop()
			if !s.open() {
				t.Fatal("the new stream ended with the old")
			}
		}},
		{"a stream that ended never becomes current again", func(t *testing.T, s *streamState) {
			f := watch.NewFake()
			w := s.track(f, true)
			w.Stop()
			s.current(w.(*trackedStream)) // a bookmark handed on as it was stopped
			if s.open() {
				t.Fatal("a stopped stream became current")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, &streamState{}) })
	}
}

// The store vouches only when both hold: the informer has delivered its first list, and a stream is current.
func TestDynamicStoreVouches(t *testing.T) {
	for _, tt := range []struct {
		name         string
		synced, open bool
		want         bool
	}{
		{"listed and watching", true, true, true},
		{"listed, watch being re-established", true, false, false},
		{"watching, first list not delivered yet", false, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &dynamicStore{}
			if s.vouches() {
				t.Fatal("vouches before watch runs")
			}
			s.synced = func() bool { return tt.synced }
			if tt.open {
				s.streams.track(watch.NewFake(), false)
			}
			if got := s.vouches(); got != tt.want {
				t.Fatalf("vouches = %v, want %v", got, tt.want)
			}
		})
	}
}
