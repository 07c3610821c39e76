package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dendrite"
)

// TestDendrite runs the channel against a real Dendrite homeserver. The
// subtests share one server; each uses its own users.
func TestDendrite(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Dendrite homeserver")
	}
	srv := dendrite.Start(t)
	t.Run("Login", func(t *testing.T) { testLogin(t, srv) })
	t.Run("Conversation", func(t *testing.T) { testConversation(t, srv) })
	t.Run("RestartResume", func(t *testing.T) { testRestartResume(t, srv) })
	t.Run("CancelMidSync", func(t *testing.T) { testCancelMidSync(t, srv) })
	t.Run("Backfill", func(t *testing.T) { testBackfill(t, srv) })
	t.Run("SendCreatesRoom", func(t *testing.T) { testSendCreatesRoom(t, srv) })
	t.Run("SendAttachments", func(t *testing.T) { testSendAttachments(t, srv) })
	t.Run("TokenExpiry", func(t *testing.T) { testTokenExpiry(t, srv) })
	t.Run("GroupRoom", func(t *testing.T) { testGroupRoom(t, srv) })
	t.Run("TooLarge", func(t *testing.T) { testTooLarge(t, srv) })
	t.Run("UnknownUser", func(t *testing.T) { testUnknownUser(t, srv) })
	t.Run("CustomerLeft", func(t *testing.T) { testCustomerLeft(t, srv) })
}

func testLogin(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shoplogin")
	ctx := context.Background()
	report, err := b.channel().Test(ctx)
	if err != nil {
		t.Fatalf("Test: %v (%q)", err, report)
	}
	if len(report) != 2 || !strings.Contains(report[1], b.user) {
		t.Errorf("report %q", report)
	}

	b.password = "wrong-password"
	ch := b.channel()
	if _, err := ch.Test(ctx); inbox.ErrorCode(err) != inbox.Auth {
		t.Fatalf("Test with a wrong password: %v, want code auth", err)
	}
	if err := ch.Sync(ctx, b.sink, true); inbox.ErrorCode(err) != inbox.Auth {
		t.Fatalf("Sync with a wrong password: %v, want code auth", err)
	}
	if _, err := ch.Send(ctx, inbox.Message{ID: 1, Party: inbox.Identity{Kind: inbox.KindMatrix, Address: "@x:localhost"}, Text: "hi"}); inbox.ErrorCode(err) != inbox.Auth {
		t.Fatalf("Send with a wrong password: %v, want code auth", err)
	}
}

