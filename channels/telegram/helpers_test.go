package telegram

import (
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/telegram"
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

// env is a fake Bot API, a real store and a channel between them.
type env struct {
	*channeltest.Env
	fake *fake.Server
	ch   *Channel
	opts Options
}

func newEnv(t testing.TB) *env {
	t.Helper()
	fk := fake.New(testToken)
	t.Cleanup(fk.Close)
	return newEnvOn(t, fk, storagetest.MustOpen(t, nil))
}

func newEnvOn(t testing.TB, fk *fake.Server, st *storage.Store) *env {
	t.Helper()
	e := &env{Env: channeltest.NewEnv(t, st, testAccount), fake: fk,
		opts: Options{PollTimeout: 2 * time.Second, RequestTimeout: 5 * time.Second}}
	e.ch = e.channel()
	return e
}

// channel builds a fresh Channel on the env, as a restarted app would.
func (e *env) channel() *Channel {
	e.TB.Helper()
	opts := e.opts
	ch, err := NewWithOptions(account(e.fake.URL), testToken, e.Deps(), &opts)
	if err != nil {
		e.TB.Fatalf("NewWithOptions: %v", err)
	}
	return ch
}

// account is the test account on the Bot API at api.
func account(api string) channels.Account {
	return channels.Account{Name: testAccount, Kind: channels.KindTelegram,
		Settings: map[string]string{channels.SetAPIURL: api}}
}

// syncOnce runs one catch-up sync and fails the test on error.
func (e *env) syncOnce() { e.SyncOnce(e.ch) }

// telegramMessages returns every Telegram message in the store, keyed by
// external id, failing the test on a duplicate.
func (e *env) telegramMessages() map[string]inbox.Message {
	e.TB.Helper()
	return e.Messages(inbox.ChannelTelegram)
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
