package channels

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name    string
		attempt int
		want    time.Duration // the doubled step d: the wait is in [d/2, d)
	}{
		{"first", 0, time.Second},
		{"second", 1, 2 * time.Second},
		{"third", 2, 4 * time.Second},
		{"eighth", 7, 128 * time.Second},
		{"capped", 9, 5 * time.Minute},
		{"far", 60, 5 * time.Minute},
		{"huge", 1 << 30, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Backoff(tt.attempt, 0), Backoff(tt.attempt, 0.999999)
			if lo != tt.want/2 {
				t.Errorf("lowest wait %v, want %v", lo, tt.want/2)
			}
			if hi >= tt.want || hi < tt.want*99/100 {
				t.Errorf("highest wait %v, want just under %v", hi, tt.want)
			}
			for _, r := range []float64{-1, 0.25, 0.5, 2} {
				if d := Backoff(tt.attempt, r); d < tt.want/2 || d > tt.want {
					t.Errorf("Backoff(%d, %v) = %v outside [%v, %v]", tt.attempt, r, d, tt.want/2, tt.want)
				}
			}
		})
	}
}

// statusWatcher collects the account status changes the Desk publishes.
type statusWatcher struct {
	sub *inbox.Subscription
	got []string
}

func watch(w *world) *statusWatcher {
	s := &statusWatcher{sub: w.desk.Subscribe(1000)}
	w.t.Cleanup(s.sub.Close)
	return s
}

// until reads changes until one for account starts with prefix.
func (s *statusWatcher) until(t *testing.T, account, prefix string) {
	t.Helper()
	for {
		for _, c := range s.sub.Take() {
			if c.Kind == inbox.AccountStatus && c.Account == account {
				s.got = append(s.got, c.Status)
				if strings.HasPrefix(c.Status, prefix) {
					return
				}
			}
		}
		select {
		case <-s.sub.C:
		case <-deadline(t):
			t.Fatalf("no status %q for %s; got %q", prefix, account, s.got)
		}
	}
}

func TestEngineBacksOffWithJitterAndHonoursRetryAfter(t *testing.T) {
	acc := Account{Name: "bot", Kind: KindTelegram}
	w := newWorld(t, acc)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	script := []error{refused, refused, refused, &RetryAfter{Wait: 42 * time.Second, Err: errors.New("429 Too Many Requests")}, refused}
	ch := &fakeChannel{}
	var calls int
	var mu sync.Mutex
	caughtUp := make(chan struct{})
	ch.syncFn = func(ctx context.Context, sink Sink, once bool) error {
		mu.Lock()
		if calls < len(script) {
			calls++
			mu.Unlock()
			return script[calls-1]
		}
		mu.Unlock()
		close(caughtUp)
		<-ctx.Done()
		return ctx.Err()
	}
	w.chans["bot"] = ch
	rnd := []float64{0, 0.999, 0.5, 0, 0.5}
	var ri int
	e := w.engine(&EngineOptions{Rand: func() float64 { r := rnd[ri%len(rnd)]; ri++; return r }})
	st := watch(w)
	w.start(e)
	defer e.Stop()

	want := []struct{ lo, hi time.Duration }{
		{500 * time.Millisecond, 500 * time.Millisecond}, // attempt 0, random 0
		{1990 * time.Millisecond, 2 * time.Second},       // attempt 1, random 0.999
		{3 * time.Second, 3 * time.Second},               // attempt 2, random 0.5
		{42 * time.Second, 42 * time.Second},             // Retry-After beats the 4 s backoff
		{12 * time.Second, 12 * time.Second},             // attempt 4, random 0.5 of 16 s
	}
	for i, wt := range want {
		d := w.clock.nextWait(t)
		if d < wt.lo || d > wt.hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, wt.lo, wt.hi)
		}
		if i == 0 {
			st.until(t, "bot", "offline")
			s := e.Statuses()[0]
			if s.State != StateOffline || s.NextTry != w.clock.Now().Add(d) || s.Kind != KindTelegram {
				t.Errorf("status after a refused connection: %+v", s)
			}
		}
		if i == 3 {
			st.until(t, "bot", "error: 429")
		}
		w.clock.Advance(d)
	}
	select {
	case <-caughtUp:
	case <-deadline(t):
		t.Fatal("the sixth Sync never came")
	}
	if got := ch.syncCount(); got != 6 {
		t.Errorf("Sync called %d times, want 6", got)
	}
}

