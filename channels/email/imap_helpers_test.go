package email

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

// deskSink is a channels.Sink over a real store and Desk, as the Engine's,
// that also records what happened and follows \Seen (channels.SeenSink).
type deskSink struct {
	t       testing.TB
	store   *storage.Store
	desk    *inbox.Desk
	account string

	mu       sync.Mutex
	results  []inbox.IngestResult
	batches  []inbox.Batch
	progress []channels.Progress
	seen     map[bool][]string
	commits  chan inbox.IngestResult // every commit, for tests that wait
}

var _ channels.SeenSink = (*deskSink)(nil)

func newDeskSink(t testing.TB, account string) *deskSink {
	st := storagetest.MustOpen(t, &storage.Options{NoIndex: true, NoSync: true})
	return &deskSink{t: t, store: st, desk: inbox.NewDesk(st, nil), account: account,
		seen: map[bool][]string{}, commits: make(chan inbox.IngestResult, 1000)}
}

func (k *deskSink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	b.Account = k.account
	res, err := k.desk.Ingest(ctx, b)
	if err != nil {
		return res, err
	}
	k.mu.Lock()
	k.results = append(k.results, res)
	k.batches = append(k.batches, b)
	k.mu.Unlock()
	k.commits <- res
	return res, nil
}

func (k *deskSink) Cursor(key string) ([]byte, error) { return k.store.Cursor(k.account, key) }

func (k *deskSink) Progress(p channels.Progress) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.progress = append(k.progress, p)
}

// SetSeen implements channels.SeenSink as the Engine's sink does (through
// the Desk), and records the Message-IDs it was given.
func (k *deskSink) SetSeen(ctx context.Context, ch inbox.ChannelKind, prefixes []string, seen bool) error {
	k.mu.Lock()
	for _, p := range prefixes {
		k.seen[seen] = append(k.seen[seen], strings.TrimSuffix(p, "#"))
	}
	k.mu.Unlock()
	return k.desk.SetSeen(ctx, ch, prefixes, seen)
}

// totals sums the commits so far.
func (k *deskSink) totals() (added, dups, commits int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range k.results {
		added += r.Added
		dups += r.Duplicates
	}
	return added, dups, len(k.results)
}

// reset forgets the recorded commits (not the store).
func (k *deskSink) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.results, k.batches, k.progress = nil, nil, nil
	k.seen = map[bool][]string{}
	for len(k.commits) > 0 {
		<-k.commits
	}
}

