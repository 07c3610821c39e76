package telegram

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/telegram"
)

func TestSyncReceivesEachKind(t *testing.T) {
	e := newEnv(t)
	jpeg := bytes.Repeat([]byte("JPEG-full-size "), 4000)
	pdf := []byte("%PDF-1.7 order 1234")

	text := e.fake.SendText(anna, "Bonjour, my order #1234 has not arrived")
	photo := e.fake.SendPhoto(anna, "the parcel as it came", jpeg)
	doc := e.fake.SendDocument(anna, "../invoice-1234.pdf", "application/pdf", pdf)
	big := e.fake.SendLargeDocument(anna, "video-unboxing.mov", 25<<20)
	loc := e.fake.Inject(fake.Update{Message: &fake.Message{From: &anna, Chat: fake.PrivateChat(anna),
		Location: &fake.Location{Latitude: 48.8566, Longitude: 2.3522}}})
	group := e.fake.Inject(fake.Update{Message: &fake.Message{From: &bruno,
		Chat: fake.Chat{ID: -1001234567890, Type: "supergroup", Title: "Couture fans"}, Text: "hello group"}})
	botUser := fake.User{ID: 6000000001, IsBot: true, FirstName: "Other bot"}
	fromBot := e.fake.SendText(botUser, "automated hello")
	edited := e.fake.Inject(fake.Update{EditedMessage: &fake.Message{From: &anna, Chat: fake.PrivateChat(anna), Text: "edited"}})

	e.syncOnce()

	if v := e.fake.Violations(); len(v) > 0 {
		t.Fatalf("the client broke the Bot API shapes: %v", v)
	}
	calls := e.fake.Calls()
	if calls[0].Method != "deleteWebhook" {
		t.Errorf("first call = %s, want deleteWebhook", calls[0].Method)
	}
	if n := e.fake.Pending(); n != 0 {
		t.Errorf("%d updates still pending after a catch-up sync", n)
	}
	_ = edited

	cs := e.Customers()
	if len(cs) != 1 {
		t.Fatalf("customers = %+v, want only Anna (groups and bots go to Other)", cs)
	}
	c := cs[0]
	if c.Name != "Anna Moreau" {
		t.Errorf("name = %q, want Anna Moreau", c.Name)
	}
	wantID := inbox.Identity{Kind: inbox.KindTelegram, Address: "5512345678"}
	if len(c.Identities) != 1 || c.Identities[0] != wantID {
		t.Errorf("identities = %v, want [%v]", c.Identities, wantID)
	}
	all := e.telegramMessages()
	if len(all) != 7 {
		t.Fatalf("stored %d Telegram messages, want 7: %v", len(all), keys(all))
	}

	tests := []struct {
		name    string
		ext     string
		text    string
		files   []string // attachment names
		warning string
		other   bool
	}{
		{name: "text", ext: extID(text), text: "Bonjour, my order #1234 has not arrived"},
		{name: "photo with caption", ext: extID(photo), text: "the parcel as it came", files: []string{"photo.jpg"}},
		{name: "document", ext: extID(doc), files: []string{"invoice-1234.pdf"}},
		{name: "document over 20 MB", ext: extID(big), warning: "larger than the 20 MB"},
		{name: "location", ext: extID(loc), text: "Location: 48.856600, 2.352200"},
		{name: "group", ext: extID(group), text: "hello group", other: true},
		{name: "bot", ext: extID(fromBot), text: "automated hello", other: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := all[tc.ext]
			if !ok {
				t.Fatalf("message %s not stored", tc.ext)
			}
			if m.Text != tc.text {
				t.Errorf("text = %q, want %q", m.Text, tc.text)
			}
			if (m.CustomerID == inbox.OtherID) != tc.other {
				t.Errorf("customer = %d, want Other: %v", m.CustomerID, tc.other)
			}
			if m.Direction != inbox.In || m.Channel != inbox.ChannelTelegram || m.Account != testAccount {
				t.Errorf("direction/channel/account = %s/%s/%s", m.Direction, m.Channel, m.Account)
			}
			if !tc.other && (m.Party != wantID || m.FromName != "Anna Moreau" || m.To != "@couture_shop_bot") {
				t.Errorf("party %v from %q to %q", m.Party, m.FromName, m.To)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.files, ",") {
				t.Errorf("attachments = %v, want %v", names, tc.files)
			}
			if !strings.Contains(m.Warning, tc.warning) || (tc.warning == "" && m.Warning != "") {
				t.Errorf("warning = %q, want %q", m.Warning, tc.warning)
			}
		})
	}

	// The largest photo size is the one stored, with its bytes.
	p := all[extID(photo)]
	if got := e.Blob(p.Attachments[0].Blob); !bytes.Equal(got, jpeg) {
		t.Errorf("photo blob has %d bytes, want the largest size (%d bytes)", len(got), len(jpeg))
	}
	if p.Attachments[0].Type != "image/jpeg" || p.Attachments[0].Size != int64(len(jpeg)) {
		t.Errorf("photo attachment = %+v", p.Attachments[0])
	}
	d := all[extID(doc)]
	if got := e.Blob(d.Attachments[0].Blob); !bytes.Equal(got, pdf) || d.Attachments[0].Type != "application/pdf" {
		t.Errorf("document = %+v with %q", d.Attachments[0], got)
	}
	// The 25 MB document was never asked for.
	for _, call := range calls {
		if call.Method == "getFile" && call.Params["file_id"] == big.Message.Document.FileID {
			t.Errorf("getFile called for a file over 20 MB")
		}
	}
}