// testConversation: a customer invites the business, which joins; the
// customer writes; the answer reaches the customer's client; an answer
// typed in another client shows as outbound; an image is stored; a second
// customer on the same server is a separate customer.
func testConversation(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopconv")
	anna := newPeer(t, srv, "anna")
	ch := b.channel()
	stop := b.run(ch)

	room := anna.createDM(b.user)
	hello := anna.say(room, "Bonjour, une tarte au citron pour samedi ?")
	b.sink.waitFor(t, "Anna's first message", func() bool { return b.has(anna.user, hello) })

	c, _ := b.customer(anna.user)
	tl := b.timeline(c.ID)
	if len(tl) != 1 || tl[0].Direction != inbox.In || tl[0].Channel != inbox.ChannelMatrix ||
		tl[0].Party != (inbox.Identity{Kind: inbox.KindMatrix, Address: anna.user}) || tl[0].Account != b.account.Name {
		t.Fatalf("timeline %+v", tl)
	}
	if c.Name != "anna" || !c.Has(inbox.Identity{Kind: inbox.KindMatrix, Address: anna.user}) {
		t.Errorf("customer %+v", c)
	}

	// The answer, queued by the Desk and sent as the Outbox would.
	ctx := context.Background()
	q, err := b.desk.Reply(ctx, inbox.Reply{Customer: c.ID, Channel: inbox.ChannelMatrix, Text: "Oui, **bien sûr** !", Author: "Léa"})
	if err != nil {
		t.Fatal(err)
	}
	rcpt, err := ch.Send(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.UpdateMessage(q.ID, func(m *inbox.Message) error {
		m.State, m.ExternalID = rcpt.State, rcpt.ExternalID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := anna.await(func(ev peerEvent) bool { return ev.Sender == b.user && ev.Room == room && ev.Type == "m.room.message" })
	if got.ID != rcpt.ExternalID || got.Content["body"] != "Oui, **bien sûr** !" ||
		got.Content["formatted_body"] != "<p>Oui, <strong>bien sûr</strong> !</p>" {
		t.Errorf("Anna received %+v (receipt %+v)", got, rcpt)
	}

	// Sent again after an uncertain outcome: same event, nothing new.
	again, err := ch.Send(ctx, q)
	if err != nil || again.ExternalID != rcpt.ExternalID {
		t.Errorf("resend: %+v, %v; want event %s", again, err, rcpt.ExternalID)
	}
	if r, ok, err := ch.Delivered(ctx, q); err != nil || !ok || r.ExternalID != rcpt.ExternalID {
		t.Errorf("Delivered = %+v, %v, %v", r, ok, err)
	}

	// An answer typed on the business's phone (another client).
	phone := &peer{tb: t, srv: srv, user: b.user, token: srv.Login(b.user, b.password)}
	fromPhone := phone.say(room, "PS: livraison possible")
	// An image from Anna.
	img := []byte("\x89PNG\r\n\x1a\nnot really a png")
	mxc := anna.upload(img, "image/png", "tarte.png")
	imgEvent := anna.send(room, map[string]any{"msgtype": "m.image", "body": "tarte.png", "url": mxc,
		"info": map[string]any{"mimetype": "image/png", "size": len(img)}})
	thanks := anna.say(room, "Merci !")
	b.sink.waitFor(t, "the phone answer, the image and the thanks", func() bool {
		return b.has(anna.user, thanks) && b.has(anna.user, fromPhone) && b.has(anna.user, imgEvent)
	})
	tl = b.timeline(c.ID)
	var dirs []string
	for _, m := range tl {
		dirs = append(dirs, fmt.Sprintf("%s:%s", m.Direction, m.Text))
		switch m.ExternalID {
		case fromPhone:
			if m.Direction != inbox.Out || m.State != inbox.StateSent || m.Party.Address != anna.user {
				t.Errorf("phone answer %+v", m)
			}
		case imgEvent:
			if len(m.Attachments) != 1 || m.Attachments[0].Name != "tarte.png" || m.Attachments[0].Type != "image/png" {
				t.Fatalf("image message %+v", m)
			}
			rc, err := b.store.Open(m.Attachments[0].Blob)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(data, img) {
				t.Errorf("stored image %q, want %q", data, img)
			}
		}
	}
	if len(tl) != 5 {
		t.Errorf("timeline has %d messages, want 5 (no echo of the sent answer): %q", len(tl), dirs)
	}

	// A second customer on the same homeserver is another customer, and
	// the answer to them goes to their room.
	bob := newPeer(t, srv, "bob")
	bobRoom := bob.createDM(b.user)
	hi := bob.say(bobRoom, "Hello, are you open on Sunday?")
	b.sink.waitFor(t, "Bob's message", func() bool { return b.has(bob.user, hi) })
	cb, _ := b.customer(bob.user)
	if cb.ID == c.ID {
		t.Fatal("Bob landed in Anna's timeline")
	}
	if n := len(b.timeline(c.ID)); n != 5 {
		t.Errorf("Anna's timeline changed to %d messages", n)
	}
	qb, err := b.desk.Reply(ctx, inbox.Reply{Customer: cb.ID, Channel: inbox.ChannelMatrix, Text: "Yes, 8 to 12."})
	if err != nil {
		t.Fatal(err)
	}
	// Sent by another process (the CLI's send): it finds Bob's room in
	// m.direct, recorded when the business joined.
	if _, err := b.channel().Send(ctx, qb); err != nil {
		t.Fatal(err)
	}
	if ev := bob.await(func(ev peerEvent) bool { return ev.Sender == b.user && ev.Type == "m.room.message" }); ev.Room != bobRoom {
		t.Errorf("answer to Bob went to %s, want %s", ev.Room, bobRoom)
	}
	if err := stop(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// testRestartResume: a new channel over the same store starts from the
// saved cursor: nothing already stored comes back, what arrived meanwhile
// does, once.
func testRestartResume(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shoprestart")
	cara := newPeer(t, srv, "cara")
	stop := b.run(b.channel())
	room := cara.createDM(b.user)
	var last string
	for i := range 5 {
		last = cara.say(room, fmt.Sprintf("message %d", i))
	}
	b.sink.waitFor(t, "five messages", func() bool { return b.has(cara.user, last) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Restarted process: once-sync adds nothing.
	ctx := context.Background()
	if err := b.channel().Sync(ctx, b.sink, true); err != nil {
		t.Fatal(err)
	}
	want := []string{"message 0", "message 1", "message 2", "message 3", "message 4"}
	if got := b.texts(cara.user); !slices.Equal(got, want) {
		t.Fatalf("after restart %q, want %q", got, want)
	}

	// Written while Couture was not running.
	cara.say(room, "are you there?")
	stop = b.run(b.channel())
	want = append(want, "are you there?")
	b.sink.waitFor(t, "the message sent while stopped", func() bool { return len(b.texts(cara.user)) >= len(want) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := b.texts(cara.user); !slices.Equal(got, want) {
		t.Fatalf("after the second restart %q, want %q", got, want)
	}
}

// testCancelMidSync: the sync is killed while it holds fetched but
// uncommitted messages (context cancelled inside Commit), and once after
// the commit; the next run delivers everything exactly once.
func testCancelMidSync(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopcancel")
	dan := newPeer(t, srv, "dan")
	ctx := context.Background()
	if err := b.channel().Sync(ctx, b.sink, true); err != nil { // initial cursor
		t.Fatal(err)
	}
	room := dan.createDM(b.user)
	var ids []string
	for i := range 10 {
		ids = append(ids, dan.say(room, fmt.Sprintf("order line %d", i)))
	}

	// Killed before the commit: nothing is stored, the cursor stays.
	killCtx, kill := context.WithCancel(ctx)
	b.sink.mu.Lock()
	b.sink.fail = func(b inbox.Batch) error {
		if len(b.Messages) == 0 {
			return nil // the join's empty commit goes through
		}
		kill()
		return killCtx.Err()
	}
	b.sink.mu.Unlock()
	err := b.channel().Sync(killCtx, b.sink, false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed Sync returned %v", err)
	}
	if got := b.texts(dan.user); len(got) != 0 {
		t.Fatalf("killed before the commit, yet stored %q", got)
	}

	// Killed right after a commit: the commit stands.
	b.sink.mu.Lock()
	b.sink.fail = nil
	b.sink.mu.Unlock()
	stop := b.run(b.channel())
	b.sink.waitFor(t, "all ten lines", func() bool { return b.has(dan.user, ids[len(ids)-1]) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := b.channel().Sync(ctx, b.sink, true); err != nil {
		t.Fatal(err)
	}
	got := b.texts(dan.user)
	if len(got) != 10 {
		t.Fatalf("after resume %d messages, want 10: %q", len(got), got)
	}
	for i, s := range got {
		if s != fmt.Sprintf("order line %d", i) {
			t.Errorf("message %d = %q", i, s)
		}
	}
}

// testBackfill: more messages arrive while Couture is stopped than one
// /sync timeline holds (limit 100): the limited timeline is backfilled
// with /messages, in order, nothing skipped.
func testBackfill(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopbackfill")
	eve := newPeer(t, srv, "eve")
	ctx := context.Background()
	room := eve.createDM(b.user)
	first := eve.say(room, "line 0")
	stop := b.run(b.channel())
	b.sink.waitFor(t, "the first line", func() bool { return b.has(eve.user, first) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	const n = 130
	var last string
	for i := 1; i <= n; i++ {
		last = eve.say(room, fmt.Sprintf("line %d", i))
	}
	// Dendrite's sync stream trails its accepted events a little: keep
	// syncing until the last line is in. The first sync is the limited one.
	stop = b.run(b.channel())
	b.sink.waitFor(t, "the last line", func() bool { return b.has(eve.user, last) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := b.channel().Sync(ctx, b.sink, true); err != nil {
		t.Fatal(err)
	}
	got := b.texts(eve.user)
	if len(got) != n+1 {
		t.Fatalf("%d messages after backfill, want %d: %q", len(got), n+1, got)
	}
	for i, s := range got {
		if s != fmt.Sprintf("line %d", i) {
			t.Fatalf("message %d = %q", i, s)
		}
	}
}

// testSendCreatesRoom: an answer to a Matrix user without a room yet
// creates a direct room and invites them; Delivered finds the message from
// a new login (after a crash) and a resend does not duplicate it.
func testSendCreatesRoom(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopcreate")
	fay := newPeer(t, srv, "fay")
	ctx := context.Background()
	m := inbox.Message{ID: 42, SentAt: time.Now(), Direction: inbox.Out, Channel: inbox.ChannelMatrix,
		Party: inbox.Identity{Kind: inbox.KindMatrix, Address: fay.user}, Text: "Your order is ready."}
	ch := b.channel()
	if _, ok, err := ch.Delivered(ctx, m); err != nil || ok {
		t.Fatalf("Delivered before sending = %v, %v", ok, err)
	}
	rcpt, err := ch.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	got := fay.await(func(ev peerEvent) bool { return ev.Sender == b.user && ev.Type == "m.room.message" })
	if got.ID != rcpt.ExternalID || got.Content["body"] != "Your order is ready." {
		t.Errorf("Fay got %+v", got)
	}

	// A restarted process: new login, empty caches.
	ch2 := b.channel()
	r, ok, err := ch2.Delivered(ctx, m)
	if err != nil || !ok || r.ExternalID != rcpt.ExternalID {
		t.Fatalf("Delivered after restart = %+v, %v, %v", r, ok, err)
	}
	// A second message reuses the room (found through m.direct).
	m2 := m
	m2.ID, m2.Text = 43, "See you soon."
	if _, err := ch2.Send(ctx, m2); err != nil {
		t.Fatal(err)
	}
	if ev := fay.await(func(ev peerEvent) bool { return ev.Sender == b.user && ev.Type == "m.room.message" }); ev.Room != got.Room {
		t.Errorf("second answer went to room %s, want %s", ev.Room, got.Room)
	}
	// Fay answers; the business syncs the room it created.
	reply := fay.say(got.Room, "Thanks!")
	stop := b.run(ch2)
	b.sink.waitFor(t, "Fay's reply", func() bool { return b.has(fay.user, reply) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	c, _ := b.customer(fay.user)
	var texts []string
	for _, m := range b.timeline(c.ID) {
		texts = append(texts, string(m.Direction)+":"+m.Text)
	}
	// The two answers were sent outside the store (no outbox here), so
	// their echoes are skipped: only Fay's message is on the timeline.
	if !slices.Equal(texts, []string{"in:Thanks!"}) {
		t.Errorf("timeline %q", texts)
	}
}

// testTokenExpiry: the access token is revoked behind the channel's back;
// the next request logs in again with the same device and goes on.
func testTokenExpiry(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shoptoken")
	gus := newPeer(t, srv, "gus")
	ctx := context.Background()
	ch := b.channel()
	if _, err := ch.Test(ctx); err != nil {
		t.Fatal(err)
	}
	old := ch.currentToken()
	(&peer{tb: t, srv: srv, user: b.user, token: old}).call("POST", "/_matrix/client/v3/logout", nil, map[string]any{}, nil)

	room := gus.createDM(b.user)
	hi := gus.say(room, "hi")
	stop := b.run(ch)
	b.sink.waitFor(t, "the message after re-login", func() bool { return b.has(gus.user, hi) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if tok := ch.currentToken(); tok == old || tok == "" {
		t.Error("no new token after the old one was revoked")
	}
	var devices struct {
		Devices []struct {
			DeviceID string `json:"device_id"`
		} `json:"devices"`
	}
	(&peer{tb: t, srv: srv, user: b.user, token: ch.currentToken()}).call("GET", "/_matrix/client/v3/devices", nil, nil, &devices)
	// create-account's registration left its own device; Couture's logins
	// (two here) must have made exactly one.
	var ours []string
	for _, d := range devices.Devices {
		if strings.HasPrefix(d.DeviceID, "COUTURE") {
			ours = append(ours, d.DeviceID)
		}
	}
	if !slices.Equal(ours, []string{DeviceID(b.account.Name)}) {
		t.Errorf("Couture devices %q, want only %s", ours, DeviceID(b.account.Name))
	}
}

// testGroupRoom: a room with more than one other member is not a
// conversation with a customer: its messages go to Other.
func testGroupRoom(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopgroup")
	hal := newPeer(t, srv, "hal")
	ivy := newPeer(t, srv, "ivy")
	room := hal.createDM(ivy.user, b.user)
	ivy.join(room)
	msg := hal.say(room, "welcome to the neighbourhood group")
	stop := b.run(b.channel())
	b.sink.waitFor(t, "the group message", func() bool {
		p, err := b.store.Timeline(inbox.OtherID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Messages {
			if m.ExternalID == msg {
				return true
			}
		}
		return false
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.customer(hal.user); ok {
		t.Error("a group message created a customer")
	}
}

// testTooLarge: an answer beyond the 65,536-byte event limit is refused
// before anything is sent.
func testTooLarge(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shoplarge")
	jo := newPeer(t, srv, "jo")
	m := inbox.Message{ID: 1, SentAt: time.Now(), Party: inbox.Identity{Kind: inbox.KindMatrix, Address: jo.user},
		Text: strings.Repeat("é", 40000)}
	if _, err := b.channel().Send(context.Background(), m); inbox.ErrorCode(err) != inbox.Invalid {
		t.Fatalf("Send of 80 kB: %v, want code invalid", err)
	}
	// Just under the limit passes.
	m.Text = strings.Repeat("a", MaxEventBytes-envelopeBytes-200)
	if _, err := b.channel().Send(context.Background(), m); err != nil {
		t.Fatalf("Send of %d bytes: %v", len(m.Text), err)
	}
}

// testUnknownUser: an answer to a user id that does not exist fails for
// good (inbox.Invalid) instead of creating a room nobody reads.
func testUnknownUser(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopunknown")
	m := inbox.Message{ID: 1, SentAt: time.Now(), Text: "hello",
		Party: inbox.Identity{Kind: inbox.KindMatrix, Address: "@nobody:localhost"}}
	if _, err := b.channel().Send(context.Background(), m); inbox.ErrorCode(err) != inbox.Invalid {
		t.Fatalf("Send to a user who does not exist: %v, want code invalid", err)
	}
}

// testCustomerLeft: the customer leaves the direct room; their history stays
// theirs, and the next answer opens a new room and invites them.
func testCustomerLeft(t *testing.T, srv *dendrite.Server) {
	b := newBusiness(t, srv, "shopleft")
	lou := newPeer(t, srv, "lou")
	ch := b.channel()
	stop := b.run(ch)
	room := lou.createDM(b.user)
	bye := lou.say(room, "bye for now")
	b.sink.waitFor(t, "Lou's message", func() bool { return b.has(lou.user, bye) })
	lou.call("POST", "/_matrix/client/v3/rooms/"+room+"/leave", nil, map[string]any{}, nil)
	// A marker from another customer shows the sync has gone past the leave.
	mo := newPeer(t, srv, "mo")
	mark := mo.say(mo.createDM(b.user), "marker")
	b.sink.waitFor(t, "the marker", func() bool { return b.has(mo.user, mark) })

	c, _ := b.customer(lou.user)
	m := inbox.Message{ID: 9, SentAt: time.Now(), Text: "Your cake is ready", Party: inbox.Identity{Kind: inbox.KindMatrix, Address: lou.user}}
	if _, err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got := lou.await(func(ev peerEvent) bool { return ev.Sender == b.user && ev.Type == "m.room.message" })
	if got.Room == room || got.Content["body"] != "Your cake is ready" {
		t.Errorf("answer after leaving: %+v (old room %s)", got, room)
	}
	if got := b.texts(lou.user); !slices.Equal(got, []string{"bye for now"}) || c.ID == 0 {
		t.Errorf("Lou's timeline %q", got)
	}
}

// TestRateLimit: Dendrite's 429 M_LIMIT_EXCEEDED becomes a
// *channels.RetryAfter with the server's retry_after_ms.
func TestRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Dendrite homeserver")
	}
	srv := dendrite.StartWith(t, &dendrite.Options{RateLimit: 1, Cooloff: 2 * time.Second})
	b := newBusiness(t, srv, "shoprate")
	kim := newPeer(t, srv, "kim")
	ch := b.channel()
	ctx := context.Background()
	var ra *channels.RetryAfter
	for i := 0; i < 50 && ra == nil; i++ {
		_, err := ch.Send(ctx, inbox.Message{ID: inbox.MessageID(i + 1), SentAt: time.Now(), Text: "x",
			Party: inbox.Identity{Kind: inbox.KindMatrix, Address: kim.user}})
		if err != nil && !errors.As(err, &ra) {
			t.Fatalf("Send: %v", err)
		}
	}
	if ra == nil {
		t.Fatal("no 429 after 50 quick sends")
	}
	if ra.Wait <= 0 || ra.Wait > 2*time.Second || inbox.ErrorCode(ra) != inbox.Unavailable {
		t.Errorf("RetryAfter %v (%v)", ra.Wait, ra)
	}
}
