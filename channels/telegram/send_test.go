package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/channeltest"
)

func reply(to int64, text string) inbox.Message {
	return inbox.Message{
		Channel: inbox.ChannelTelegram, Account: testAccount, Direction: inbox.Out,
		Party: inbox.Identity{Kind: inbox.KindTelegram, Address: itoa(to)}, To: itoa(to),
		Text: text, State: inbox.StateQueued,
	}
}

func TestSendShapesAndReceipt(t *testing.T) {
	e := newEnv(t)
	e.fake.SendText(anna, "hello") // opens the private chat
	text := "Bonjour Anna, your parcel left today. *Tracking*: 1Z999 😀"
	r, err := e.ch.Send(context.Background(), reply(anna.ID, text))
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("fake received %d messages, want 1", len(sent))
	}
	s := sent[0]
	if s.ChatID != anna.ID || s.Text != text || s.ParseMode != "" {
		t.Errorf("sent %+v, want chat %d, the text verbatim, no parse_mode", s, anna.ID)
	}
	if want := itoa(anna.ID) + "/" + itoa(s.Message.MessageID); r.ExternalID != want || r.State != inbox.StateSent {
		t.Errorf("receipt = %+v, want %s sent", r, want)
	}
	if time.Since(r.SentAt) > time.Minute {
		t.Errorf("receipt time %v", r.SentAt)
	}
	if v := e.fake.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

func TestSendErrors(t *testing.T) {
	long := strings.Repeat("a", MaxText+1)
	emoji := strings.Repeat("😀", MaxText/2+1) // 2 UTF-16 units each
	tests := []struct {
		name    string
		setup   func(e *env)
		m       inbox.Message
		code    inbox.Code
		message string
		request bool // whether a sendMessage request reaches the server
		// uncertain: the error says the message may have left
		// (*channels.Uncertain); sent: it did.
		uncertain, sent bool
	}{
		{name: "4097 characters", m: reply(anna.ID, long), code: inbox.Invalid, message: "Telegram allows 4096"},
		{name: "emoji count double", m: reply(anna.ID, emoji), code: inbox.Invalid, message: "4098 characters"},
		{name: "empty", m: reply(anna.ID, "  \n"), code: inbox.Invalid, message: "empty"},
		{name: "phone party", m: inbox.Message{Party: inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}, Text: "x"},
			code: inbox.Invalid, message: "not to phone"},
		{name: "never wrote to the bot", m: reply(bruno.ID, "hello"), code: inbox.Invalid, message: "chat not found", request: true},
		{name: "blocked", setup: func(e *env) { e.fake.Block(anna.ID) }, m: reply(anna.ID, "hello"),
			code: inbox.Invalid, message: "blocked the bot", request: true},
		{name: "revoked token", setup: func(e *env) { e.fake.SetToken("1:x") }, m: reply(anna.ID, "hello"), code: inbox.Auth},
		{name: "server error", setup: func(e *env) { e.fake.FailMethod("sendMessage", 503, "") }, m: reply(anna.ID, "hello"),
			code: inbox.Unavailable, uncertain: true, request: true},
		{name: "answer lost", setup: func(e *env) { e.fake.LoseAnswer("sendMessage") }, m: reply(anna.ID, "hello"),
			code: inbox.Unavailable, message: "may or may not have arrived", uncertain: true, request: true, sent: true},
		{name: "server down", setup: func(e *env) { e.fake.Close() }, m: reply(anna.ID, "hello"),
			code: inbox.Unavailable, message: "cannot reach Telegram"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.SendText(anna, "hello")
			if tc.setup != nil {
				tc.setup(e)
			}
			_, err := e.ch.Send(context.Background(), tc.m)
			channeltest.WantError(t, err, tc.code, tc.message, tc.uncertain)
			called := false
			for _, c := range e.fake.Calls() {
				called = called || c.Method == "sendMessage"
			}
			if called != tc.request && tc.code != inbox.Auth {
				t.Errorf("sendMessage requested: %v, want %v", called, tc.request)
			}
			if sent := len(e.fake.Sent()) > 0; sent != tc.sent {
				t.Errorf("message sent: %v, want %v", sent, tc.sent)
			}
		})
	}
}

func TestSendExactly4096(t *testing.T) {
	e := newEnv(t)
	e.fake.SendText(anna, "hello")
	if _, err := e.ch.Send(context.Background(), reply(anna.ID, strings.Repeat("é", MaxText))); err != nil {
		t.Fatalf("4096 characters refused: %v", err)
	}
}

func TestSendRateLimited(t *testing.T) {
	e := newEnv(t)
	e.fake.SendText(anna, "hello")
	e.fake.RateLimitNext("sendMessage", 3)
	_, err := e.ch.Send(context.Background(), reply(anna.ID, "hello"))
	var ra *channels.RetryAfter
	if !errors.As(err, &ra) || ra.Wait != 3*time.Second {
		t.Fatalf("Send = %v, want RetryAfter 3s", err)
	}
	if len(e.fake.Sent()) != 0 {
		t.Fatal("a rate-limited message was sent")
	}
	if _, err := e.ch.Send(context.Background(), reply(anna.ID, "hello")); err != nil {
		t.Fatalf("retry: %v", err)
	}
}
