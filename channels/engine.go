package channels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/couture/couture/inbox"
)

// State is where an account's sync stands.
type State string

// Account states, as `couture account list` and the GUI's status bar show them.
const (
	StateSyncing    State = "syncing"     // catching up; Progress says how far
	StateIdle       State = "idle"        // caught up, waiting for new messages
	StateOffline    State = "offline"     // the network or the server is unreachable; retrying
	StateError      State = "error"       // something else failed; retrying, Reason says what
	StateAuthFailed State = "auth-failed" // credentials refused; no retry until restarted
)

// Status is one account's sync state.
type Status struct {
	Account string `json:"account"`
	Kind    string `json:"kind"`
	State   State  `json:"state"`
	// Reason says what went wrong, in words a person can act on.
	Reason string `json:"reason,omitempty"`
	// LastSuccess is the last time a batch was committed or a sync caught up.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Progress is the position of a long sync while State is syncing.
	Progress Progress `json:"progress,omitzero"`
	// NextTry is when the Engine tries again after a failure.
	NextTry time.Time `json:"next_try,omitzero"`
}

// String renders the status in one line: "syncing INBOX 3200/12000",
// "offline: connection refused", "auth-failed: wrong password".
func (s Status) String() string {
	var b strings.Builder
	b.WriteString(string(s.State))
	if p := s.Progress; s.State == StateSyncing && (p.Folder != "" || p.Done > 0 || p.Total > 0) {
		b.WriteString(" " + p.String())
	}
	if s.Reason != "" {
		b.WriteString(": " + s.Reason)
	}
	return b.String()
}

// String renders progress as "INBOX 3200/12000" (or "INBOX 3200" when the
// total is unknown).
func (p Progress) String() string {
	s := p.Folder
	if s != "" {
		s += " "
	}
	if p.Total > 0 {
		return fmt.Sprintf("%s%d/%d", s, p.Done, p.Total)
	}
	return fmt.Sprintf("%s%d", s, p.Done)
}

// Clock is the time source of the Engine and the Outbox; tests pass a fake
// one so no test sleeps.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Backoff bounds.
const (
	BackoffMin = time.Second
	BackoffMax = 5 * time.Minute
)

// Backoff returns how long to wait before try attempt+1 after attempt
// consecutive failures: BackoffMin doubling up to BackoffMax, with "equal
// jitter" so that many accounts failing together do not retry together:
// the wait lies in [d/2, d) for the doubled d, where random is in [0, 1).
func Backoff(attempt int, random float64) time.Duration {
	d := BackoffMax
	if attempt < 20 {
		d = min(BackoffMin<<attempt, BackoffMax)
	}
	random = min(max(random, 0), 1)
	return d/2 + time.Duration(random*float64(d/2))
}

// retryWait is the wait after a failure: the backoff, or longer when the
// server asked for it (*RetryAfter).
func retryWait(err error, attempt int, random float64) time.Duration {
	wait := Backoff(attempt, random)
	var ra *RetryAfter
	if errors.As(err, &ra) && ra.Wait > wait {
		wait = ra.Wait
	}
	return wait
}

// EngineOptions configure an Engine. Settings and Secret are required;
// nil Clock, Rand and Logger mean the real ones.
type EngineOptions struct {
	// Factories build a channel per account kind (KindEmail: email.New…).
	Factories map[string]Factory
	// Settings holds the accounts (LoadAccounts) and their last status.
	Settings Settings
	// Secret returns an account's password or token (secrets.Store.Get).
	Secret func(account string) (string, error)
	// Deps are handed to every factory. A nil Deps.Own is filled with the
	// addresses of the e-mail accounts (OwnAddresses); a nil Logger with
	// the Engine's.
	Deps Deps
	// Clock and Rand (returning [0, 1)) drive the backoff and its jitter.
	Clock Clock
	Rand  func() float64
	// Logger receives state changes, with the account as an attribute.
	Logger *slog.Logger
	// Only, when not empty, restricts the Engine (and so the Outbox it
	// feeds) to these accounts: `couture sync --account NAME`.
	Only []string
	// OnStatus, when set, is called with every status change and progress
	// report, on the account's goroutine: it must return quickly. The CLI
	// prints progress with it.
	OnStatus func(Status)
}

