package channels

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

// fakeClock is a Clock that moves only when the test says so. Every After
// call is announced on afters, so a test knows a goroutine is about to wait
// (and for how long) without sleeping.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	afters chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), afters: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	}
	c.mu.Unlock()
	c.afters <- d
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// nextWait returns the duration of the next After call, failing the test
// when none comes before the test's deadline.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.afters:
		return d
	case <-deadline(t):
		t.Fatal("no goroutine started waiting")
		return 0
	}
}

// deadline is a safety net so a broken test fails instead of hanging; it
// never paces a passing test.
func deadline(t *testing.T) <-chan time.Time {
	return time.After(10 * time.Second)
}

// fakeChannel is a test double of our own Channel interface. Its Sync runs
// the test's script; its Send answers from a queue of results.
type fakeChannel struct {
	mu       sync.Mutex
	syncFn   func(ctx context.Context, sink Sink, once bool) error
	syncs    int
	sendErrs []error // consumed one per Send; nil means success
	sent     []inbox.Message
	receipt  Receipt
	onSend   chan inbox.Message
	closed   bool
}

func (f *fakeChannel) Sync(ctx context.Context, sink Sink, once bool) error {
	f.mu.Lock()
	f.syncs++
	fn := f.syncFn
	f.mu.Unlock()
	if fn == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	return fn(ctx, sink, once)
}

func (f *fakeChannel) setSync(fn func(ctx context.Context, sink Sink, once bool) error) {
	f.mu.Lock()
	f.syncFn = fn
	f.mu.Unlock()
}

func (f *fakeChannel) Send(ctx context.Context, m inbox.Message) (Receipt, error) {
	f.mu.Lock()
	var err error
	if len(f.sendErrs) > 0 {
		err, f.sendErrs = f.sendErrs[0], f.sendErrs[1:]
	}
	f.sent = append(f.sent, m)
	rc := f.receipt
	ch := f.onSend
	f.mu.Unlock()
	if ch != nil {
		ch <- m
	}
	if err != nil {
		return Receipt{}, err
	}
	if rc.ExternalID == "" {
		rc.ExternalID = "ext-" + string(rune('0'+len(f.sent)))
	}
	return rc, nil
}

func (f *fakeChannel) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeChannel) sends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func (f *fakeChannel) syncCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

// idemChannel is a fakeChannel that can tell whether a message left.
type idemChannel struct {
	*fakeChannel
	delivered func(m inbox.Message) (Receipt, bool, error)
	checks    int
}

func (f *idemChannel) Delivered(ctx context.Context, m inbox.Message) (Receipt, bool, error) {
	f.mu.Lock()
	f.checks++
	f.mu.Unlock()
	return f.delivered(m)
}

// world is a real store, a Desk over it with the fake clock, and accounts.
type world struct {
	t     *testing.T
	store *storage.Store
	desk  *inbox.Desk
	clock *fakeClock
	chans map[string]Channel // by account name
}

func newWorld(t *testing.T, accounts ...Account) *world {
	t.Helper()
	w := &world{t: t, store: storagetest.MustOpen(t, &storage.Options{NoIndex: true}), clock: newFakeClock(), chans: map[string]Channel{}}
	w.desk = inbox.NewDesk(w.store, &inbox.Options{Clock: w.clock.Now})
	for _, a := range accounts {
		if err := SaveAccount(w.store, a); err != nil {
			t.Fatalf("save account %s: %v", a.Name, err)
		}
	}
	return w
}

// factories build each account's channel from w.chans.
func (w *world) factories() map[string]Factory {
	f := func(a Account, secret string, deps Deps) (Channel, error) {
		if secret != "s3cret-"+a.Name {
			w.t.Errorf("factory of %s got secret %q", a.Name, secret)
		}
		ch, ok := w.chans[a.Name]
		if !ok {
			return nil, inbox.Errorf(inbox.Invalid, "no test channel for %s", a.Name)
		}
		return ch, nil
	}
	return map[string]Factory{KindEmail: f, KindTelegram: f, KindTwilio: f, KindMatrix: f}
}

func (w *world) engine(opts *EngineOptions) *Engine {
	o := EngineOptions{}
	if opts != nil {
		o = *opts
	}
	o.Factories = w.factories()
	o.Settings = w.store
	o.Secret = func(a string) (string, error) { return "s3cret-" + a, nil }
	o.Clock = w.clock
	o.Logger = slog.New(slog.DiscardHandler)
	if o.Rand == nil {
		o.Rand = func() float64 { return 0.5 }
	}
	return NewEngine(w.desk, &o)
}

// start starts e on a context cancelled when the test ends, and returns
// that context.
func (w *world) start(e *Engine) context.Context {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w.t.Cleanup(cancel)
	if err := e.Start(ctx); err != nil {
		w.t.Fatal(err)
	}
	return ctx
}

func (w *world) outbox(src ChannelSource) *Outbox {
	return NewOutbox(w.desk, &OutboxOptions{Channels: src, Clock: w.clock, Rand: func() float64 { return 0.5 },
		Logger: slog.New(slog.DiscardHandler)})
}

// customer makes a customer who wrote once on ch from addr, and returns it.
func (w *world) customer(ch inbox.ChannelKind, addr string) inbox.CustomerID {
	w.t.Helper()
	id, err := inbox.NewIdentity(ch.IdentityKind(), addr, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = w.desk.Ingest(context.Background(), inbox.Batch{Account: "seed", Messages: []inbox.Incoming{{
		Name: "Anna",
		Message: inbox.Message{Channel: ch, Direction: inbox.In, Party: id, From: addr,
			ExternalID: "seed-" + string(ch) + addr, Text: "Bonjour", SentAt: w.clock.Now().Add(-time.Hour)},
	}}})
	if err != nil {
		w.t.Fatal(err)
	}
	c, ok, err := w.store.Owner(id)
	if err != nil || !ok {
		w.t.Fatalf("owner of %v: %v %v", id, ok, err)
	}
	return c
}

// reply queues an answer.
func (w *world) reply(c inbox.CustomerID, ch inbox.ChannelKind, text string) inbox.Message {
	w.t.Helper()
	m, err := w.desk.Reply(context.Background(), inbox.Reply{Customer: c, Channel: ch, Text: text, Author: "test"})
	if err != nil {
		w.t.Fatalf("reply: %v", err)
	}
	return m
}

func (w *world) message(id inbox.MessageID) inbox.Message {
	w.t.Helper()
	m, err := w.desk.Message(id)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}
