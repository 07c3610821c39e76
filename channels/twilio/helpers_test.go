package twilio

import (
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/twilio"
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

// env is a fake Twilio, a real store and a channel between them. Its
// Sink's Before and After see only the commits that carry messages, not
// the cursor-only commits of the days a backfill finds empty.
type env struct {
	*channeltest.Env
	fake     *fake.Server
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
	e := &env{Env: channeltest.NewEnv(t, st, testAccount), fake: fk,
		opts: Options{PollInterval: 50 * time.Millisecond, RequestTimeout: 5 * time.Second}, secret: testToken,
		settings: settings(fk.URL)}
	e.Sink.SkipEmpty = true
	e.ch = e.channel()
	return e
}

// settings are the test account's settings on the API at api.
func settings(api string) map[string]string {
	return map[string]string{
		channels.SetAPIURL: api, channels.SetAccountSID: testSID,
		channels.SetFrom: bizSMS, channels.SetWhatsAppFrom: bizWA,
	}
}

// channel builds a fresh Channel on the env, as a restarted app would.
func (e *env) channel() *Channel {
	e.TB.Helper()
	a := channels.Account{Name: testAccount, Kind: channels.KindTwilio, Settings: e.settings}
	opts := e.opts
	ch, err := NewWithOptions(a, e.secret, e.Deps(), &opts)
	if err != nil {
		e.TB.Fatalf("NewWithOptions: %v", err)
	}
	return ch
}

func (e *env) syncOnce() { e.SyncOnce(e.ch) }

// twilioMessages returns every SMS and WhatsApp message in the store by
// SID, failing the test on a duplicate.
func (e *env) twilioMessages() map[string]inbox.Message {
	e.TB.Helper()
	return e.Messages(inbox.ChannelSMS, inbox.ChannelWhatsApp)
}

// noViolations fails the test if the client broke Twilio's OpenAPI shapes.
func (e *env) noViolations() {
	e.TB.Helper()
	if v := e.fake.Violations(); len(v) > 0 {
		e.TB.Errorf("requests broke Twilio's OpenAPI description: %v", v)
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