// Engine runs one goroutine per account: it builds the account's Channel,
// calls Sync, commits what the channel hands its Sink, and on failure tries
// again with exponential backoff and jitter, honouring *RetryAfter. A
// credentials error (inbox.Auth) stops the account until Restart.
//
// Every status change is published on the Desk as an inbox.AccountStatus
// change whose Status is Status.String(), and is readable with Statuses.
// The Engine also builds channels for the Outbox (it is a ChannelSource),
// so each account has one Channel whose Send may run while Sync does.
type Engine struct {
	desk *inbox.Desk
	o    EngineOptions
	log  *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // from Start; nil before
	runners map[string]*runner
	status  map[string]Status
	built   map[string]built
	wg      sync.WaitGroup
}

type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

type built struct {
	ch  Channel
	acc Account
}

// NewEngine returns an Engine over desk; it does nothing before Start or
// SyncOnce.
func NewEngine(desk *inbox.Desk, opts *EngineOptions) *Engine {
	e := &Engine{desk: desk, runners: map[string]*runner{}, status: map[string]Status{}, built: map[string]built{}}
	if opts != nil {
		e.o = *opts
	}
	if e.o.Clock == nil {
		e.o.Clock = systemClock{}
	}
	if e.o.Rand == nil {
		e.o.Rand = rand.Float64
	}
	e.log = e.o.Logger
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.o.Secret == nil {
		e.o.Secret = func(a string) (string, error) {
			return "", inbox.Errorf(inbox.NotFound, "no secret store to read the password of account %s from", a)
		}
	}
	return e
}

// Accounts implements ChannelSource: the configured accounts (those of
// EngineOptions.Only when set).
func (e *Engine) Accounts() ([]Account, error) {
	all, err := e.allAccounts()
	if err != nil || len(e.o.Only) == 0 {
		return all, err
	}
	return slices.DeleteFunc(all, func(a Account) bool { return !slices.Contains(e.o.Only, a.Name) }), nil
}

func (e *Engine) allAccounts() ([]Account, error) {
	if e.o.Settings == nil {
		return nil, inbox.Errorf(inbox.Invalid, "the engine has no settings to read accounts from")
	}
	return LoadAccounts(e.o.Settings)
}

// Channel implements ChannelSource: it returns the account's Channel,
// building it on first use with the kind's Factory and the account's
// secret, and keeps it for the Engine and the Outbox alike.
func (e *Engine) Channel(name string) (Channel, Account, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.built[name]; ok {
		return b.ch, b.acc, nil
	}
	all, err := e.Accounts()
	if err != nil {
		return nil, Account{}, err
	}
	i := slices.IndexFunc(all, func(a Account) bool { return a.Name == name })
	if i < 0 {
		return nil, Account{}, noAccount(name, all)
	}
	a := all[i]
	f := e.o.Factories[a.Kind]
	if f == nil {
		return nil, a, inbox.Errorf(inbox.Invalid, "this build of Couture has no %s channel (account %s)", a.Kind, a.Name)
	}
	secret, err := e.o.Secret(a.Name)
	if err != nil {
		if inbox.ErrorCode(err) == inbox.NotFound {
			return nil, a, inbox.Wrap(inbox.Auth, err, inbox.Explain(err))
		}
		return nil, a, err
	}
	deps := e.o.Deps
	if deps.Own == nil {
		every, err := e.allAccounts()
		if err != nil {
			return nil, a, err
		}
		deps.Own = OwnAddresses(every)
	}
	if deps.Logger == nil {
		deps.Logger = e.log
	}
	deps.Logger = deps.Logger.With("account", a.Name)
	ch, err := f(a, secret, deps)
	if err != nil {
		return nil, a, fmt.Errorf("set up account %s: %w", a.Name, err)
	}
	e.built[name] = built{ch: ch, acc: a}
	return ch, a, nil
}

