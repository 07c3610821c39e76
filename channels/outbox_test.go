package channels

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

var (
	bot  = Account{Name: "bot", Kind: KindTelegram}
	room = Account{Name: "room", Kind: KindMatrix}
)

// crash leaves a queued message in sending, as a process that died between
// the channel call and the receipt does.
func (w *world) crash(id inbox.MessageID) {
	w.t.Helper()
	if _, err := w.store.UpdateMessage(id, func(m *inbox.Message) error {
		m.State = inbox.StateSending
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
}

func TestOutboxSendsAndRecordsTheReceipt(t *testing.T) {
	w := newWorld(t, room, bot)
	ch := &fakeChannel{receipt: Receipt{ExternalID: "123:77", State: inbox.StateSent}}
	w.chans["bot"] = ch
	w.chans["room"] = &fakeChannel{}
	c := w.customer(inbox.ChannelTelegram, "42")
	m := w.reply(c, inbox.ChannelTelegram, "Votre commande est prête.")
	o := w.outbox(w.engine(nil))
	next, err := o.Flush(context.Background())
	if err != nil || !next.IsZero() {
		t.Fatalf("Flush: next %v, err %v", next, err)
	}
	got := w.message(m.ID)
	if got.State != inbox.StateSent || got.ExternalID != "123:77" || got.Account != "bot" || got.Error != "" {
		t.Fatalf("after send: %+v", got)
	}
	if len(ch.sent) != 1 || ch.sent[0].State != inbox.StateSending || ch.sent[0].Text != "Votre commande est prête." {
		t.Fatalf("channel got %+v", ch.sent)
	}
	if ob, _ := w.store.Outbox(); len(ob) != 0 {
		t.Errorf("outbox still holds %d messages", len(ob))
	}
	// Nothing is sent twice.
	if _, err := o.Flush(context.Background()); err != nil || ch.sends() != 1 {
		t.Fatalf("second Flush sent again: %d sends, %v", ch.sends(), err)
	}
}

func TestOutboxRecoveryNeverResendsSilently(t *testing.T) {
	w := newWorld(t, bot)
	ch := &fakeChannel{}
	w.chans["bot"] = ch
	c := w.customer(inbox.ChannelTelegram, "42")
	m := w.reply(c, inbox.ChannelTelegram, "Bonjour")
	w.crash(m.ID)

	o := w.outbox(w.engine(nil))
	if err := o.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := w.message(m.ID)
	if got.State != inbox.StateUncertain || got.Error != UncertainReason {
		t.Fatalf("after recovery: state %s, error %q", got.State, got.Error)
	}
	if _, err := o.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ch.sends() != 0 {
		t.Fatalf("an uncertain message was resent %d times", ch.sends())
	}

	// A person decides to send it again.
	if err := w.desk.Retry(m.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.message(m.ID); got.State != inbox.StateQueued || got.Error != "" {
		t.Fatalf("after Retry: %+v", got)
	}
	if _, err := o.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ch.sends() != 1 || w.message(m.ID).State != inbox.StateSent {
		t.Fatalf("after Retry and Flush: %d sends, %+v", ch.sends(), w.message(m.ID))
	}
	// Retry refuses what is not failed or uncertain.
	if err := w.desk.Retry(m.ID); inbox.ErrorCode(err) != inbox.Conflict {
		t.Errorf("Retry of a sent message: %v", err)
	}
}

func TestOutboxRecoveryAsksAnIdempotentChannel(t *testing.T) {
	tests := []struct {
		name      string
		delivered func(inbox.Message) (Receipt, bool, error)
		wantState inbox.State
		wantSends int
	}{
		{"already delivered", func(inbox.Message) (Receipt, bool, error) {
			return Receipt{ExternalID: "$event", State: inbox.StateSent}, true, nil
		}, inbox.StateSent, 0},
		{"never left", func(inbox.Message) (Receipt, bool, error) {
			return Receipt{}, false, nil
		}, inbox.StateSent, 1},
		{"cannot tell yet", func(inbox.Message) (Receipt, bool, error) {
			return Receipt{}, false, &net.OpError{Op: "dial", Err: errors.New("refused")}
		}, inbox.StateSending, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, room)
			ch := &idemChannel{fakeChannel: &fakeChannel{}, delivered: tt.delivered}
			w.chans["room"] = ch
			c := w.customer(inbox.ChannelMatrix, "@anna:example.org")
			m := w.reply(c, inbox.ChannelMatrix, "Bonjour")
			w.crash(m.ID)
			o := w.outbox(w.engine(nil))
			if _, err := o.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Flush(context.Background()); err != nil { // a second pass changes nothing
				t.Fatal(err)
			}
			got := w.message(m.ID)
			if got.State != tt.wantState || ch.sends() != tt.wantSends {
				t.Fatalf("state %s with %d sends, want %s with %d", got.State, ch.sends(), tt.wantState, tt.wantSends)
			}
			if ch.checks == 0 {
				t.Error("Delivered was never asked")
			}
			if tt.name == "already delivered" && got.ExternalID != "$event" {
				t.Errorf("receipt not recorded: %+v", got)
			}
		})
	}
}

func TestOutboxRetriesTemporaryFailures(t *testing.T) {
	w := newWorld(t, bot)
	refused := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	ch := &fakeChannel{sendErrs: []error{refused, &RetryAfter{Wait: time.Minute, Err: errors.New("429 Too Many Requests: retry after 60")}}}
	w.chans["bot"] = ch
	c := w.customer(inbox.ChannelTelegram, "42")
	m := w.reply(c, inbox.ChannelTelegram, "Bonjour")
	o := w.outbox(w.engine(nil))
	ctx := context.Background()

	next, _ := o.Flush(ctx)
	got := w.message(m.ID)
	if got.State != inbox.StateQueued || !strings.Contains(got.Error, "connection refused") {
		t.Fatalf("after a refused connection: %+v", got)
	}
	if want := w.clock.Now().Add(750 * time.Millisecond); !next.Equal(want) {
		t.Fatalf("next try %v, want %v (1 s backoff, jitter 0.5)", next, want)
	}
	// Not due yet: nothing happens.
	o.Flush(ctx)
	if ch.sends() != 1 {
		t.Fatalf("sent %d times before the backoff ran out", ch.sends())
	}
	w.clock.Advance(750 * time.Millisecond)
	next, _ = o.Flush(ctx)
	if ch.sends() != 2 || !next.Equal(w.clock.Now().Add(time.Minute)) {
		t.Fatalf("after the 429: %d sends, next %v (want Retry-After honoured)", ch.sends(), next.Sub(w.clock.Now()))
	}
	w.clock.Advance(time.Minute)
	o.Flush(ctx)
	if got := w.message(m.ID); got.State != inbox.StateSent || ch.sends() != 3 || got.Error != "" {
		t.Fatalf("after the third try: %d sends, %+v", ch.sends(), got)
	}
}

func TestOutboxPermanentAndUncertainFailures(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantState inbox.State
		wantError string
	}{
		{"invalid", inbox.Errorf(inbox.Invalid, "Telegram says: chat not found"), inbox.StateFailed, "chat not found"},
		{"auth", inbox.Errorf(inbox.Auth, "the bot token was refused"), inbox.StateFailed, "token was refused"},
		{"timeout after writing", &Uncertain{Err: errors.New("read: i/o timeout")}, inbox.StateUncertain, UncertainReason},
		{"unavailable", inbox.Errorf(inbox.Unavailable, "Telegram is down"), inbox.StateQueued, "Telegram is down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, bot)
			ch := &fakeChannel{sendErrs: []error{tt.err}}
			w.chans["bot"] = ch
			c := w.customer(inbox.ChannelTelegram, "42")
			m := w.reply(c, inbox.ChannelTelegram, "Bonjour")
			got, err := w.outbox(w.engine(nil)).Send(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.wantState || !strings.Contains(got.Error, tt.wantError) {
				t.Fatalf("got %s %q, want %s %q", got.State, got.Error, tt.wantState, tt.wantError)
			}
		})
	}
}

