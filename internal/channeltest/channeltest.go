// Package channeltest holds what the tests of the channel packages share
// (channels/telegram and channels/twilio; channels/matrix for a few
// helpers): the Couture side of a channel test, a real store and Desk
// behind a Sink that can fail commits the way a crash would; the crashes
// every channel must survive, with the child process a test kills in the
// middle of a sync; and the latency numbers of the inbound benchmarks. Only
// test files import it.
package channeltest

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
)

// Sink is the channels.Sink the Engine gives a channel, over a real Desk:
// Commit ingests through the Desk, Cursor reads the store. Before runs ahead
// of each commit (n counts the commits from 1) and may fail it, as a crash
// before the transaction would; After runs once the commit succeeded and
// may fail the call, as a crash right after the transaction would. OnDone
// sees every successful commit and when it ended. Set the hooks before the
// sync starts, or between syncs.
type Sink struct {
	Desk    *inbox.Desk
	Account string
	// SkipEmpty keeps the commits without messages (the cursor-only
	// commits of a backfill's empty days) from Before and After: n counts
	// only the commits that carry messages.
	SkipEmpty bool

	Before func(n int, b inbox.Batch) error
	After  func(n int, b inbox.Batch) error
	OnDone func(b inbox.Batch, at time.Time)

	mu      sync.Mutex
	commits int
}

// Commit implements channels.Sink.
func (s *Sink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	hooked := !s.SkipEmpty || len(b.Messages) > 0
	s.mu.Lock()
	if hooked {
		s.commits++
	}
	n, before, after, onDone := s.commits, s.Before, s.After, s.OnDone
	s.mu.Unlock()
	if !hooked {
		before, after = nil, nil
	}
	if before != nil {
		if err := before(n, b); err != nil {
			return inbox.IngestResult{}, err
		}
	}
	res, err := s.Desk.Ingest(ctx, b)
	if err != nil {
		return res, err
	}
	if onDone != nil {
		onDone(b, time.Now())
	}
	if after != nil {
		if err := after(n, b); err != nil {
			return inbox.IngestResult{}, err
		}
	}
	return res, nil
}

// Cursor implements channels.Sink: it reads the store.
func (s *Sink) Cursor(key string) ([]byte, error) { return s.Desk.Store().Cursor(s.Account, key) }

// Progress implements channels.Sink; the tests do not look at it.
func (s *Sink) Progress(channels.Progress) {}

// Env is the Couture side of a channel test: a real store, a Desk over it
// and a Sink over the Desk, for one account. Its methods fail the test on
// an error.
type Env struct {
	TB    testing.TB
	Store *storage.Store
	Desk  *inbox.Desk
	Sink  *Sink
}

// NewEnv returns an Env on st for the account named account. The Desk
// normalizes phone numbers as the app does (phone.Normalizer).
func NewEnv(tb testing.TB, st *storage.Store, account string) *Env {
	desk := inbox.NewDesk(st, &inbox.Options{Phones: phone.Normalizer{}})
	return &Env{TB: tb, Store: st, Desk: desk, Sink: &Sink{Desk: desk, Account: account}}
}

// Deps returns what the app gives a channel: the store for blobs and the
// phone normalizer.
func (e *Env) Deps() channels.Deps {
	return channels.Deps{Blobs: e.Store, Phones: phone.Normalizer{}}
}

// SyncOnce runs one catch-up sync of ch into the Sink.
func (e *Env) SyncOnce(ch channels.Channel) {
	e.TB.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ch.Sync(ctx, e.Sink, true); err != nil {
		e.TB.Fatalf("Sync once: %v", err)
	}
}

// Background runs ch's continuous Sync into the Sink until the returned
// stop is called (see the function Background).
func (e *Env) Background(ctx context.Context, ch channels.Channel) (stop func() error) {
	return Background(ctx, e.TB, ch, e.Sink)
}

