// Package fault is the failure injection the HTTP fakes share
// (internal/fakes/telegram, internal/fakes/twilio): answers queued for the
// next request of an operation, answers lost after the server did the work,
// and a delay before every answer. Each fake names its operations its own
// way (a Bot API method, an OpenAPI operationId) and writes the error bodies
// of its API; a Queue only keeps them and plays them back.
package fault

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Fault is one answer a fake gives instead of the real one.
type Fault struct {
	// Op is the operation it waits for, "" for the next request of any.
	Op string
	// Status, Header and Body are the answer, sent as application/json.
	Status int
	Header http.Header
	Body   string
	// Lose makes the server do the work of the request, then hang up
	// without answering, as a connection lost at the worst moment.
	Lose bool
}

// Queue holds the faults waiting for their request and the delay of every
// answer. The zero Queue injects nothing; it is safe for concurrent use.
type Queue struct {
	mu     sync.Mutex
	delay  time.Duration
	faults []Fault
}

// Add queues f for the next request of f.Op.
func (q *Queue) Add(f Fault) {
	q.mu.Lock()
	q.faults = append(q.faults, f)
	q.mu.Unlock()
}

// SetDelay makes every answer wait d first (a slow network).
func (q *Queue) SetDelay(d time.Duration) {
	q.mu.Lock()
	q.delay = d
	q.mu.Unlock()
}

// Wait blocks for the delay set with SetDelay. It reports false when the
// client gave up on r first: the fake then answers nothing.
func (q *Queue) Wait(r *http.Request) bool {
	q.mu.Lock()
	d := q.delay
	q.mu.Unlock()
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// Answer plays the first fault queued for op (or for any operation), if
// there is one, and reports whether it did. A fault that loses the answer
// runs dispatch, the fake's real handling of the request, into a recorder,
// then hangs up on the client.
func (q *Queue) Answer(w http.ResponseWriter, op string, dispatch func(http.ResponseWriter)) bool {
	f, ok := q.take(op)
	if !ok {
		return false
	}
	if f.Lose {
		dispatch(httptest.NewRecorder())
		HangUp(w)
		return true
	}
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	io.WriteString(w, f.Body)
	return true
}

// take removes and returns the first fault for op.
func (q *Queue) take(op string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.faults {
		if f.Op == "" || f.Op == op {
			q.faults = append(q.faults[:i], q.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// HangUp closes the client's connection without an answer.
func HangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
}