func TestEngineAuthErrorStopsUntilRestart(t *testing.T) {
	acc := Account{Name: "shop", Kind: KindEmail, Settings: map[string]string{SetAddress: "shop@example.org"}}
	w := newWorld(t, acc)
	ch := &fakeChannel{}
	ch.syncFn = func(ctx context.Context, sink Sink, once bool) error {
		return inbox.Errorf(inbox.Auth, "the IMAP server refused the password of shop@example.org")
	}
	w.chans["shop"] = ch
	e := w.engine(nil)
	st := watch(w)
	ctx := w.start(e)
	st.until(t, "shop", "auth-failed: the IMAP server refused")
	e.Stop()
	if n := ch.syncCount(); n != 1 {
		t.Errorf("Sync called %d times after an auth error, want 1 (no retry)", n)
	}
	select {
	case d := <-w.clock.afters:
		t.Errorf("the engine waited %v to retry an auth error", d)
	default:
	}
	if !ch.closed {
		t.Error("the channel was not closed after the auth error")
	}
	// The status outlives the process, for `couture account list`.
	saved, err := LoadStatuses(w.store)
	if err != nil || saved["shop"].State != StateAuthFailed || !strings.Contains(saved["shop"].Reason, "refused the password") {
		t.Fatalf("saved status %+v, %v", saved["shop"], err)
	}

	// Start again after the person fixed the password, then Restart.
	started := make(chan struct{}, 2)
	ch.setSync(func(ctx context.Context, sink Sink, once bool) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	st.until(t, "shop", "syncing")
	<-started
	if err := e.Restart("shop"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-deadline(t):
		t.Fatal("Restart did not sync again")
	}
	if n := ch.syncCount(); n != 3 {
		t.Errorf("Sync called %d times, want 3", n)
	}
}

func TestEngineMissingSecretIsAuthFailed(t *testing.T) {
	w := newWorld(t, Account{Name: "bot", Kind: KindTelegram})
	w.chans["bot"] = &fakeChannel{}
	e := w.engine(nil)
	e.o.Secret = func(a string) (string, error) {
		return "", inbox.Errorf(inbox.NotFound, "no password or token is saved for account %s", a)
	}
	err := e.SyncOnce(context.Background(), "bot")
	if inbox.ErrorCode(err) != inbox.Auth || !strings.Contains(inbox.Explain(err), "no password or token") {
		t.Fatalf("err = %v", err)
	}
	if s := e.Statuses()[0]; s.State != StateAuthFailed {
		t.Fatalf("status %+v", s)
	}
}

// batch is one inbound Telegram message from user 42 with a cursor.
func batch(ext, cursor string) inbox.Batch {
	return inbox.Batch{
		Account:   "someone-else", // the sink puts the account's own name
		CursorKey: "updates",
		Cursor:    []byte(cursor),
		Messages: []inbox.Incoming{{Name: "Anna", Message: inbox.Message{
			Channel: inbox.ChannelTelegram, Direction: inbox.In, Account: "wrong",
			Party: inbox.Identity{Kind: inbox.KindTelegram, Address: "42"}, ExternalID: ext, Text: "Bonjour " + ext,
		}}},
	}
}

func TestSinkSavesTheCursorOnlyWithItsCommit(t *testing.T) {
	w := newWorld(t, Account{Name: "bot", Kind: KindTelegram})
	ch := &fakeChannel{}
	var seen [][]byte
	ch.syncFn = func(ctx context.Context, sink Sink, once bool) error {
		c, err := sink.Cursor("updates")
		if err != nil {
			return err
		}
		seen = append(seen, c)
		if _, err := sink.Commit(ctx, batch("1", "c1")); err != nil {
			return err
		}
		bad := batch("2", "c2")
		bad.Messages[0].Message.Direction = "sideways" // the whole batch is refused
		if _, err := sink.Commit(ctx, bad); err == nil {
			t.Error("a bad batch was committed")
		}
		if c, _ := sink.Cursor("updates"); string(c) != "c1" {
			t.Errorf("cursor after a refused commit = %q, want c1", c)
		}
		// A cancelled commit saves nothing either.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := sink.Commit(cctx, batch("3", "c3")); err == nil {
			t.Error("a cancelled commit went through")
		}
		res, err := sink.Commit(ctx, batch("1", "c4")) // the same message again
		if err != nil || res.Added != 0 || res.Duplicates != 1 {
			t.Errorf("repeat commit: %+v, %v", res, err)
		}
		sink.Progress(Progress{Folder: "updates", Done: 1, Total: 1})
		return nil
	}
	w.chans["bot"] = ch
	var progress []Status
	e := w.engine(&EngineOptions{OnStatus: func(s Status) { progress = append(progress, s) }})
	if err := e.SyncOnce(context.Background(), "bot"); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != nil {
		t.Errorf("first cursor %q, want none", seen)
	}
	if c, _ := w.store.Cursor("bot", "updates"); string(c) != "c4" {
		t.Errorf("saved cursor %q, want c4", c)
	}
	cid, _, _ := w.store.Owner(inbox.Identity{Kind: inbox.KindTelegram, Address: "42"})
	p, err := w.desk.Timeline(cid, "", 10)
	if err != nil || len(p.Messages) != 1 || p.Messages[0].Account != "bot" {
		t.Fatalf("timeline %+v, %v: want one message of account bot", p.Messages, err)
	}
	s := e.Statuses()[0]
	if s.State != StateIdle || !s.LastSuccess.Equal(w.clock.Now()) {
		t.Errorf("status after sync --once: %+v", s)
	}
	var sawProgress bool
	for _, s := range progress {
		if s.Progress.String() == "updates 1/1" {
			sawProgress = true
		}
	}
	if !sawProgress {
		t.Errorf("OnStatus never reported the final progress: %+v", progress)
	}
	if saved, _ := LoadStatuses(w.store); saved["bot"].State != StateIdle || saved["bot"].LastSuccess.IsZero() {
		t.Errorf("saved status %+v", saved["bot"])
	}
}