// Background runs ch's continuous Sync into sink, on a context derived from
// ctx, until the returned stop is called: stop cancels the sync and returns
// its error. A sync left running when the test ends is stopped.
func Background(ctx context.Context, tb testing.TB, ch channels.Channel, sink channels.Sink) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ch.Sync(ctx, sink, false) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	tb.Cleanup(func() { _ = stop() })
	return stop
}

// Customers lists every customer but Other.
func (e *Env) Customers() []inbox.Customer {
	e.TB.Helper()
	cs, err := e.Desk.Customers(inbox.Filter{})
	if err != nil {
		e.TB.Fatalf("Customers: %v", err)
	}
	return cs
}

// Timeline returns the whole timeline of a customer, oldest first.
func (e *Env) Timeline(id inbox.CustomerID) []inbox.Message {
	e.TB.Helper()
	return Timeline(e.TB, e.Desk, id)
}

// Timeline returns the whole timeline of a customer on d, oldest first.
func Timeline(tb testing.TB, d *inbox.Desk, id inbox.CustomerID) []inbox.Message {
	tb.Helper()
	var all []inbox.Message
	before := ""
	for {
		p, err := d.Timeline(id, before, 500)
		if err != nil {
			tb.Fatalf("Timeline %d: %v", id, err)
		}
		all = append(p.Messages, all...)
		if p.Before == "" {
			return all
		}
		before = p.Before
	}
}

// Messages returns every stored message of the given channels, keyed by
// external id; a message stored twice fails the test.
func (e *Env) Messages(kinds ...inbox.ChannelKind) map[string]inbox.Message {
	e.TB.Helper()
	var ids []inbox.MessageID
	err := e.Store.Scan(func(_ inbox.CustomerID, en inbox.Entry) error {
		for _, k := range kinds {
			if en.Channel == k {
				ids = append(ids, en.ID)
				break
			}
		}
		return nil
	})
	if err != nil {
		e.TB.Fatalf("Scan: %v", err)
	}
	out := map[string]inbox.Message{}
	for _, id := range ids {
		m, err := e.Store.Message(id)
		if err != nil {
			e.TB.Fatalf("Message %d: %v", id, err)
		}
		if _, dup := out[m.ExternalID]; dup {
			e.TB.Errorf("message %s stored twice", m.ExternalID)
		}
		out[m.ExternalID] = m
	}
	return out
}

// Blob returns the bytes stored under key.
func (e *Env) Blob(key string) []byte {
	e.TB.Helper()
	r, err := e.Store.Open(key)
	if err != nil {
		e.TB.Fatalf("open blob %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		e.TB.Fatalf("read blob %s: %v", key, err)
	}
	return b
}

// HoldsOnce fails the test unless stored (as Env.Messages returns it) holds
// exactly the messages of want, by external id, each with the number of
// attachments want gives it.
func HoldsOnce(tb testing.TB, stored map[string]inbox.Message, want map[string]int) {
	tb.Helper()
	if len(stored) != len(want) {
		tb.Errorf("stored %d messages, want %d", len(stored), len(want))
	}
	for id, files := range want {
		m, ok := stored[id]
		if !ok {
			tb.Errorf("message %s lost", id)
			continue
		}
		if len(m.Attachments) != files {
			tb.Errorf("message %s stored with %d attachments, want %d", id, len(m.Attachments), files)
		}
	}
}

// WantError fails the test unless err, the error of a Send or a Sync,
// carries code, explains itself with a message containing text, and is (or
// is not) *channels.Uncertain.
func WantError(tb testing.TB, err error, code inbox.Code, text string, uncertain bool) {
	tb.Helper()
	if inbox.ErrorCode(err) != code || !strings.Contains(inbox.Explain(err), text) {
		tb.Errorf("error %v (code %q), want %s containing %q", err, inbox.ErrorCode(err), code, text)
	}
	var unsure *channels.Uncertain
	if errors.As(err, &unsure) != uncertain {
		tb.Errorf("uncertain = %v, want %v: %v", !uncertain, uncertain, err)
	}
}
