package inbox

import (
	"slices"
	"sync"
	"testing"
)

// notified reports whether s.C holds a notification, without waiting.
func notified(s *Subscription) bool {
	select {
	case <-s.C:
		return true
	default:
		return false
	}
}

// A subscriber that never reads must not slow the writer down: Publish
// returns at once, the backlog is dropped, and the subscriber is told to
// reload, once.
func TestBrokerPublishNeverBlocks(t *testing.T) {
	var b Broker
	s := b.Subscribe(8)
	for i := range 100000 {
		b.Publish(Change{Kind: CustomerChanged, Customer: CustomerID(i + 1)})
	}
	if !notified(s) {
		t.Fatal("no notification on C")
	}
	got := s.Take()
	if want := []Change{{Kind: Reload}}; !slices.Equal(got, want) {
		t.Fatalf("Take = %d changes starting %v, want exactly %v", len(got), firstChange(got), want)
	}
	if got := s.Take(); len(got) != 0 {
		t.Errorf("second Take = %v, want nothing", got)
	}
	// After the reload the subscription works normally again.
	b.Publish(Change{Kind: CustomerChanged, Customer: 7})
	if got, want := s.Take(), []Change{{Kind: CustomerChanged, Customer: 7}}; !slices.Equal(got, want) {
		t.Errorf("Take after reload = %v, want %v", got, want)
	}
}

func firstChange(cs []Change) any {
	if len(cs) == 0 {
		return "nothing"
	}
	return cs[0]
}

func TestBrokerDeliversInOrder(t *testing.T) {
	var b Broker
	s1 := b.Subscribe(16)
	s2 := b.Subscribe(16)
	var want []Change
	for i := range 16 {
		ch := Change{Kind: CustomerChanged, Customer: CustomerID(i + 1), Message: MessageID(100 + i), Inbound: i%2 == 0}
		want = append(want, ch)
		b.Publish(ch)
	}
	for _, s := range []*Subscription{s1, s2} {
		if !notified(s) {
			t.Fatal("no notification on C")
		}
		if got := s.Take(); !slices.Equal(got, want) {
			t.Errorf("Take = %v, want %v", got, want)
		}
		if notified(s) {
			t.Error("a second notification is waiting: C must coalesce")
		}
	}
}

// The buffer holds exactly buffer changes; one more is an overflow.
func TestBrokerBufferLimit(t *testing.T) {
	tests := []struct {
		name      string
		buffer    int
		published int
		reload    bool
	}{
		{name: "full", buffer: 4, published: 4},
		{name: "one over", buffer: 4, published: 5, reload: true},
		{name: "zero buffer keeps one", buffer: 0, published: 1},
		{name: "zero buffer overflows at two", buffer: 0, published: 2, reload: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Broker
			s := b.Subscribe(tt.buffer)
			for i := range tt.published {
				b.Publish(Change{Kind: CustomerChanged, Customer: CustomerID(i + 1)})
			}
			got := s.Take()
			if tt.reload {
				if !slices.Equal(got, []Change{{Kind: Reload}}) {
					t.Errorf("Take = %v, want one Reload", got)
				}
				return
			}
			if len(got) != tt.published {
				t.Errorf("Take = %v, want %d changes", got, tt.published)
			}
		})
	}
}

func TestBrokerClose(t *testing.T) {
	var b Broker
	kept := b.Subscribe(8)
	closed := b.Subscribe(8)
	b.Publish(Change{Kind: CustomerChanged, Customer: 1})
	closed.Take()
	notified(closed)
	closed.Close()
	b.Publish(Change{Kind: CustomerChanged, Customer: 2})
	if notified(closed) {
		t.Error("closed subscription was notified")
	}
	if got := closed.Take(); len(got) != 0 {
		t.Errorf("closed subscription received %v", got)
	}
	if got := kept.Take(); len(got) != 2 {
		t.Errorf("other subscription received %v, want both changes", got)
	}
	closed.Close() // twice is harmless
}

// Writers and a reader at once; run with -race. Every change is either
// received or replaced by a Reload, and each writer's changes arrive in
// order.
func TestBrokerConcurrent(t *testing.T) {
	var b Broker
	s := b.Subscribe(64)
	const writers, each = 4, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				b.Publish(Change{Kind: CustomerChanged, Customer: CustomerID(w + 1), Message: MessageID(i + 1)})
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := map[CustomerID]MessageID{}
	received, reloads := 0, 0
	take := func() {
		for _, ch := range s.Take() {
			if ch.Kind == Reload {
				reloads++
				clear(last)
				continue
			}
			if ch.Message <= last[ch.Customer] {
				t.Fatalf("writer %d: change %d after %d", ch.Customer, ch.Message, last[ch.Customer])
			}
			last[ch.Customer] = ch.Message
			received++
		}
	}
	for running := true; running; {
		select {
		case <-s.C:
			take()
		case <-done:
			running = false
		}
	}
	take()
	if received == 0 && reloads == 0 {
		t.Fatal("nothing received")
	}
	if reloads == 0 && received != writers*each {
		t.Errorf("received %d changes and no Reload, want %d", received, writers*each)
	}
}