func TestEngineStatusEvents(t *testing.T) {
	w := newWorld(t, Account{Name: "shop", Kind: KindEmail})
	ch := &fakeChannel{}
	step := make(chan struct{})
	ch.syncFn = func(ctx context.Context, sink Sink, once bool) error {
		sink.Progress(Progress{Folder: "INBOX", Done: 3200, Total: 12000})
		<-step
		if _, err := sink.Commit(ctx, batch("1", "c1")); err != nil {
			return err
		}
		sink.Progress(Progress{Folder: "INBOX", Done: 12000, Total: 12000})
		<-ctx.Done()
		return ctx.Err()
	}
	w.chans["shop"] = ch
	e := w.engine(nil)
	st := watch(w)
	w.start(e)
	defer e.Stop()
	st.until(t, "shop", "syncing INBOX 3200/12000")
	if s := e.Statuses()[0]; s.State != StateSyncing || s.Progress.Done != 3200 {
		t.Errorf("status %+v", s)
	}
	close(step)
	st.until(t, "shop", "idle")
	want := []string{"syncing", "syncing INBOX 3200/12000", "idle"}
	if strings.Join(st.got, "|") != strings.Join(want, "|") {
		t.Errorf("status events %q, want %q", st.got, want)
	}
	if s := e.Statuses()[0]; s.LastSuccess.IsZero() {
		t.Errorf("no last success after a commit: %+v", s)
	}
}

func TestSyncOnceAllAccountsReportsEachFailure(t *testing.T) {
	w := newWorld(t, Account{Name: "a", Kind: KindTelegram}, Account{Name: "b", Kind: KindMatrix}, Account{Name: "c", Kind: KindEmail})
	ok := &fakeChannel{syncFn: func(ctx context.Context, sink Sink, once bool) error {
		if !once {
			t.Error("SyncOnce called Sync with once=false")
		}
		return nil
	}}
	w.chans["a"] = ok
	w.chans["b"] = &fakeChannel{syncFn: func(context.Context, Sink, bool) error {
		return inbox.Errorf(inbox.Unavailable, "the homeserver does not answer")
	}}
	// c has no test channel: its factory fails.
	e := w.engine(nil)
	err := e.SyncOnce(context.Background(), "")
	if err == nil {
		t.Fatal("SyncOnce succeeded with two broken accounts")
	}
	msg := inbox.Explain(err)
	if !strings.Contains(msg, "b: the homeserver does not answer") || !strings.Contains(msg, "c: ") || strings.Contains(msg, "a:") {
		t.Errorf("error %q should name b and c, not a", msg)
	}
	byName := map[string]Status{}
	for _, s := range e.Statuses() {
		byName[s.Account] = s
	}
	if byName["a"].State != StateIdle || byName["b"].State != StateOffline || byName["c"].State != StateError {
		t.Errorf("statuses %+v", byName)
	}
	if err := e.SyncOnce(context.Background(), "nope"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("unknown account: %v", err)
	}
}

func TestOffline(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dial", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"dns", &net.DNSError{Err: "no such host", Name: "imap.example.org"}, true},
		{"unavailable", inbox.Errorf(inbox.Unavailable, "down"), true},
		{"retry-after", &RetryAfter{Wait: time.Second, Err: errors.New("429")}, false},
		{"auth", inbox.Errorf(inbox.Auth, "no"), false},
		{"plain", errors.New("bad response"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := offline(tt.err); got != tt.want {
				t.Errorf("offline(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestEngineRetriesAnUnavailableKeyring(t *testing.T) {
	w := newWorld(t, Account{Name: "bot", Kind: KindTelegram})
	started := make(chan struct{}, 1)
	w.chans["bot"] = &fakeChannel{syncFn: func(ctx context.Context, sink Sink, once bool) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}}
	e := w.engine(nil)
	var mu sync.Mutex
	asked := 0
	e.o.Secret = func(a string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if asked++; asked == 1 {
			return "", inbox.Errorf(inbox.Unavailable, "the OS keyring does not answer")
		}
		return "s3cret-" + a, nil
	}
	w.start(e)
	defer e.Stop()
	if d := w.clock.nextWait(t); d != 750*time.Millisecond {
		t.Errorf("wait %v after a locked keyring, want the first backoff", d)
	}
	if s := e.Statuses()[0]; s.State != StateError || !strings.Contains(s.Reason, "keyring") {
		t.Errorf("status %+v", s)
	}
	w.clock.Advance(time.Second)
	select {
	case <-started:
	case <-deadline(t):
		t.Fatal("the account never synced once the keyring answered")
	}
}
