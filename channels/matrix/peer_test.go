package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
	"github.com/couture/couture/internal/dendrite"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

// peer is the other side of a conversation: a Matrix user driven with plain
// HTTP calls, the way any client would, independent of the channel's code.
type peer struct {
	tb    testing.TB
	srv   *dendrite.Server
	user  string
	token string
	since string
	txn   atomic.Int64
}

func newPeer(tb testing.TB, srv *dendrite.Server, name string) *peer {
	tb.Helper()
	user := srv.CreateUser(name, "password-"+name)
	return &peer{tb: tb, srv: srv, user: user, token: srv.Login(user, "password-"+name)}
}

// call performs an authenticated request and decodes the answer into out.
func (p *peer) call(method, path string, q url.Values, body, out any) {
	p.tb.Helper()
	if err := p.try(method, path, q, body, out); err != nil {
		p.tb.Fatal(err)
	}
}

func (p *peer) try(method, path string, q url.Values, body, out any) error {
	var rd io.Reader
	if b, ok := body.([]byte); ok {
		rd = bytes.NewReader(b)
	} else if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	u := p.srv.URL + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s as %s: %v", method, path, p.user, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s as %s: HTTP %d %s", method, path, p.user, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// createDM creates a direct room with the others invited and returns its id.
func (p *peer) createDM(invite ...string) string {
	var out struct {
		RoomID string `json:"room_id"`
	}
	p.call("POST", "/_matrix/client/v3/createRoom", nil,
		map[string]any{"preset": "trusted_private_chat", "is_direct": true, "invite": invite}, &out)
	return out.RoomID
}

// say sends a text and returns its event id once the server accepted it.
func (p *peer) say(roomID, text string) string {
	return p.send(roomID, map[string]any{"msgtype": "m.text", "body": text})
}

func (p *peer) send(roomID string, content any) string {
	var out struct {
		EventID string `json:"event_id"`
	}
	txn := fmt.Sprintf("peer-%d-%d", time.Now().UnixNano(), p.txn.Add(1))
	p.call("PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/send/m.room.message/"+txn, nil, content, &out)
	return out.EventID
}

func (p *peer) join(roomID string) {
	p.call("POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/join", nil, map[string]any{}, nil)
}

// upload stores bytes in the media repository and returns the mxc URI.
func (p *peer) upload(data []byte, typ, name string) string {
	req, _ := http.NewRequest("POST", p.srv.URL+"/_matrix/media/v3/upload?filename="+url.QueryEscape(name), bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", typ)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ContentURI string `json:"content_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ContentURI == "" {
		p.tb.Fatalf("upload: HTTP %d %v", resp.StatusCode, err)
	}
	return out.ContentURI
}

// peerEvent is a timeline event as the peer's client sees it.
type peerEvent struct {
	Room    string
	ID      string         `json:"event_id"`
	Type    string         `json:"type"`
	Sender  string         `json:"sender"`
	Content map[string]any `json:"content"`
}

// next long-polls /sync once and returns new timeline events and invites.
func (p *peer) next(timeout time.Duration) (events []peerEvent, invites []string) {
	p.tb.Helper()
	q := url.Values{"timeout": {fmt.Sprint(timeout.Milliseconds())}}
	if p.since != "" {
		q.Set("since", p.since)
	}
	var out struct {
		NextBatch string `json:"next_batch"`
		Rooms     struct {
			Join map[string]struct {
				Timeline struct {
					Events []peerEvent `json:"events"`
				} `json:"timeline"`
			} `json:"join"`
			Invite map[string]json.RawMessage `json:"invite"`
		} `json:"rooms"`
	}
	p.call("GET", "/_matrix/client/v3/sync", q, nil, &out)
	p.since = out.NextBatch
	for id, r := range out.Rooms.Join {
		for _, ev := range r.Timeline.Events {
			ev.Room = id
			events = append(events, ev)
		}
	}
	for id := range out.Rooms.Invite {
		invites = append(invites, id)
	}
	return events, invites
}

// await syncs until an event matching pred arrives, and returns it.
func (p *peer) await(pred func(peerEvent) bool) peerEvent {
	p.tb.Helper()
	var found peerEvent
	ok := p.watch(func(evs []peerEvent) bool {
		for _, ev := range evs {
			if pred(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	if !ok {
		p.tb.Fatalf("%s: no matching event within 60 s", p.user)
	}
	return found
}

// watch syncs for up to 60 s, joining the rooms the peer is invited to,
// and hands see each batch of new timeline events until see returns true.
// It reports whether see did.
func (p *peer) watch(see func([]peerEvent) bool) bool {
	p.tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		evs, invites := p.next(5 * time.Second)
		for _, id := range invites {
			p.join(id)
		}
		if see(evs) {
			return true
		}
	}
	return false
}

// deskSink adapts a real Desk to channels.Sink and tells waiters after
// every commit.
type deskSink struct {
	desk    *inbox.Desk
	account string

	mu      sync.Mutex
	commits int
	changed chan struct{}
	// committed records when each external id was first committed.
	committed map[string]time.Time
	// fail, when set, is called before a commit; an error aborts it.
	fail func(inbox.Batch) error
}

func newDeskSink(desk *inbox.Desk, account string) *deskSink {
	return &deskSink{desk: desk, account: account, changed: make(chan struct{}, 1), committed: map[string]time.Time{}}
}

func (s *deskSink) Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(b); err != nil {
			return inbox.IngestResult{}, err
		}
	}
	res, err := s.desk.Ingest(ctx, b)
	if err != nil {
		return res, err
	}
	now := time.Now()
	s.mu.Lock()
	s.commits++
	for _, in := range b.Messages {
		if _, ok := s.committed[in.Message.ExternalID]; !ok {
			s.committed[in.Message.ExternalID] = now
		}
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return res, nil
}

func (s *deskSink) Cursor(key string) ([]byte, error) { return s.desk.Store().Cursor(s.account, key) }

func (s *deskSink) Progress(channels.Progress) {}

// waitFor returns once cond holds, checking after every commit.
func (s *deskSink) waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	timeout := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-s.changed:
		case <-timeout:
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// business is the Couture side: a real store and Desk, and a channel.
type business struct {
	tb       testing.TB
	srv      *dendrite.Server
	store    *storage.Store
	desk     *inbox.Desk
	sink     *deskSink
	account  channels.Account
	password string
	user     string
}

func newBusiness(tb testing.TB, srv *dendrite.Server, name string) *business {
	tb.Helper()
	st := storagetest.MustOpen(tb, nil)
	desk := inbox.NewDesk(st, nil)
	user := srv.CreateUser(name, "password-"+name)
	a := channels.Account{Name: name, Kind: channels.KindMatrix, Settings: map[string]string{
		channels.SetHomeserver: srv.URL, channels.SetUser: user,
	}}
	return &business{tb: tb, srv: srv, store: st, desk: desk, sink: newDeskSink(desk, name),
		account: a, password: "password-" + name, user: user}
}

// channel builds a fresh Channel, as a restarted process would.
func (b *business) channel() *Channel {
	b.tb.Helper()
	level := slog.LevelDebug
	if _, bench := b.tb.(*testing.B); bench {
		level = slog.LevelWarn // one line per message would drown the result
	}
	log := slog.New(slog.NewTextHandler(tbWriter{b.tb}, &slog.HandlerOptions{Level: level}))
	ch, err := New(b.account, b.password, channels.Deps{Blobs: b.store, Logger: log})
	if err != nil {
		b.tb.Fatal(err)
	}
	ch.PollTimeout = 5 * time.Second
	return ch
}

// run syncs ch in the background until the returned stop is called; stop
// returns Sync's error (nil when it ended because of stop).
func (b *business) run(ch *Channel) (stop func() error) {
	syncing := channeltest.Background(context.Background(), b.tb, ch, b.sink)
	return func() error {
		if err := syncing(); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
}

// tbWriter sends the channel's logs to the test log (shown on failure or -v).
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// customer returns the customer owning a Matrix user, and whether it exists.
func (b *business) customer(user string) (inbox.Customer, bool) {
	b.tb.Helper()
	id, ok, err := b.store.Owner(inbox.Identity{Kind: inbox.KindMatrix, Address: user})
	if err != nil {
		b.tb.Fatal(err)
	}
	if !ok {
		return inbox.Customer{}, false
	}
	c, err := b.store.Customer(id)
	if err != nil {
		b.tb.Fatal(err)
	}
	return c, true
}

// timeline returns a customer's whole timeline, oldest first.
func (b *business) timeline(id inbox.CustomerID) []inbox.Message {
	b.tb.Helper()
	return channeltest.Timeline(b.tb, b.desk, id)
}

// texts returns the texts of a user's timeline ("" when no customer yet).
func (b *business) texts(user string) []string {
	c, ok := b.customer(user)
	if !ok {
		return nil
	}
	var out []string
	for _, m := range b.timeline(c.ID) {
		out = append(out, m.Text)
	}
	return out
}

// has reports whether the store holds the external id on user's timeline.
func (b *business) has(user, eventID string) bool {
	c, ok := b.customer(user)
	if !ok {
		return false
	}
	for _, m := range b.timeline(c.ID) {
		if m.ExternalID == eventID {
			return true
		}
	}
	return false
}