func TestOutboxPicksAnAccountAndKeepsOrder(t *testing.T) {
	w := newWorld(t, room, bot)
	tg, mx := &fakeChannel{}, &fakeChannel{}
	w.chans["bot"], w.chans["room"] = tg, mx
	anna := w.customer(inbox.ChannelTelegram, "42")
	bob := w.customer(inbox.ChannelTelegram, "43")
	first := w.reply(anna, inbox.ChannelTelegram, "un")
	second := w.reply(anna, inbox.ChannelTelegram, "deux")
	other := w.reply(bob, inbox.ChannelTelegram, "pour Bob")
	tg.sendErrs = []error{errors.New("connection reset")} // the first try of "un" fails
	o := w.outbox(w.engine(nil))
	o.Flush(context.Background())
	if mx.sends() != 0 {
		t.Fatal("a Telegram answer went out on the Matrix account")
	}
	// "deux" waits behind "un"; Bob's answer does not.
	if got := w.message(second.ID).State; got != inbox.StateQueued {
		t.Fatalf("the second answer is %s while the first waits", got)
	}
	if got := w.message(other.ID).State; got != inbox.StateSent {
		t.Fatalf("Bob's answer is %s", got)
	}
	w.clock.Advance(time.Second)
	o.Flush(context.Background())
	var order []string
	for _, m := range tg.sent {
		order = append(order, m.Text)
	}
	if strings.Join(order, ",") != "un,pour Bob,un,deux" {
		t.Fatalf("send order %q", order)
	}
	if w.message(first.ID).Account != "bot" {
		t.Errorf("account not recorded: %+v", w.message(first.ID))
	}
}

func TestOutboxWithoutAccountKeepsTheAnswerQueued(t *testing.T) {
	w := newWorld(t, room)
	w.chans["room"] = &fakeChannel{}
	c := w.customer(inbox.ChannelSMS, "+33612345678")
	m := w.reply(c, inbox.ChannelSMS, "Bonjour")
	got, err := w.outbox(w.engine(nil)).Send(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != inbox.StateQueued || !strings.Contains(got.Error, "no account sends on sms") {
		t.Fatalf("got %s %q", got.State, got.Error)
	}
}

func TestOutboxRunWakesOnReply(t *testing.T) {
	w := newWorld(t, bot)
	ch := &fakeChannel{onSend: make(chan inbox.Message, 1)}
	w.chans["bot"] = ch
	c := w.customer(inbox.ChannelTelegram, "42")
	left := w.reply(c, inbox.ChannelTelegram, "laissé en plan")
	w.crash(left.ID) // a previous process died mid-send
	o := w.outbox(w.engine(nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	w.clock.nextWait(t) // Run recovered and waits
	if got := w.message(left.ID).State; got != inbox.StateUncertain {
		t.Fatalf("left in sending: now %s", got)
	}
	m := w.reply(c, inbox.ChannelTelegram, "Bonjour")
	select {
	case sent := <-ch.onSend:
		if sent.ID != m.ID {
			t.Fatalf("sent %d, want %d", sent.ID, m.ID)
		}
	case <-deadline(t):
		t.Fatal("Run did not wake on the reply")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := w.message(m.ID).State; got != inbox.StateSent {
		t.Fatalf("state %s", got)
	}
	if ch.sends() != 1 {
		t.Fatalf("%d sends", ch.sends())
	}
}