// forget drops the built channel so the next use rebuilds it (with a new
// secret, say), closing it when it holds connections.
func (e *Engine) forget(name string) {
	e.mu.Lock()
	b, ok := e.built[name]
	delete(e.built, name)
	e.mu.Unlock()
	if c, isCloser := b.ch.(io.Closer); ok && isCloser {
		if err := c.Close(); err != nil {
			e.log.Debug("close channel", "account", name, "err", err)
		}
	}
}

// Start starts one goroutine per configured account; they run until ctx
// ends or Stop. It fails when the accounts cannot be read or when the
// Engine runs already.
func (e *Engine) Start(ctx context.Context) error {
	all, err := e.Accounts()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ctx != nil {
		return inbox.Errorf(inbox.Conflict, "the sync engine runs already")
	}
	e.ctx = ctx
	for _, a := range all {
		e.startLocked(a)
	}
	return nil
}

func (e *Engine) startLocked(a Account) {
	ctx, cancel := context.WithCancel(e.ctx)
	r := &runner{cancel: cancel, done: make(chan struct{})}
	e.runners[a.Name] = r
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(r.done)
		defer cancel()
		e.run(ctx, a)
	}()
}

// Restart stops the account's goroutine, drops its channel and starts it
// again with the saved account and secret: after a person fixed a password,
// or added the account. An account that no longer exists is only stopped.
func (e *Engine) Restart(name string) error {
	e.mu.Lock()
	if e.ctx == nil {
		e.mu.Unlock()
		return inbox.Errorf(inbox.Conflict, "the sync engine is not running")
	}
	r := e.runners[name]
	delete(e.runners, name)
	e.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
	e.forget(name)
	a, err := FindAccount(e.o.Settings, name)
	if len(e.o.Only) > 0 && !slices.Contains(e.o.Only, name) {
		err = inbox.Errorf(inbox.NotFound, "account %s is not synced by this engine", name)
	}
	if inbox.ErrorCode(err) == inbox.NotFound {
		e.mu.Lock()
		delete(e.status, name)
		e.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ctx != nil && e.ctx.Err() == nil {
		e.startLocked(a)
	}
	return nil
}

// Stop stops every account goroutine, waits for them, closes the channels
// and saves the last statuses. Calling it twice is harmless.
func (e *Engine) Stop() {
	e.mu.Lock()
	for _, r := range e.runners {
		r.cancel()
	}
	e.runners = map[string]*runner{}
	e.ctx = nil
	e.mu.Unlock()
	e.wg.Wait()
	e.mu.Lock()
	names := make([]string, 0, len(e.built))
	for n := range e.built {
		names = append(names, n)
	}
	saved := make([]Status, 0, len(e.status))
	for _, s := range e.status {
		saved = append(saved, s)
	}
	e.mu.Unlock()
	for _, n := range names {
		e.forget(n)
	}
	if e.o.Settings != nil {
		for _, s := range saved {
			if err := saveStatus(e.o.Settings, s); err != nil {
				e.log.Warn("save account status", "account", s.Account, "err", err)
			}
		}
	}
}

// Statuses returns every account's current status, by account name.
func (e *Engine) Statuses() []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Status, 0, len(e.status))
	for _, s := range e.status {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Account, b.Account) })
	return out
}

