package inbox_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
)

// TestReplyCarriesAttachments: an answer with files is queued with them
// (the outbox reads them back from the store, after a restart too), and a
// channel that cannot carry them refuses before anything is queued.
func TestReplyCarriesAttachments(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d,
		inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Can I have the quote?"),
		inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelSMS, Direction: inbox.In, Party: emilyPhone, Text: "Also by text"}, Links: []inbox.Identity{emilyPhone}},
	)
	id := idOf(t, d, emilyMail)
	blobs := d.Store().(inbox.Blobs)
	pdf := []byte("%PDF-1.7 devis")
	a, err := inbox.PutAttachment(blobs, "/home/shop/Devis été.pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	m, err := d.Reply(ctx, inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Text: "Here it is.", Attachments: []inbox.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Store().Outbox()
	if err != nil || len(out) != 1 || out[0].ID != m.ID {
		t.Fatalf("outbox %+v, %v", out, err)
	}
	if got := out[0].Attachments; len(got) != 1 || got[0] != a {
		t.Fatalf("queued attachments %+v, want %+v", got, a)
	}
	rc, err := blobs.Open(out[0].Attachments[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(data, pdf) {
		t.Errorf("stored file %q", data)
	}

	// Files alone are an answer.
	if _, err := d.Reply(ctx, inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Attachments: []inbox.Attachment{a}}); err != nil {
		t.Errorf("files without text: %v", err)
	}

	refused := []struct {
		name string
		r    inbox.Reply
		want string
	}{
		{"SMS", inbox.Reply{Customer: id, Channel: inbox.ChannelSMS, Text: "The quote", Attachments: []inbox.Attachment{a}},
			"Twilio fetches media from a public URL"},
		{"e-mail over 25 MB", inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Text: "Photos", Attachments: []inbox.Attachment{
			{Name: "a.jpg", Size: 20 << 20, Blob: a.Blob}, {Name: "b.jpg", Size: 6 << 20, Blob: a.Blob}}},
			"at most 25 MB"},
		{"nothing at all", inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Text: " "}, "empty"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Reply(ctx, tt.r)
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), tt.want) {
				t.Errorf("Reply = %v, want Invalid saying %q", err, tt.want)
			}
		})
	}
	if out, _ := d.Store().Outbox(); len(out) != 2 {
		t.Errorf("refused answers were queued: %d in the outbox", len(out))
	}
}