func TestContactShareLinksTelegramToSMSCustomer(t *testing.T) {
	e := newEnv(t)
	// Anna first wrote by SMS.
	sms := inbox.Incoming{Name: "+33 6 12 34 56 78", Message: inbox.Message{
		Channel: inbox.ChannelSMS, Account: "shop-twilio", Direction: inbox.In,
		Party:      inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"},
		ExternalID: "SM00000000000000000000000000000001", Text: "Is my order shipped?",
		SentAt: time.Now().Add(-time.Hour),
	}}
	if _, err := e.Desk.Ingest(context.Background(), inbox.Batch{Account: "shop-twilio", Messages: []inbox.Incoming{sms}}); err != nil {
		t.Fatal(err)
	}
	// Then on Telegram: a message, her own contact card, and a friend's card.
	e.fake.SendText(anna, "Hi, it's Anna from the SMS")
	e.fake.ShareContact(anna, fake.Contact{PhoneNumber: "33612345678", FirstName: "Anna", UserID: anna.ID})
	e.fake.ShareContact(anna, fake.Contact{PhoneNumber: "+33 6 98 76 54 32", FirstName: "Paul", UserID: 5599999999})
	e.syncOnce()

	cs := e.Customers()
	if len(cs) != 1 {
		t.Fatalf("customers = %d (%+v), want ONE: the contact card links Telegram to the SMS customer", len(cs), cs)
	}
	c := cs[0]
	want := map[inbox.Identity]bool{
		{Kind: inbox.KindPhone, Address: "+33612345678"}:  true,
		{Kind: inbox.KindTelegram, Address: "5512345678"}: true,
	}
	if len(c.Identities) != len(want) {
		t.Errorf("identities = %v, want %v (a friend's card links nothing)", c.Identities, want)
	}
	for _, id := range c.Identities {
		if !want[id] {
			t.Errorf("unexpected identity %v", id)
		}
	}
	tl := e.Timeline(c.ID)
	var texts []string
	for _, m := range tl {
		if m.Direction == inbox.In {
			texts = append(texts, string(m.Channel)+": "+m.Text)
		}
	}
	if len(texts) != 4 {
		t.Errorf("timeline = %q, want the SMS and the three Telegram messages", texts)
	}
}