// run is one account's goroutine.
func (e *Engine) run(ctx context.Context, a Account) {
	attempt := 0
	for {
		ch, acc, err := e.Channel(a.Name)
		if err != nil && inbox.ErrorCode(err) == inbox.Unavailable {
			// The keyring did not answer (locked, still starting): try again.
			wait := retryWait(err, attempt, e.o.Rand())
			attempt++
			next := e.o.Clock.Now().Add(wait)
			e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry = StateError, inbox.Explain(err), next })
			select {
			case <-ctx.Done():
				return
			case <-e.o.Clock.After(wait):
			}
			continue
		}
		if err != nil {
			// The account cannot even be set up (no secret, bad settings):
			// retrying would fail the same way until a person acts.
			state := StateError
			if inbox.ErrorCode(err) == inbox.Auth {
				state = StateAuthFailed
			}
			e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry = state, inbox.Explain(err), time.Time{} })
			e.log.Warn("account stopped", "account", a.Name, "err", err)
			return
		}
		a = acc
		e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry, s.Progress = StateSyncing, "", time.Time{}, Progress{} })
		sk := &sink{e: e, acc: a}
		err = ch.Sync(ctx, sk, false)
		if ctx.Err() != nil {
			return
		}
		if sk.commits.Load() > 0 {
			attempt = 0 // it worked for a while: start the backoff afresh
		}
		if inbox.ErrorCode(err) == inbox.Auth {
			e.forget(a.Name)
			e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry = StateAuthFailed, inbox.Explain(err), time.Time{} })
			e.log.Warn("credentials refused; not retrying until restarted", "account", a.Name, "err", err)
			return
		}
		wait := retryWait(err, attempt, e.o.Rand())
		attempt++
		next := e.o.Clock.Now().Add(wait)
		switch {
		case err == nil:
			// Sync is meant to block; a channel that returned anyway is
			// restarted after the backoff so it cannot spin.
			e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry = StateIdle, "", next })
		default:
			state := StateError
			if offline(err) {
				state = StateOffline
			}
			e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry = state, inbox.Explain(err), next })
			e.log.Info("sync failed; retrying", "account", a.Name, "wait", wait, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-e.o.Clock.After(wait):
		}
	}
}

// SyncOnce syncs the named account, or every account when name is "",
// until each has caught up (Sync with once=true), and returns the first
// failure. Accounts sync in parallel; each failure also lands in its
// status. It needs no Start.
func (e *Engine) SyncOnce(ctx context.Context, name string) error {
	all, err := e.Accounts()
	if err != nil {
		return err
	}
	if name != "" {
		i := slices.IndexFunc(all, func(a Account) bool { return a.Name == name })
		if i < 0 {
			return noAccount(name, all)
		}
		all = all[i : i+1]
	}
	if len(all) == 0 {
		return inbox.Errorf(inbox.NotFound, "no account is configured yet (couture account add)")
	}
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, a := range all {
		wg.Go(func() { errs[i] = e.syncOnce(ctx, a) })
	}
	wg.Wait()
	var failed []string
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		failed = append(failed, all[i].Name+": "+inbox.Explain(err))
	}
	switch {
	case first == nil:
		return nil
	case len(all) == 1:
		return first
	}
	code := inbox.ErrorCode(first)
	if code == "" {
		code = inbox.Unavailable
	}
	return inbox.Wrap(code, first, strings.Join(failed, "; "))
}

func (e *Engine) syncOnce(ctx context.Context, a Account) error {
	ch, acc, err := e.Channel(a.Name)
	if err != nil {
		state := StateError
		if inbox.ErrorCode(err) == inbox.Auth {
			state = StateAuthFailed
		}
		e.update(a, func(s *Status) { s.State, s.Reason = state, inbox.Explain(err) })
		return err
	}
	a = acc
	e.update(a, func(s *Status) { s.State, s.Reason, s.NextTry, s.Progress = StateSyncing, "", time.Time{}, Progress{} })
	err = ch.Sync(ctx, &sink{e: e, acc: a}, true)
	switch {
	case err == nil:
		now := e.o.Clock.Now()
		e.update(a, func(s *Status) { s.State, s.Reason, s.LastSuccess, s.Progress = StateIdle, "", now, Progress{} })
	case inbox.ErrorCode(err) == inbox.Auth:
		e.forget(a.Name)
		e.update(a, func(s *Status) { s.State, s.Reason = StateAuthFailed, inbox.Explain(err) })
	default:
		state := StateError
		if offline(err) {
			state = StateOffline
		}
		e.update(a, func(s *Status) { s.State, s.Reason = state, inbox.Explain(err) })
	}
	return err
}

