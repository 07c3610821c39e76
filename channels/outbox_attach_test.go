package channels

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

// TestOutboxSendsAttachmentsAfterARestart: an answer with a file is queued,
// the app quits before the outbox runs; after a restart the outbox hands
// the channel the message with its file, whose bytes the store still has.
func TestOutboxSendsAttachmentsAfterARestart(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.Open(dir, &storage.Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, clock: newFakeClock(), chans: map[string]Channel{}}
	w.desk = inbox.NewDesk(st, &inbox.Options{Clock: w.clock.Now})
	if err := SaveAccount(st, bot); err != nil {
		t.Fatal(err)
	}
	c := w.customer(inbox.ChannelTelegram, "42")
	pdf := []byte("%PDF-1.7 the quote")
	a, err := inbox.PutAttachment(st, "devis.pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.desk.Reply(context.Background(), inbox.Reply{Customer: c, Channel: inbox.ChannelTelegram, Text: "Here it is", Attachments: []inbox.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The restart.
	st, err = storage.Open(dir, &storage.Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w = &world{t: t, store: st, clock: w.clock, chans: map[string]Channel{}}
	w.desk = inbox.NewDesk(st, &inbox.Options{Clock: w.clock.Now})
	ch := &fakeChannel{receipt: Receipt{ExternalID: "42/9", State: inbox.StateSent, SentAt: time.Now()}}
	w.chans["bot"] = ch
	if _, err := w.outbox(w.engine(nil)).Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ch.sent) != 1 || ch.sent[0].ID != m.ID || len(ch.sent[0].Attachments) != 1 || ch.sent[0].Attachments[0] != a {
		t.Fatalf("channel got %+v", ch.sent)
	}
	r, err := st.Open(ch.sent[0].Attachments[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, pdf) {
		t.Errorf("the file after the restart: %q", got)
	}
	if got := w.message(m.ID); got.State != inbox.StateSent || len(got.Attachments) != 1 {
		t.Errorf("after the send: %+v", got)
	}
}
