package twilio

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
	fake "github.com/couture/couture/internal/fakes/twilio"
)

func reply(ch inbox.ChannelKind, to, text string) inbox.Message {
	return inbox.Message{
		Channel: ch, Account: testAccount, Direction: inbox.Out,
		Party: inbox.Identity{Kind: inbox.KindPhone, Address: to}, To: to, Text: text, State: inbox.StateQueued,
	}
}

func TestSendShapes(t *testing.T) {
	tests := []struct {
		name     string
		channel  inbox.ChannelKind
		setup    func(f *fake.Server)
		to, from string
	}{
		{name: "sms", channel: inbox.ChannelSMS, to: anna, from: bizSMS},
		{name: "whatsapp in the window", channel: inbox.ChannelWhatsApp, to: "whatsapp:" + anna, from: "whatsapp:" + bizWA,
			setup: func(f *fake.Server) {
				f.AddInboundAt(time.Now().Add(-23*time.Hour), "whatsapp:"+anna, "whatsapp:"+bizWA, "hi")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e.fake)
			}
			text := "Bonjour Anna, votre colis part aujourd'hui ✂"
			r, err := e.ch.Send(context.Background(), reply(tc.channel, anna, text))
			if err != nil {
				t.Fatal(err)
			}
			e.noViolations()
			sent := e.fake.Sent()
			if len(sent) != 1 {
				t.Fatalf("fake received %d creates, want 1", len(sent))
			}
			f := sent[0].Form
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range f {
					if !yield(k) {
						return
					}
				}
			})
			if strings.Join(keys, ",") != "Body,From,To" || f.Get("To") != tc.to || f.Get("From") != tc.from || f.Get("Body") != text {
				t.Errorf("form = %v, want To %s From %s and the body", f, tc.to, tc.from)
			}
			if r.ExternalID != sent[0].Message.SID || r.State != inbox.StateSent || r.SentAt.IsZero() {
				t.Errorf("receipt = %+v, want %s sent", r, sent[0].Message.SID)
			}
		})
	}
}

func TestSendRefusals(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(e *env)
		m       inbox.Message
		code    inbox.Code
		message string
		created bool // whether a CreateMessage request reaches Twilio
		// uncertain: the error says the message may have left
		// (*channels.Uncertain); sent: it did.
		uncertain, sent bool
	}{
		{name: "1601 characters", m: reply(inbox.ChannelSMS, anna, strings.Repeat("a", MaxBody+1)), code: inbox.Invalid, message: "at most 1600"},
		{name: "empty", m: reply(inbox.ChannelSMS, anna, " "), code: inbox.Invalid, message: "empty"},
		{name: "telegram party", m: inbox.Message{Channel: inbox.ChannelSMS, Party: inbox.Identity{Kind: inbox.KindTelegram, Address: "1"}, Text: "x"},
			code: inbox.Invalid, message: "phone number"},
		{name: "matrix channel", m: reply(inbox.ChannelMatrix, anna, "x"), code: inbox.Invalid, message: "not \"matrix\""},
		{name: "whatsapp outside the 24-hour window", m: reply(inbox.ChannelWhatsApp, anna, "hello"), code: inbox.Invalid, message: "24 hours"},
		{name: "whatsapp without sender", setup: func(e *env) { delete(e.settings, channels.SetWhatsAppFrom); e.ch = e.channel() },
			m: reply(inbox.ChannelWhatsApp, anna, "hello"), code: inbox.Invalid, message: "no WhatsApp sender"},
		{name: "21211 invalid number", setup: func(e *env) {
			e.fake.FailCode("CreateMessage", 400, 21211, "Invalid 'To' Phone Number: +3361234567X")
		}, m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Invalid, message: "not a valid phone number (error 21211)", created: true},
		{name: "21610 unsubscribed", setup: func(e *env) { e.fake.OptOut(anna) },
			m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Invalid, message: "replying STOP", created: true},
		{name: "63016 from the API", setup: func(e *env) {
			e.fake.AddInbound("whatsapp:"+anna, "whatsapp:"+bizWA, "hi")
			e.fake.FailCode("CreateMessage", 400, 63016, fake.WindowMessage)
		}, m: reply(inbox.ChannelWhatsApp, anna, "hello"), code: inbox.Invalid, message: "24 hours", created: true},
		{name: "20003 rotated token", setup: func(e *env) { e.fake.SetAuthToken("rotated") },
			m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Auth, message: "20003", created: true},
		{name: "500", setup: func(e *env) { e.fake.FailOperation("CreateMessage", 500, "") },
			m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Unavailable, created: true, uncertain: true},
		{name: "answer lost", setup: func(e *env) { e.fake.LoseAnswer("CreateMessage") },
			m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Unavailable, message: "may or may not have left",
			created: true, uncertain: true, sent: true},
		{name: "server down", setup: func(e *env) { e.fake.Close() },
			m: reply(inbox.ChannelSMS, anna, "hello"), code: inbox.Unavailable, message: "cannot reach Twilio"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			_, err := e.ch.Send(context.Background(), tc.m)
			channeltest.WantError(t, err, tc.code, tc.message, tc.uncertain)
			if got := e.operations()["CreateMessage"] > 0; got != tc.created {
				t.Errorf("CreateMessage requested: %v, want %v", got, tc.created)
			}
			if sent := len(e.fake.Sent()) > 0; sent != tc.sent {
				t.Errorf("message created: %v, want %v", sent, tc.sent)
			}
			e.noViolations()
		})
	}
}