// messages returns every stored message.
func (k *deskSink) messages() []inbox.Message {
	k.t.Helper()
	var out []inbox.Message
	err := k.store.Scan(func(_ inbox.CustomerID, e inbox.Entry) error {
		m, err := k.store.Message(e.ID)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// byMessageID returns the stored messages by Message-ID.
func (k *deskSink) byMessageID() map[string]inbox.Message {
	out := map[string]inbox.Message{}
	for _, m := range k.messages() {
		out[MessageIDOf(m.ExternalID)] = m
	}
	return out
}

// cursor returns a folder's saved cursor.
func (k *deskSink) cursor(t testing.TB, folder string) cursor {
	t.Helper()
	y := &syncer{sink: k, log: slog.New(slog.DiscardHandler)}
	cur, err := y.loadCursor(folder)
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// account returns the settings of user's account on srv, plaintext on
// loopback; mods change them.
func account(srv *dovecot.Server, user string, mods ...func(map[string]string)) channels.Account {
	a := channels.Account{Name: user, Kind: channels.KindEmail, Settings: map[string]string{
		channels.SetAddress: dovecot.Address(user), channels.SetUsername: user,
		channels.SetIMAP: srv.IMAP, channels.SetIMAPSecurity: SecurityNone,
		channels.SetSMTP: "127.0.0.1:1", channels.SetSMTPSecurity: SecurityNone,
	}}
	for _, m := range mods {
		m(a.Settings)
	}
	return a
}

// testLogger logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("COUTURE_EMAIL_DEBUG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newChannel builds the channel of user's account over the sink's store.
func newChannel(t testing.TB, k *deskSink, a channels.Account, password string) *Channel {
	t.Helper()
	c, err := New(a, password, channels.Deps{Blobs: k.store, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// alice returns a sink over a fresh store and the channel of alice's
// account on srv: the start of most tests.
func alice(t testing.TB, srv *dovecot.Server) (*deskSink, *Channel) {
	t.Helper()
	k := newDeskSink(t, "alice")
	return k, newChannel(t, k, account(srv, "alice"), srv.Password("alice"))
}

// syncInBackground runs c's continuous Sync into k until the test ends; a
// sync that ends with an error other than the cancel fails the test.
func syncInBackground(t testing.TB, c *Channel, k *deskSink) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Sync(ctx, k, false) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("sync ended with %v", err)
		}
	})
}

// resyncIsQuiet syncs c again and fails the test if that sync committed
// anything or reported a flag change: nothing changed since the last one.
func resyncIsQuiet(t testing.TB, c *Channel, k *deskSink) {
	t.Helper()
	k.reset()
	syncOnce(t, c, k)
	if _, _, commits := k.totals(); commits != 0 || len(k.seen) != 0 {
		t.Errorf("second resync: %d commits, seen changes %v", commits, k.seen)
	}
}

// syncOnce runs Sync with once set and fails the test on error.
func syncOnce(t testing.TB, c *Channel, k *deskSink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Sync(ctx, k, true); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// tagged matches a command line the client writes: tag, space, name.
var tagged = regexp.MustCompile(`^(T\d+) (UID )?([A-Z]+)`)

// commandLog records the IMAP commands written on the connections of a
// channel (plaintext only), and signals each one.
type commandLog struct {
	mu   sync.Mutex
	cmds []string
	sent chan string
}

// watch makes c's connections report their commands to a new log.
func watchCommands(c *Channel) *commandLog {
	l := &commandLog{sent: make(chan string, 10000)}
	dial := c.dial
	c.dial = func(ctx context.Context, addr string) (net.Conn, error) {
		conn, err := dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &teeConn{Conn: conn, log: l}, nil
	}
	return l
}

func (l *commandLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.cmds...)
}

func (l *commandLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = nil
	for len(l.sent) > 0 {
		<-l.sent
	}
}

// teeConn records the commands the client writes, before they leave, so a
// test that sees a command's effect also finds it in the log.
type teeConn struct {
	net.Conn
	log  *commandLog
	line []byte // the unfinished last line
}

func (c *teeConn) Write(p []byte) (int, error) {
	c.line = append(c.line, p...)
	for {
		i := bytes.IndexByte(c.line, '\n')
		if i < 0 {
			break
		}
		c.log.record(string(c.line[:i]))
		c.line = c.line[i+1:]
	}
	if len(c.line) > 1<<20 { // a literal's bytes, not a command
		c.line = nil
	}
	return c.Conn.Write(p)
}

func (l *commandLog) record(line string) {
	m := tagged.FindStringSubmatch(strings.TrimRight(line, "\r"))
	if m == nil {
		return
	}
	name := strings.TrimSpace(m[2] + m[3])
	l.mu.Lock()
	l.cmds = append(l.cmds, name)
	l.mu.Unlock()
	select {
	case l.sent <- name:
	default:
	}
}

// cutProxy forwards TCP connections to target and cuts the first one after
// the server sent limit bytes; later connections pass untouched.
type cutProxy struct {
	addr string
	cuts chan struct{} // closed at the cut
}

func startCutProxy(t testing.TB, target string, limit int64) *cutProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: l.Addr().String(), cuts: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	first := true
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			cut := first
			first = false
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(server, client)
				server.Close()
			}()
			go func() {
				defer wg.Done()
				if cut {
					io.CopyN(client, server, limit)
					close(p.cuts)
				} else {
					io.Copy(client, server)
				}
				client.Close()
				server.Close()
			}()
		}
	}()
	return p
}
