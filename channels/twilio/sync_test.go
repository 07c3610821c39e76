package twilio

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
	fake "github.com/couture/couture/internal/fakes/twilio"
)

func TestSMSAndWhatsAppFromOneNumberAreOneCustomer(t *testing.T) {
	e := newEnv(t)
	sms := e.fake.AddInbound(anna, bizSMS, "Hello, is my order shipped?")
	wa := e.fake.AddInbound("whatsapp:"+anna, "whatsapp:"+bizWA, "Writing on WhatsApp now")
	other := e.fake.AddInbound(bruno, bizSMS, "Bruno here")
	e.syncOnce()
	e.noViolations()

	cs := e.Customers()
	if len(cs) != 2 {
		t.Fatalf("customers = %+v, want Anna and Bruno", cs)
	}
	all := e.twilioMessages()
	if len(all) != 3 {
		t.Fatalf("stored %d messages, want 3", len(all))
	}
	phoneID := inbox.Identity{Kind: inbox.KindPhone, Address: anna}
	tests := []struct {
		sid     string
		channel inbox.ChannelKind
		text    string
		party   inbox.Identity
	}{
		{sms.SID, inbox.ChannelSMS, "Hello, is my order shipped?", phoneID},
		{wa.SID, inbox.ChannelWhatsApp, "Writing on WhatsApp now", phoneID},
		{other.SID, inbox.ChannelSMS, "Bruno here", inbox.Identity{Kind: inbox.KindPhone, Address: bruno}},
	}
	for _, tc := range tests {
		m := all[tc.sid]
		if m.Channel != tc.channel || m.Text != tc.text || m.Party != tc.party || m.Direction != inbox.In || m.Account != testAccount {
			t.Errorf("%s = %+v, want %s %q from %v", tc.sid, m, tc.channel, tc.text, tc.party)
		}
		if m.SentAt.IsZero() || time.Since(m.SentAt) > time.Minute {
			t.Errorf("%s sent at %v", tc.sid, m.SentAt)
		}
	}
	if all[sms.SID].CustomerID != all[wa.SID].CustomerID {
		t.Errorf("SMS and WhatsApp from %s landed on customers %d and %d: want ONE", anna,
			all[sms.SID].CustomerID, all[wa.SID].CustomerID)
	}
	c, _ := e.Desk.Customer(all[wa.SID].CustomerID)
	if len(c.Identities) != 1 || c.Identities[0] != phoneID || c.LastChannel != inbox.ChannelWhatsApp {
		t.Errorf("customer = %+v, want one phone identity, last channel whatsapp", c)
	}
}

func TestPagingOverSeveralPages(t *testing.T) {
	e := newEnv(t)
	e.fake.SetMaxPageSize(3)
	want := map[string]bool{}
	for i := range 20 {
		from, to := anna, bizSMS
		if i%2 == 1 {
			from, to = "whatsapp:"+bruno, "whatsapp:"+bizWA
		}
		m := e.fake.AddInbound(from, to, "message "+string(rune('a'+i)))
		want[m.SID] = true
	}
	e.syncOnce()
	e.noViolations()
	all := e.twilioMessages()
	for sid := range want {
		if _, ok := all[sid]; !ok {
			t.Errorf("message %s lost across pages", sid)
		}
	}
	pages, tokens := 0, 0
	for _, r := range e.fake.Requests() {
		// The backfill lists each of the 30 past days (DateSent=); the
		// messages are today's (DateSent>=yesterday).
		if r.Operation == "ListMessage" && r.Query.Has("DateSent>") {
			pages++
			if r.Query.Get("PageToken") != "" {
				tokens++
			}
		}
	}
	// 10 SMS and 10 WhatsApp messages, 3 a page: 4 pages each.
	if pages != 8 || tokens != 6 {
		t.Errorf("%d list requests (%d following next_page_uri), want 8 (6)", pages, tokens)
	}
}

