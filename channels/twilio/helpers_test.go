package twilio

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	fake "github.com/couture/couture/internal/fakes/twilio"
	"github.com/couture/couture/phone"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

const (
	testAccount = "shop-twilio"
	testSID     = "AC0123456789abcdef0123456789abcdef"
	testToken   = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
	bizSMS      = "+12025550143" // the shop's Twilio number
	bizWA       = "+12025550144" // the shop's WhatsApp sender
	anna        = "+33612345678"
	bruno       = "+442079460958"
)

// deskSink is the Sink the Engine gives a channel, over a real Desk (see
// the telegram package's twin): before may fail a commit before the
// transaction, after right after it. Both see only the commits that carry
// messages (n counts them from 1), not the cursor-only commits of the days
// a backfill finds empty.
type deskSink struct {
	desk    *inbox.Desk
	account string

	mu      sync.Mutex
	commits int
	before  func(n int, b inbox.Batch) error
	after   func(n int, b inbox.Batch) error
	onDone  func(b inbox.Batch, at time.Time)
}

func (s *deskSink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	s.mu.Lock()
	if len(b.Messages) > 0 {
		s.commits++
	}
	n, before, after, onDone := s.commits, s.before, s.after, s.onDone
	s.mu.Unlock()
	if len(b.Messages) == 0 {
		before, after = nil, nil
	}
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
func (s *deskSink) Progress(channels.Progress)        {}

// env is a fake Twilio, a real store and a channel between them.
type env struct {
	t        testing.TB
	fake     *fake.Server
	store    *storage.Store
	desk     *inbox.Desk
	sink     *deskSink
	ch       *Channel
	opts     Options
	settings map[string]string
	secret   string
}

func newFake(t testing.TB) *fake.Server {
	fk := fake.New(testSID, testToken)
	fk.AddNumber(bizSMS)
	fk.AddWhatsAppSender(bizWA)
	t.Cleanup(fk.Close)
	return fk
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, newFake(t), storagetest.MustOpen(t, nil))
}

func newEnvOn(t testing.TB, fk *fake.Server, st *storage.Store) *env {
	t.Helper()
	desk := inbox.NewDesk(st, &inbox.Options{Phones: phone.Normalizer{}})
	e := &env{t: t, fake: fk, store: st, desk: desk, sink: &deskSink{desk: desk, account: testAccount},
		opts: Options{PollInterval: 50 * time.Millisecond, RequestTimeout: 5 * time.Second}, secret: testToken,
		settings: map[string]string{
			channels.SetAPIURL: fk.URL, channels.SetAccountSID: testSID,
			channels.SetFrom: bizSMS, channels.SetWhatsAppFrom: bizWA,
		}}
	e.ch = e.channel()
	return e
}

// channel builds a fresh Channel on the env, as a restarted app would.
func (e *env) channel() *Channel {
	e.t.Helper()
	a := channels.Account{Name: testAccount, Kind: channels.KindTwilio, Settings: e.settings}
	opts := e.opts
	ch, err := NewWithOptions(a, e.secret, channels.Deps{Blobs: e.store, Phones: phone.Normalizer{}}, &opts)
	if err != nil {
		e.t.Fatalf("NewWithOptions: %v", err)
	}
	return ch
}

func (e *env) syncOnce() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.ch.Sync(ctx, e.sink, true); err != nil {
		e.t.Fatalf("Sync once: %v", err)
	}
}

func (e *env) customers() []inbox.Customer {
	e.t.Helper()
	cs, err := e.desk.Customers(inbox.Filter{})
	if err != nil {
		e.t.Fatalf("Customers: %v", err)
	}
	return cs
}

// twilioMessages returns every SMS and WhatsApp message in the store by
// SID, failing the test on a duplicate.
func (e *env) twilioMessages() map[string]inbox.Message {
	e.t.Helper()
	var ids []inbox.MessageID
	err := e.store.Scan(func(_ inbox.CustomerID, en inbox.Entry) error {
		if en.Channel == inbox.ChannelSMS || en.Channel == inbox.ChannelWhatsApp {
			ids = append(ids, en.ID)
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("Scan: %v", err)
	}
	out := map[string]inbox.Message{}
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
	b, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatalf("read blob %s: %v", key, err)
	}
	return b
}

// noViolations fails the test if the client broke Twilio's OpenAPI shapes.
func (e *env) noViolations() {
	e.t.Helper()
	if v := e.fake.Violations(); len(v) > 0 {
		e.t.Errorf("requests broke Twilio's OpenAPI description: %v", v)
	}
}

// operations counts the requests per OpenAPI operation.
func (e *env) operations() map[string]int {
	out := map[string]int{}
	for _, r := range e.fake.Requests() {
		out[r.Operation]++
	}
	return out
}
