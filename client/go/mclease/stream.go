package mclease

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// streamState follows the informer's watch streams, to say whether one is open now and delivers every change made
// after the state the informer has taken in. That is what lets a tick decide on the watch's state without reading
// the object first: every write is a resourceVersion CAS, so a state the watch has not caught up with yet costs only a
// 409, but a watch that is not open may be behind by any amount (the Java client asks fabric8's isWatching).
//
// A stream is current from the moment the API server accepted it (a watch from the listed resourceVersion sends every
// later change), or, for a watch-list stream (sendInitialEvents, client-go's WatchListClient), from its
// initial-events-end bookmark, after which the reflector takes its initial state in; until its result channel
// closes, it brings an error event (after which the reflector ends it) or the reflector stops it. Streams are counted
// by generation, so that the end of an old one never closes the next. A connection that dies without a word is seen
// as late as client-go sees it (the HTTP/2 health check, the watch's timeout); that costs 409s, never safety.
type streamState struct {
	mu   sync.Mutex
	last uint64 // generation of the newest stream
	live uint64 // generation of the stream that is current now, 0 when none is
}

// open reports whether a stream is current now.
func (s *streamState) open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live != 0
}

// track wraps a stream the API server just accepted; initialEvents: it is a watch-list stream, current only after
// its initial state.
func (s *streamState) track(w watch.Interface, initialEvents bool) watch.Interface {
	s.mu.Lock()
	s.last++
	g := s.last
	s.mu.Unlock()
	t := &trackedStream{inner: w, state: s, gen: g, out: make(chan watch.Event), stop: make(chan struct{})}
	if !initialEvents {
		s.current(t)
	}
	go t.forward(initialEvents)
	return t
}

// current: stream t delivers every change from now on, unless it ended already or a newer stream was opened since.
func (s *streamState) current(t *trackedStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !t.ended && t.gen == s.last {
		s.live = t.gen
	}
}

// ended: stream t delivers nothing more, and never becomes current again.
func (s *streamState) ended(t *trackedStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ended = true
	if s.live == t.gen {
		s.live = 0
	}
}

// trackedStream is a watch.Interface that hands the events of inner on and tells its streamState when it is current
// and when it ended.
type trackedStream struct {
	inner watch.Interface
	state *streamState
	gen   uint64
	out   chan watch.Event
	stop  chan struct{}
	once  sync.Once
	ended bool // guarded by state.mu
}

// ResultChan implements watch.Interface.
func (t *trackedStream) ResultChan() <-chan watch.Event { return t.out }

// Stop implements watch.Interface: the stream ends now, before its events stop.
func (t *trackedStream) Stop() {
	t.once.Do(func() {
		t.state.ended(t)
		close(t.stop)
		t.inner.Stop()
	})
}

func (t *trackedStream) forward(initialEvents bool) {
	defer close(t.out)
	defer t.state.ended(t)
	in := t.inner.ResultChan()
	for {
		var ev watch.Event
		var ok bool
		select {
		case ev, ok = <-in:
		case <-t.stop:
			return
		}
		if !ok {
			return
		}
		if ev.Type == watch.Error {
			t.state.ended(t) // the reflector ends the stream on it, and re-lists or re-watches
		}
		select {
		case t.out <- ev:
		case <-t.stop:
			return
		}
		if initialEvents && initialEventsEnd(ev) {
			t.state.current(t)
		}
	}
}

// initialEventsEnd: the bookmark that ends a watch-list stream's initial state.
func initialEventsEnd(ev watch.Event) bool {
	if ev.Type != watch.Bookmark || ev.Object == nil {
		return false
	}
	m, err := meta.Accessor(ev.Object)
	return err == nil && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true"
}