// TestPollsBetweenSweepsReadTheNewestPages checks that a continuous sync,
// after its first full sweep, pages only until the messages it has (less
// the overlap): new messages cost a page or two, not the whole day again.
func TestPollsBetweenSweepsReadTheNewestPages(t *testing.T) {
	e := newEnv(t)
	e.fake.SetMaxPageSize(3)
	start := time.Now().Add(-5 * time.Hour)
	for i := range 20 { // every 10 minutes, the newest 1h50 ago
		e.fake.AddInboundAt(start.Add(time.Duration(i)*10*time.Minute), anna, bizSMS, "earlier today")
	}
	sub := e.Desk.Subscribe(64)
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stop := e.Background(ctx, e.ch)
	wait := func(n int) {
		for len(e.twilioMessages()) < n {
			select {
			case <-sub.C:
			case <-ctx.Done():
				t.Fatalf("waiting for %d messages: %d stored", n, len(e.twilioMessages()))
			}
		}
	}
	wait(20)
	before := len(e.fake.Requests())
	newest := []string{
		e.fake.AddInbound(anna, bizSMS, "new 1").SID,
		e.fake.AddInbound("whatsapp:"+anna, "whatsapp:"+bizWA, "new 2").SID,
	}
	wait(22)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// The newest page holds the new message and the two newest old ones;
	// the second reaches past the overlap: paging stops there.
	for _, r := range e.fake.Requests()[before:] {
		if r.Operation == "ListMessage" && r.Query.Get("Page") > "1" {
			t.Errorf("an incremental poll read an old page: %v", r.Query)
		}
	}
	all := e.twilioMessages()
	for _, sid := range newest {
		if _, ok := all[sid]; !ok {
			t.Errorf("new message %s not stored", sid)
		}
	}
	e.noViolations()
}

func TestMediaAreStored(t *testing.T) {
	e := newEnv(t)
	jpeg := bytes.Repeat([]byte{0xff, 0xd8, 'j', 'p', 'g'}, 2000)
	pdf := []byte("%PDF-1.4 delivery note")
	m := e.fake.AddInbound("whatsapp:"+anna, "whatsapp:"+bizWA, "the parcel and the note",
		fake.Media{ContentType: "image/jpeg", Data: jpeg}, fake.Media{ContentType: "application/pdf", Data: pdf})
	photoOnly := e.fake.AddInbound(anna, bizSMS, "", fake.Media{ContentType: "image/png", Data: []byte("png")})
	e.syncOnce()
	e.noViolations()
	all := e.twilioMessages()
	got := all[m.SID]
	if len(got.Attachments) != 2 {
		t.Fatalf("attachments = %+v, want 2", got.Attachments)
	}
	for i, want := range []struct {
		typ, ext string
		data     []byte
	}{{"image/jpeg", ".jpg", jpeg}, {"application/pdf", ".pdf", pdf}} {
		a := got.Attachments[i]
		if a.Type != want.typ || !strings.HasPrefix(a.Name, "ME") || !strings.HasSuffix(a.Name, want.ext) || a.Size != int64(len(want.data)) {
			t.Errorf("attachment %d = %+v", i, a)
		}
		if !bytes.Equal(e.Blob(a.Blob), want.data) {
			t.Errorf("attachment %d bytes differ", i)
		}
	}
	if p := all[photoOnly.SID]; len(p.Attachments) != 1 || p.Text != "" {
		t.Errorf("MMS without text = %+v", p)
	}
	// Polling again downloads nothing twice.
	downloads := e.fake.MediaDownloads()
	e.ch = e.channel()
	e.syncOnce()
	if e.fake.MediaDownloads() != downloads {
		t.Errorf("media downloaded again on the next poll: %d → %d", downloads, e.fake.MediaDownloads())
	}
}

func TestMediaOverTheLimitIsAWarning(t *testing.T) {
	e := newEnv(t)
	big := make([]byte, MaxMedia+1)
	m := e.fake.AddInbound(anna, bizSMS, "a long video", fake.Media{ContentType: "video/mp4", Data: big})
	e.syncOnce()
	got := e.twilioMessages()[m.SID]
	if len(got.Attachments) != 0 || !strings.Contains(got.Warning, "larger than the 25 MB") {
		t.Errorf("message = %+v, want a warning and no attachment", got)
	}
}

func TestRestartNeitherLosesNorDoubles(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.fake.AddInbound(anna, bizSMS, "first run")
	}
	e.syncOnce()
	for range 3 {
		e.fake.AddInbound("whatsapp:"+anna, "whatsapp:"+bizWA, "second run")
	}
	e.ch = e.channel()
	e.syncOnce()
	e.ch = e.channel()
	e.syncOnce()
	if n := len(e.twilioMessages()); n != 8 {
		t.Errorf("stored %d messages, want 8", n)
	}
	if n := len(e.Customers()); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
}