func TestSendRateLimited(t *testing.T) {
	e := newEnv(t)
	e.fake.RateLimitNext("CreateMessage", 3)
	_, err := e.ch.Send(context.Background(), reply(inbox.ChannelSMS, anna, "hello"))
	var ra *channels.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 3*time.Second {
		t.Fatalf("Send = %v, want RetryAfter 3s", err)
	}
	if len(e.fake.Sent()) != 0 {
		t.Fatal("a rate-limited message was created")
	}
	if _, err := e.ch.Send(context.Background(), reply(inbox.ChannelSMS, anna, "hello")); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestStatusesAndDeliveries(t *testing.T) {
	e := newEnv(t)
	e.settings[channels.SetWhatsAppTemplate] = "HX0123456789abcdef0123456789abcdef"
	e.ch = e.channel()
	var sids []string
	for range 4 {
		r, err := e.ch.Send(context.Background(), reply(inbox.ChannelSMS, anna, "hello"))
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, r.ExternalID)
	}
	e.fake.SetStatus(sids[1], "delivered", 0)
	e.fake.SetStatus(sids[2], "undelivered", 30003)
	e.fake.SetStatus(sids[3], "failed", 63016)
	unknown := fake.SID("SM", 999999)
	got, err := e.ch.Deliveries(context.Background(), append(sids, unknown))
	if err != nil {
		t.Fatal(err)
	}
	states, err := e.ch.Statuses(context.Background(), sids)
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range sids {
		if states[sid] != got[sid].State {
			t.Errorf("Statuses[%s] = %s, Deliveries says %s", sid, states[sid], got[sid].State)
		}
	}
	want := []struct {
		state inbox.State
		err   string
	}{
		{inbox.StateSent, ""},
		{inbox.StateDelivered, ""},
		{inbox.StateFailed, "error 30003"},
		{inbox.StateFailed, "HX0123456789abcdef0123456789abcdef"},
	}
	for i, w := range want {
		d := got[sids[i]]
		if d.State != w.state || !strings.Contains(d.Error, w.err) || (w.err == "") != (d.Error == "") {
			t.Errorf("%s = %+v, want %s %q", sids[i], d, w.state, w.err)
		}
	}
	if _, ok := got[unknown]; ok {
		t.Error("an unknown SID has a status")
	}
	e.noViolations()
}
