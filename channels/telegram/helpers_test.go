package telegram

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	fake "github.com/couture/couture/internal/fakes/telegram"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

const (
	testToken   = "123456789:AAEhBP0av28cNSNCVQ8BaGM6r9iOTFwe4xo"
	testAccount = "shop-telegram"
)

var (
	anna  = fake.User{ID: 5512345678, FirstName: "Anna", LastName: "Moreau", Username: "annamoreau", LanguageCode: "fr"}
	bruno = fake.User{ID: 5587654321, FirstName: "Bruno"}
)

// deskSink is the Sink the Engine gives a channel, over a real Desk: Commit
// ingests through the Desk, Cursor reads the store. before runs ahead of
// each commit (n counts from 1) and may fail it, as a crash before the
// transaction would; after runs once the commit succeeded and may fail the
// call, as a crash right after the transaction would.
type deskSink struct {
	desk    *inbox.Desk
	account string

	mu      sync.Mutex
	commits int
	before  func(n int, b inbox.Batch) error
	after   func(n int, b inbox.Batch) error
	onDone  func(b inbox.Batch, at time.Time)
	last    channels.Progress
}

func (s *deskSink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	s.mu.Lock()
	s.commits++
	n, before, after, onDone := s.commits, s.before, s.after, s.onDone
	s.mu.Unlock()
	if before != nil {
		if err := before(n, b); err != nil {
			return inbox.IngestResult{}, err
		}
	}
	res, err := s.desk.Ingest(ctx, b)
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

func (s *deskSink) Cursor(key string) ([]byte, error) { return s.desk.Store().Cursor(s.account, key) }

func (s *deskSink) Progress(p channels.Progress) {
	s.mu.Lock()
	s.last = p
	s.mu.Unlock()
}

// env is a fake Bot API, a real store and a channel between them.
type env struct {
	t     testing.TB
	fake  *fake.Server
	store *storage.Store
	desk  *inbox.Desk
	sink  *deskSink
	ch    *Channel
	opts  Options
}

func newEnv(t testing.TB) *env {
	t.Helper()
	fk := fake.New(testToken)
	t.Cleanup(fk.Close)
	st := storagetest.MustOpen(t, nil)
	return newEnvOn(t, fk, st)
}

func newEnvOn(t testing.TB, fk *fake.Server, st *storage.Store) *env {
	t.Helper()
	desk := inbox.NewDesk(st, &inbox.Options{Phones: phone.Normalizer{}})
	e := &env{t: t, fake: fk, store: st, desk: desk, sink: &deskSink{desk: desk, account: testAccount},
		opts: Options{PollTimeout: 2 * time.Second, RequestTimeout: 5 * time.Second}}
	e.ch = e.channel()
	return e
}

// channel builds a fresh Channel on the env, as a restarted app would.
func (e *env) channel() *Channel {
	e.t.Helper()
	a := channels.Account{Name: testAccount, Kind: channels.KindTelegram,
		Settings: map[string]string{channels.SetAPIURL: e.fake.URL}}
	deps := channels.Deps{Blobs: e.store, Phones: phone.Normalizer{}}
	opts := e.opts
	ch, err := NewWithOptions(a, testToken, deps, &opts)
	if err != nil {
		e.t.Fatalf("NewWithOptions: %v", err)
	}
	return ch
}

// syncOnce runs one catch-up sync and fails the test on error.
func (e *env) syncOnce() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.ch.Sync(ctx, e.sink, true); err != nil {
		e.t.Fatalf("Sync once: %v", err)
	}
}

// customers lists every customer but Other.
func (e *env) customers() []inbox.Customer {
	e.t.Helper()
	cs, err := e.desk.Customers(inbox.Filter{})
	if err != nil {
		e.t.Fatalf("Customers: %v", err)
	}
	return cs
}

// timeline returns the whole timeline of a customer, oldest first.
func (e *env) timeline(id inbox.CustomerID) []inbox.Message {
	e.t.Helper()
	var all []inbox.Message
	before := ""
	for {
		p, err := e.desk.Timeline(id, before, 500)
		if err != nil {
			e.t.Fatalf("Timeline %d: %v", id, err)
		}
		all = append(p.Messages, all...)
		if p.Before == "" {
			return all
		}
		before = p.Before
	}
}

// telegramMessages returns every Telegram message in the store, keyed by
// external id, failing the test on a duplicate.
func (e *env) telegramMessages() map[string]inbox.Message {
	e.t.Helper()
	out := map[string]inbox.Message{}
	var ids []inbox.MessageID
	err := e.store.Scan(func(_ inbox.CustomerID, en inbox.Entry) error {
		if en.Channel == inbox.ChannelTelegram {
			ids = append(ids, en.ID)
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("Scan: %v", err)
	}
	for _, id := range ids {
		m, err := e.store.Message(id)
		if err != nil {
			e.t.Fatalf("Message %d: %v", id, err)
		}
		if _, dup := out[m.ExternalID]; dup {
			e.t.Errorf("message %s stored twice", m.ExternalID)
		}
		out[m.ExternalID] = m
	}
	return out
}

func (e *env) blob(key string) []byte {
	e.t.Helper()
	r, err := e.store.Open(key)
	if err != nil {
		e.t.Fatalf("open blob %s: %v", key, err)
	}
	defer r.Close()
	var b []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return b
}

func extID(u fake.Update) string {
	m := u.Message
	return itoa(m.Chat.ID) + "/" + itoa(m.MessageID)
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