func TestBackfillAndDaysOffline(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e.fake.SetClock(clock)
	e.opts.Now = clock
	e.opts.Backfill = 30
	e.ch = e.channel()
	tooOld := e.fake.AddInboundAt(now.AddDate(0, 0, -40), anna, bizSMS, "40 days ago")
	var want []string
	for _, d := range []int{-29, -5, -3, -1, 0} {
		want = append(want, e.fake.AddInboundAt(now.AddDate(0, 0, d), anna, bizSMS, "day").SID)
	}
	e.syncOnce()
	e.noViolations()
	all := e.twilioMessages()
	if _, ok := all[tooOld.SID]; ok {
		t.Error("a message older than the backfill period was read")
	}
	for _, sid := range want {
		if _, ok := all[sid]; !ok {
			t.Errorf("message %s of the backfill period lost", sid)
		}
	}
	raw, _ := e.Sink.Cursor(CursorKey)
	if !strings.Contains(string(raw), `"from":"2026-03-09"`) {
		t.Errorf("cursor after the backfill = %s, want from yesterday", raw)
	}

	// Four days offline: messages arrived every day meanwhile.
	for d := 1; d <= 4; d++ {
		want = append(want, e.fake.AddInboundAt(now.AddDate(0, 0, d).Add(-time.Hour), bruno, bizSMS, "while offline").SID)
	}
	now = now.AddDate(0, 0, 4)
	e.ch = e.channel()
	e.syncOnce()
	e.noViolations()
	all = e.twilioMessages()
	for _, sid := range want {
		if _, ok := all[sid]; !ok {
			t.Errorf("message %s lost while offline", sid)
		}
	}
	if len(all) != len(want) {
		t.Errorf("stored %d, want %d", len(all), len(want))
	}
	raw, _ = e.Sink.Cursor(CursorKey)
	if !strings.Contains(string(raw), `"from":"2026-03-13"`) {
		t.Errorf("cursor = %s, want from 2026-03-13", raw)
	}
}

func TestSyncErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fake.Server)
		code  inbox.Code
		wait  time.Duration // RetryAfter wanted, 0 for none
	}{
		{name: "401 rotated token", setup: func(f *fake.Server) { f.SetAuthToken("another-token") }, code: inbox.Auth},
		{name: "429 Retry-After", setup: func(f *fake.Server) { f.RateLimitNext("ListMessage", 4) }, code: inbox.Unavailable, wait: 4 * time.Second},
		{name: "20429 on the media list", setup: func(f *fake.Server) { f.RateLimitNext("ListMedia", 2) }, code: inbox.Unavailable, wait: 2 * time.Second},
		{name: "500 on the list", setup: func(f *fake.Server) { f.FailOperation("ListMessage", 500, "") }, code: inbox.Unavailable},
		{name: "503 on the media list", setup: func(f *fake.Server) { f.FailOperation("ListMedia", 503, "") }, code: inbox.Unavailable},
		{name: "HTML 502 from a proxy", setup: func(f *fake.Server) { f.FailNext(502, "<html>bad gateway</html>") }, code: inbox.Unavailable},
		{name: "slow", setup: func(f *fake.Server) { f.SetDelay(2 * time.Second) }, code: inbox.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.opts.RequestTimeout = 300 * time.Millisecond
			e.ch = e.channel()
			want := map[string]int{
				e.fake.AddInbound(anna, bizSMS, "text").SID:                                                               0,
				e.fake.AddInbound(anna, bizSMS, "photo", fake.Media{ContentType: "image/jpeg", Data: []byte("jpeg")}).SID: 1,
			}
			tc.setup(e.fake)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := e.ch.Sync(ctx, e.Sink, true)
			if inbox.ErrorCode(err) != tc.code {
				t.Fatalf("Sync = %v (code %q), want %s", err, inbox.ErrorCode(err), tc.code)
			}
			var ra *channels.RetryAfter
			if got := errors.As(err, &ra); got != (tc.wait > 0) || got && ra.Wait != tc.wait {
				t.Errorf("RetryAfter = %v, want %v", ra, tc.wait)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Error("the error shows the auth token")
			}
			e.fake.SetDelay(0)
			e.fake.SetAuthToken(testToken)
			e.ch = e.channel()
			e.syncOnce()
			channeltest.HoldsOnce(t, e.twilioMessages(), want)
			e.noViolations()
		})
	}
}

func TestShortCodeSenderGoesToOther(t *testing.T) {
	e := newEnv(t)
	m := e.fake.AddInbound("TWVERIFY", bizSMS, "Your code is 123456")
	e.syncOnce()
	got := e.twilioMessages()[m.SID]
	if got.CustomerID != inbox.OtherID || !strings.Contains(got.Warning, "not a phone number") {
		t.Errorf("message = %+v, want it in Other with a warning", got)
	}
	if n := len(e.Customers()); n != 0 {
		t.Errorf("%d customers, want none", n)
	}
}