// update changes the account's status and tells everyone: the Desk's
// subscribers, OnStatus, the log, and (on a change of state) the settings,
// so `account list` shows it after the process ends.
func (e *Engine) update(a Account, fn func(*Status)) {
	e.mu.Lock()
	s, ok := e.status[a.Name]
	if !ok {
		if e.o.Settings != nil {
			if saved, err := loadStatuses(e.o.Settings); err == nil {
				s = saved[a.Name]
			}
		}
		s.Account = a.Name
	}
	before := s
	s.Kind = a.Kind
	fn(&s)
	e.status[a.Name] = s
	e.mu.Unlock()
	if s.String() == before.String() {
		return // LastSuccess moved on; nothing anyone sees changed
	}
	e.desk.Publish(inbox.Change{Kind: inbox.AccountStatus, Account: a.Name, Status: s.String()})
	if e.o.OnStatus != nil {
		e.o.OnStatus(s)
	}
	if s.State != before.State || s.Reason != before.Reason {
		e.log.Debug("account status", "account", a.Name, "state", s.State, "reason", s.Reason)
		if e.o.Settings != nil && s.State != StateSyncing {
			if err := saveStatus(e.o.Settings, s); err != nil {
				e.log.Warn("save account status", "account", a.Name, "err", err)
			}
		}
	}
}

// sink is what a channel's Sync writes to: commits go through the Desk in
// one transaction with the cursor; the status follows.
type sink struct {
	e       *Engine
	acc     Account
	commits atomic.Int64
}

// Commit implements Sink. The batch's Account, and every message's, is the
// account's name whatever the channel set.
func (k *sink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	b.Account = k.acc.Name
	for i := range b.Messages {
		b.Messages[i].Message.Account = k.acc.Name
	}
	res, err := k.e.desk.Ingest(ctx, b)
	if err != nil {
		return res, err
	}
	k.commits.Add(1)
	now := k.e.o.Clock.Now()
	k.e.update(k.acc, func(s *Status) {
		s.LastSuccess = now
		if p := s.Progress; p.Total == 0 || p.Done >= p.Total {
			s.State, s.Reason, s.Progress = StateIdle, "", Progress{}
		}
	})
	return res, nil
}

// Cursor implements Sink.
func (k *sink) Cursor(key string) ([]byte, error) {
	return k.e.desk.Store().Cursor(k.acc.Name, key)
}

// Progress implements Sink: Done < Total shows syncing with the position,
// Done >= Total (caught up) shows idle.
func (k *sink) Progress(p Progress) {
	p.Account = k.acc.Name
	caughtUp := p.Total > 0 && p.Done >= p.Total
	if caughtUp && k.e.o.OnStatus != nil {
		// The last step of a folder is worth printing even though the
		// state goes idle and the progress is cleared.
		k.e.o.OnStatus(Status{Account: k.acc.Name, Kind: k.acc.Kind, State: StateSyncing, Progress: p})
	}
	k.e.update(k.acc, func(s *Status) {
		if caughtUp {
			s.State, s.Reason, s.Progress = StateIdle, "", Progress{}
			return
		}
		s.State, s.Reason, s.Progress = StateSyncing, "", p
	})
}

// offline reports whether err means the network or the server could not be
// reached, rather than something the server said.
func offline(err error) bool {
	if inbox.ErrorCode(err) == inbox.Unavailable {
		return true
	}
	var ne net.Error
	var ra *RetryAfter
	switch {
	case errors.As(err, &ra):
		return false // the server answered: it is busy
	case errors.As(err, &ne):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}
