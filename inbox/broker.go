package inbox

import "sync"

// EventKind says what changed.
type EventKind string

// Event kinds published by the Desk.
const (
	// CustomerChanged: a customer's messages or fields changed.
	CustomerChanged EventKind = "customer"
	// Reload: the subscriber fell behind and lost events; reload everything.
	Reload EventKind = "reload"
	// AccountStatus: a channel account changed state (see Event.Status).
	AccountStatus EventKind = "account"
	// FlagsQueued: flag changes wait in the store for their channel's
	// server (Store.FlagQueue); the outbox worker wakes on it.
	FlagsQueued EventKind = "flags"
)

// Change is one published change.
type Change struct {
	Kind     EventKind
	Customer CustomerID
	Message  MessageID
	// Inbound is true when the change is a new message from a customer.
	Inbound bool
	Account string
	Status  string
}

// Broker fans changes out to subscribers without ever blocking the writer:
// a subscriber that falls more than its buffer behind loses the backlog and
// receives one Reload change instead.
type Broker struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription receives changes. Read C to learn that changes are ready,
// then call Take.
type Subscription struct {
	// C receives a value whenever changes become ready to Take.
	C       chan struct{}
	b       *Broker
	mu      sync.Mutex
	pending []Change
	limit   int
	lost    bool
}

// Subscribe returns a subscription that keeps at most buffer changes.
func (b *Broker) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	s := &Subscription{C: make(chan struct{}, 1), b: b, limit: buffer}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish hands ch to every subscriber. It never blocks.
func (b *Broker) Publish(ch Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.offer(ch)
	}
}

func (s *Subscription) offer(ch Change) {
	s.mu.Lock()
	if s.lost {
		// Already degraded to one Reload; nothing more to keep.
	} else if len(s.pending) >= s.limit {
		s.pending = s.pending[:0]
		s.lost = true
	} else {
		s.pending = append(s.pending, ch)
	}
	s.mu.Unlock()
	select {
	case s.C <- struct{}{}:
	default:
	}
}

// Take returns the changes received since the last call. After an overflow it
// returns a single Reload change.
func (s *Subscription) Take() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lost {
		s.lost = false
		return []Change{{Kind: Reload}}
	}
	out := s.pending
	s.pending = nil
	return out
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	delete(s.b.subs, s)
	s.b.mu.Unlock()
}
