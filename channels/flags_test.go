package channels

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

var shop = Account{Name: "shop", Kind: KindEmail, Settings: map[string]string{SetAddress: "hello@shop.example"}}

// flagChannel is a fakeChannel whose server keeps flags.
type flagChannel struct {
	*fakeChannel
	errs  []error // consumed one per SetFlags; nil means success
	calls [][]inbox.FlagChange
}

func (f *flagChannel) SetFlags(ctx context.Context, changes []inbox.FlagChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(changes))
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return nil
}

func (f *flagChannel) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// mails ingests inbound e-mails from anna on account shop and returns
// her customer id.
func (w *world) mails(texts ...string) inbox.CustomerID {
	w.t.Helper()
	anna := inbox.Identity{Kind: inbox.KindEmail, Address: "anna@example.com"}
	var in []inbox.Incoming
	for i, text := range texts {
		in = append(in, inbox.Incoming{Name: "Anna", Message: inbox.Message{
			Channel: inbox.ChannelEmail, Direction: inbox.In, Party: anna, From: anna.Address,
			ExternalID: text + "@example.com#0123", Text: text, SentAt: w.clock.Now().Add(time.Duration(i-len(texts)) * time.Minute),
		}})
	}
	if _, err := w.desk.Ingest(context.Background(), inbox.Batch{Account: "shop", Messages: in}); err != nil {
		w.t.Fatal(err)
	}
	id, _, err := w.store.Owner(anna)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) flagQueue() []inbox.FlagChange {
	w.t.Helper()
	q, err := w.store.FlagQueue()
	if err != nil {
		w.t.Fatal(err)
	}
	return q
}

func TestOutboxPutsReadFlagsOnTheServer(t *testing.T) {
	w := newWorld(t, shop)
	ch := &flagChannel{fakeChannel: &fakeChannel{}}
	w.chans["shop"] = ch
	id := w.mails("one", "two")
	if _, err := w.desk.MarkRead(id); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(w.engine(nil))
	if next, err := o.Flush(context.Background()); err != nil || !next.IsZero() {
		t.Fatalf("Flush: next %v, err %v", next, err)
	}
	if len(ch.calls) != 1 || len(ch.calls[0]) != 2 {
		t.Fatalf("SetFlags calls = %+v, want one with both messages", ch.calls)
	}
	for _, c := range ch.calls[0] {
		if c.Flag != inbox.FlagSeen || !c.On || c.Account != "shop" {
			t.Errorf("change %+v", c)
		}
	}
	if q := w.flagQueue(); len(q) != 0 {
		t.Errorf("queue after success: %+v", q)
	}
	// Nothing left: no call.
	if _, err := o.Flush(context.Background()); err != nil || ch.callCount() != 1 {
		t.Errorf("second Flush: %d calls, %v", ch.callCount(), err)
	}
}

func TestFlagsWaitOfflineWithBackoff(t *testing.T) {
	w := newWorld(t, shop)
	offline := inbox.Wrap(inbox.Unavailable, syscall.ECONNREFUSED, "cannot reach the IMAP server")
	ch := &flagChannel{fakeChannel: &fakeChannel{}, errs: []error{offline, offline}}
	w.chans["shop"] = ch
	id := w.mails("one")
	if _, err := w.desk.MarkRead(id); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(w.engine(nil))
	ctx := context.Background()
	next, err := o.Flush(ctx)
	if err != nil {
		t.Fatalf("an offline server is no Flush error: %v", err)
	}
	if want := w.clock.Now().Add(Backoff(0, 0.5)); !next.Equal(want) {
		t.Errorf("next try %v, want %v", next, want)
	}
	if len(w.flagQueue()) != 1 {
		t.Fatal("the change left the queue while offline")
	}
	// Before the backoff: not tried.
	if _, err := o.Flush(ctx); err != nil || ch.callCount() != 1 {
		t.Fatalf("tried again before the backoff: %d calls, %v", ch.callCount(), err)
	}
	w.clock.Advance(Backoff(0, 0.5))
	next, _ = o.Flush(ctx)
	if want := w.clock.Now().Add(Backoff(1, 0.5)); ch.callCount() != 2 || !next.Equal(want) {
		t.Fatalf("second try: %d calls, next %v; want 2 and %v (doubled)", ch.callCount(), next, want)
	}
	// Back online, and after a restart (a new Outbox): the queue survived.
	o = w.outbox(w.engine(nil))
	if _, err := o.Flush(ctx); err != nil || ch.callCount() != 3 {
		t.Fatalf("after the restart: %d calls, %v", ch.callCount(), err)
	}
	if q := w.flagQueue(); len(q) != 0 {
		t.Errorf("queue once applied: %+v", q)
	}
}

func TestFlagsWithoutAFlaggerAreDropped(t *testing.T) {
	w := newWorld(t, shop)
	w.chans["shop"] = &fakeChannel{} // keeps no flags
	id := w.mails("one")
	if _, err := w.desk.MarkRead(id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.outbox(w.engine(nil)).Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q := w.flagQueue(); len(q) != 0 {
		t.Errorf("queue = %+v, want dropped", q)
	}
}

func TestSentAnswerQueuesAnswered(t *testing.T) {
	w := newWorld(t, shop)
	ch := &flagChannel{fakeChannel: &fakeChannel{receipt: Receipt{ExternalID: "reply@shop.example#0456", State: inbox.StateSent}}}
	w.chans["shop"] = ch
	id := w.mails("question")
	ans := w.reply(id, inbox.ChannelEmail, "Réponse")
	o := w.outbox(w.engine(nil))
	if _, err := o.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.message(ans.ID); got.State != inbox.StateSent {
		t.Fatalf("answer %s", got.State)
	}
	// Sent, then flagged in the same pass.
	if len(ch.calls) != 1 || len(ch.calls[0]) != 1 {
		t.Fatalf("SetFlags calls %+v", ch.calls)
	}
	if c := ch.calls[0][0]; c.Flag != inbox.FlagAnswered || !c.On || c.ExternalID != "question@example.com#0123" {
		t.Errorf("change %+v, want \\Answered on the question", c)
	}
}

func TestSyncReportsSeenThroughTheSink(t *testing.T) {
	w := newWorld(t, shop)
	ch := &fakeChannel{}
	w.chans["shop"] = ch
	id := w.mails("one", "two")
	ch.setSync(func(ctx context.Context, sink Sink, once bool) error {
		ss, ok := sink.(SeenSink)
		if !ok {
			return errors.New("the engine's sink is no SeenSink")
		}
		return ss.SetSeen(ctx, inbox.ChannelEmail, []string{"one@example.com#", "two@example.com#"}, true)
	})
	sub := w.desk.Subscribe(16)
	defer sub.Close()
	if err := w.engine(nil).SyncOnce(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	if c, _ := w.desk.Customer(id); c.Unread != 0 {
		t.Errorf("unread = %d after the server said both were read", c.Unread)
	}
	if !slices.ContainsFunc(sub.Take(), func(c inbox.Change) bool { return c.Kind == inbox.CustomerChanged && c.Customer == id }) {
		t.Error("no change published for the customer")
	}
}
