package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/channels/email"
	"github.com/couture/couture/channels/matrix"
	"github.com/couture/couture/channels/telegram"
	"github.com/couture/couture/channels/twilio"
	"github.com/couture/couture/secrets"
)

// factories build the channel of each account kind. Each channel package
// registers its constructor here; a kind without one cannot sync or send
// (`couture account test` says so).
var factories = map[string]channels.Factory{
	channels.KindEmail:    channels.Adapt(email.New),
	channels.KindTelegram: channels.Adapt(telegram.New),
	channels.KindTwilio:   channels.Adapt(twilio.New),
	channels.KindMatrix:   channels.Adapt(matrix.New),
}

var (
	secretsMu sync.Mutex
	opened    = map[string]secrets.Store{} // by data directory
)

// secretStore returns where the data directory's passwords and tokens
// live: the OS keyring, or the encrypted file beside the store
// ($COUTURE_SECRETS=file forces it). It probes the keyring once per process.
func (e *env) secretStore() secrets.Store {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	s, ok := opened[e.dataDir]
	if !ok {
		s = secrets.Open(e.dataDir)
		opened[e.dataDir] = s
	}
	return s
}

// engine builds the sync engine over the opened app: the factories above,
// the accounts in the store, the secrets, and the app's Desk. only, when
// not empty, restricts it to one account; onStatus may be nil.
func (e *env) engine(a *appState, only string, onStatus func(channels.Status)) *channels.Engine {
	opts := &channels.EngineOptions{
		Factories: factories,
		Settings:  a.store,
		Secret:    e.secretStore().Get,
		Deps: channels.Deps{
			Blobs:  a.store,
			Phones: a.desk.Phones(),
			Logger: slog.Default(),
		},
		Logger:   slog.Default(),
		OnStatus: onStatus,
	}
	if only != "" {
		opts.Only = []string{only}
	}
	return channels.NewEngine(a.desk, opts)
}

// outbox builds the outbox worker that sends through the engine's channels.
func (e *env) outbox(a *appState, eng *channels.Engine) *channels.Outbox {
	return channels.NewOutbox(a.desk, &channels.OutboxOptions{Channels: eng, Logger: slog.Default()})
}

// startChannels starts syncing every account and sending the outbox in the
// background, for the GUI and `couture sync`. stop ends both and waits for
// them; the statuses reach the GUI as inbox.AccountStatus changes.
func (e *env) startChannels(ctx context.Context, a *appState, only string, onStatus func(channels.Status)) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	eng := e.engine(a, only, onStatus)
	if err := eng.Start(ctx); err != nil {
		cancel()
		return nil, err
	}
	send := e.sender(a, eng, only)
	ob := e.outbox(a, send)
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
		eng.Stop()
		send.Stop()
	}, nil
}

// sender is the engine the outbox sends through: the sync engine itself,
// so each account has one channel, unless that engine is restricted to one
// account (sync --account): answers on the other accounts still leave.
func (e *env) sender(a *appState, eng *channels.Engine, only string) *channels.Engine {
	if only == "" {
		return eng
	}
	return e.engine(a, "", nil)
}