func TestRestartResumesFromSavedOffset(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.fake.SendText(anna, "first run "+itoa(int64(i)))
	}
	e.syncOnce()
	saved, err := e.Sink.Cursor(CursorKey)
	if err != nil || len(saved) == 0 {
		t.Fatalf("cursor after sync = %q, %v", saved, err)
	}

	// The app restarts: a new Channel, the same store.
	for i := range 3 {
		e.fake.SendText(bruno, "second run "+itoa(int64(i)))
	}
	e.ch = e.channel()
	e.syncOnce()
	var firstPoll *fake.Call
	calls := e.fake.Calls()
	seen := 0
	for i := range calls {
		if calls[i].Method == "getUpdates" {
			seen++
			// the first run made 2 getUpdates calls (batch, then empty)
			if seen == 3 {
				firstPoll = &calls[i]
				break
			}
		}
	}
	if firstPoll == nil || firstPoll.Params["offset"] != string(saved) {
		t.Errorf("restart polled with %+v, want offset %s", firstPoll, saved)
	}
	if got := len(e.telegramMessages()); got != 8 {
		t.Errorf("stored %d messages, want 8 without duplicates", got)
	}

	// A third run with nothing new adds nothing.
	e.ch = e.channel()
	e.syncOnce()
	if got := len(e.telegramMessages()); got != 8 {
		t.Errorf("stored %d messages after an empty run, want 8", got)
	}
}

func TestSecondPollerIsAConflict(t *testing.T) {
	e := newEnv(t)
	e.opts.PollTimeout = 20 * time.Second
	first := e.channel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- first.Sync(ctx, e.Sink, false) }()
	if err := e.fake.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}

	// Another program starts polling the same bot: Telegram ends the older
	// long poll with 409.
	other := e.channel()
	octx, ocancel := context.WithCancel(ctx)
	oerr := make(chan error, 1)
	go func() { oerr <- other.Sync(octx, &channeltest.Sink{Desk: e.Desk, Account: "other"}, false) }()

	err := <-errc
	if inbox.ErrorCode(err) != inbox.Conflict {
		t.Fatalf("first poller: %v (code %q), want a conflict", err, inbox.ErrorCode(err))
	}
	if inbox.Explain(err) != ConflictMessage {
		t.Errorf("message = %q, want %q", inbox.Explain(err), ConflictMessage)
	}
	if e.fake.Conflicts() != 1 {
		t.Errorf("fake saw %d conflicts, want 1", e.fake.Conflicts())
	}
	ocancel()
	if err := <-oerr; err != nil {
		t.Errorf("second poller after cancel: %v, want nil", err)
	}
}

func TestWebhookSetElsewhereIsRemovedFirst(t *testing.T) {
	e := newEnv(t)
	e.fake.SetWebhook("https://old-server.example/hook")
	e.fake.SendText(anna, "hello")
	e.syncOnce()
	if n := len(e.telegramMessages()); n != 1 {
		t.Errorf("stored %d messages, want 1", n)
	}
}

func TestSyncErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fake.Server)
		check func(t *testing.T, err error)
	}{
		{
			name:  "401 revoked token",
			setup: func(f *fake.Server) { f.SetToken("123456789:another-token") },
			check: func(t *testing.T, err error) {
				if inbox.ErrorCode(err) != inbox.Auth {
					t.Errorf("code = %q, want auth: %v", inbox.ErrorCode(err), err)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("the error shows the token: %v", err)
				}
			},
		},
		{
			name:  "429 retry_after",
			setup: func(f *fake.Server) { f.RateLimitNext("getUpdates", 7) },
			check: func(t *testing.T, err error) {
				var ra *channels.RetryAfter
				if !errors.As(err, &ra) || ra.Wait != 7*time.Second {
					t.Errorf("err = %v, want RetryAfter 7s", err)
				}
			},
		},
		{
			name:  "502 on getUpdates",
			setup: func(f *fake.Server) { f.FailMethod("getUpdates", 502, "<html>Bad Gateway</html>") },
			check: func(t *testing.T, err error) {
				var ra *channels.RetryAfter
				if inbox.ErrorCode(err) != inbox.Unavailable || errors.As(err, &ra) {
					t.Errorf("err = %v (code %q), want unavailable", err, inbox.ErrorCode(err))
				}
			},
		},
		{
			name:  "500 with a Bot API body",
			setup: func(f *fake.Server) { f.FailNext(500, "") },
			check: func(t *testing.T, err error) {
				if inbox.ErrorCode(err) != inbox.Unavailable {
					t.Errorf("err = %v, want unavailable", err)
				}
			},
		},
		{
			name:  "500 on getFile keeps the batch for later",
			setup: func(f *fake.Server) { f.FailMethod("getFile", 500, "") },
			check: func(t *testing.T, err error) {
				if inbox.ErrorCode(err) != inbox.Unavailable {
					t.Errorf("err = %v, want unavailable", err)
				}
			},
		},
		{
			name:  "slow server",
			setup: func(f *fake.Server) { f.SetDelay(3 * time.Second) },
			check: func(t *testing.T, err error) {
				if inbox.ErrorCode(err) != inbox.Unavailable {
					t.Errorf("err = %v, want unavailable", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.opts.RequestTimeout = 300 * time.Millisecond
			e.opts.PollTimeout = time.Second
			e.ch = e.channel()
			want := map[string]int{
				extID(e.fake.SendText(anna, "before the failure")):      0,
				extID(e.fake.SendPhoto(anna, "", []byte("jpeg bytes"))): 1,
			}
			tc.setup(e.fake)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := e.ch.Sync(ctx, e.Sink, true)
			if err == nil {
				t.Fatal("Sync succeeded, want an error")
			}
			tc.check(t, err)
			if n := len(e.telegramMessages()); n != 0 && n != 2 {
				t.Errorf("a failed sync stored %d of 2 messages", n)
			}

			// Once the server is well again, nothing is lost or doubled.
			e.fake.SetDelay(0)
			e.fake.SetToken(testToken)
			e.ch = e.channel()
			e.syncOnce()
			channeltest.HoldsOnce(t, e.telegramMessages(), want)
		})
	}
}

func TestLongPollDeliversPromptly(t *testing.T) {
	e := newEnv(t)
	e.opts.PollTimeout = 20 * time.Second
	e.ch = e.channel()
	sub := e.Desk.Subscribe(16)
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stop := e.Background(ctx, e.ch)
	if err := e.fake.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	e.fake.SendText(anna, "are you there?")
	select {
	case <-sub.C:
	case <-ctx.Done():
		t.Fatal("the message did not reach the store during the long poll")
	}
	if err := stop(); err != nil {
		t.Errorf("Sync after cancel = %v, want nil", err)
	}
	if n := len(e.telegramMessages()); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
}

func TestNewChecksTheAccount(t *testing.T) {
	tests := []struct {
		name  string
		a     channels.Account
		token string
	}{
		{"wrong kind", channels.Account{Name: "x", Kind: channels.KindEmail}, testToken},
		{"no token", channels.Account{Name: "x", Kind: channels.KindTelegram}, " "},
		{"token with a slash", channels.Account{Name: "x", Kind: channels.KindTelegram}, "12/34"},
		{"http off loopback", channels.Account{Name: "x", Kind: channels.KindTelegram,
			Settings: map[string]string{channels.SetAPIURL: "http://api.example.com"}}, testToken},
		{"not a URL", channels.Account{Name: "x", Kind: channels.KindTelegram,
			Settings: map[string]string{channels.SetAPIURL: "ftp://x"}}, testToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.a, tc.token, channels.Deps{}); inbox.ErrorCode(err) != inbox.Invalid {
				t.Errorf("New = %v, want invalid", err)
			}
		})
	}
}

func TestTestReportsTokenAndWebhook(t *testing.T) {
	e := newEnv(t)
	e.fake.SetWebhook("https://old-server.example/hook")
	lines, err := e.ch.Test(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "@couture_shop_bot") || !strings.Contains(lines[1], "webhook is set") {
		t.Errorf("report = %q", lines)
	}
	e.fake.SetToken("123:revoked")
	if _, err := e.ch.Test(context.Background()); inbox.ErrorCode(err) != inbox.Auth {
		t.Errorf("Test with a revoked token = %v, want auth", err)
	}
}

func keys(m map[string]inbox.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