func TestContinuousPolling(t *testing.T) {
	e := newEnv(t)
	sub := e.Desk.Subscribe(16)
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stop := e.Background(ctx, e.ch)
	e.fake.AddInbound(anna, bizSMS, "are you there?")
	select {
	case <-sub.C:
	case <-ctx.Done():
		t.Fatal("the message did not reach the store")
	}
	if err := stop(); err != nil {
		t.Errorf("Sync after cancel = %v", err)
	}
}

func TestNewChecksTheAccount(t *testing.T) {
	good := map[string]string{channels.SetAccountSID: testSID, channels.SetFrom: bizSMS}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name     string
		kind     string
		settings map[string]string
		secret   string
	}{
		{"wrong kind", channels.KindTelegram, good, testToken},
		{"bad account SID", channels.KindTwilio, with(channels.SetAccountSID, "AC123"), testToken},
		{"bad API key", channels.KindTwilio, with(channels.SetAPIKey, "SK1"), testToken},
		{"no token", channels.KindTwilio, good, ""},
		{"no SMS number", channels.KindTwilio, with(channels.SetFrom, ""), testToken},
		{"national SMS number", channels.KindTwilio, with(channels.SetFrom, "06 12 34 56 78"), testToken},
		{"bad WhatsApp number", channels.KindTwilio, with(channels.SetWhatsAppFrom, "whatsapp"), testToken},
		{"http off loopback", channels.KindTwilio, with(channels.SetAPIURL, "http://api.twilio.com"), testToken},
		{"bad poll interval", channels.KindTwilio, with(SetPollInterval, "often"), testToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(channels.Account{Name: "x", Kind: tc.kind, Settings: tc.settings}, tc.secret, channels.Deps{})
			if inbox.ErrorCode(err) != inbox.Invalid {
				t.Errorf("New = %v, want invalid", err)
			}
		})
	}
	ch, err := New(channels.Account{Name: "x", Kind: channels.KindTwilio, Settings: with(SetPollInterval, "2s")}, testToken, channels.Deps{})
	if err != nil || ch.opts.PollInterval != 2*time.Second {
		t.Errorf("poll_interval 2s: %v, %v", ch, err)
	}
}

func TestTestReport(t *testing.T) {
	t.Run("auth token", func(t *testing.T) {
		e := newEnv(t)
		lines, err := e.ch.Test(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(lines, "\n")
		for _, want := range []string{"active", "SMS number " + bizSMS + " belongs", "WhatsApp sender whatsapp:" + bizWA} {
			if !strings.Contains(joined, want) {
				t.Errorf("report %q lacks %q", joined, want)
			}
		}
		e.noViolations()
	})
	t.Run("API key", func(t *testing.T) {
		e := newEnv(t)
		key := fake.SID("SK", 99)
		e.fake.AddAPIKey(key, "key-secret")
		e.settings[channels.SetAPIKey] = key
		e.secret = "key-secret"
		e.ch = e.channel()
		lines, err := e.ch.Test(context.Background())
		if err != nil || !strings.Contains(lines[0], "API key "+key+" accepted") {
			t.Errorf("Test = %q, %v", lines, err)
		}
		if ops := e.operations(); ops["FetchAccount"] != 0 {
			t.Errorf("an API key test fetched the Account resource")
		}
	})
	t.Run("suspended", func(t *testing.T) {
		e := newEnv(t)
		e.fake.SetAccountStatus("suspended")
		if _, err := e.ch.Test(context.Background()); inbox.ErrorCode(err) != inbox.Auth {
			t.Errorf("Test = %v, want auth", err)
		}
	})
	t.Run("number of another account", func(t *testing.T) {
		e := newEnv(t)
		e.settings[channels.SetFrom] = "+12025550199"
		e.ch = e.channel()
		if _, err := e.ch.Test(context.Background()); inbox.ErrorCode(err) != inbox.Invalid {
			t.Errorf("Test = %v, want invalid", err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		e := newEnv(t)
		e.secret = "wrong"
		e.ch = e.channel()
		if _, err := e.ch.Test(context.Background()); inbox.ErrorCode(err) != inbox.Auth {
			t.Errorf("Test = %v, want auth", err)
		}
	})
}
