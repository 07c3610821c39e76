package inbox_test

import (
	"context"
	"slices"
	"testing"

	"github.com/couture/couture/inbox"
)

// kinds returns the kinds of the changes published so far.
func kinds(sub *inbox.Subscription) []inbox.EventKind {
	var out []inbox.EventKind
	for _, c := range sub.Take() {
		out = append(out, c.Kind)
	}
	return out
}

func TestMarkReadQueuesSeenForEmailOnly(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d,
		inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello"),
		inMsg(inbox.ChannelWhatsApp, emilyPhone, "Emily", "Hi"),
		inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Are you there?"),
	)
	if _, err := d.Merge(idOf(t, d, emilyMail), idOf(t, d, emilyPhone), "same person"); err != nil {
		t.Fatal(err)
	}
	id := idOf(t, d, emilyMail)
	sub := d.Subscribe(16)
	defer sub.Close()
	c, err := d.MarkRead(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unread != 0 {
		t.Errorf("unread after MarkRead = %d", c.Unread)
	}
	if got := kinds(sub); !slices.Equal(got, []inbox.EventKind{inbox.CustomerChanged, inbox.FlagsQueued}) {
		t.Errorf("published %v", got)
	}
	q, err := d.Store().FlagQueue()
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].Channel != inbox.ChannelEmail || q[1].Channel != inbox.ChannelEmail || q[0].Flag != inbox.FlagSeen {
		t.Errorf("queued %+v, want \\Seen for the two e-mails (WhatsApp keeps no flags)", q)
	}
	p, _ := d.Timeline(id, "", 10)
	for _, m := range p.Messages {
		if m.Direction == inbox.In && !m.Seen {
			t.Errorf("message %q still unread", m.Text)
		}
	}
}

func TestSetSeenUpdatesUnreadAndTellsSubscribers(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d, inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello"))
	id := idOf(t, d, emilyMail)
	ext := "ext-" + t.Name() + "-a"
	sub := d.Subscribe(16)
	defer sub.Close()
	if err := d.SetSeen(context.Background(), inbox.ChannelEmail, []string{ext}, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Customer(id); c.Unread != 0 {
		t.Errorf("unread = %d after the server said seen", c.Unread)
	}
	if got := sub.Take(); len(got) != 1 || got[0].Customer != id {
		t.Errorf("published %+v", got)
	}
}

func TestAnsweredQueuesTheMessageRepliedTo(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d, inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello"))
	id := idOf(t, d, emilyMail)
	ans, err := d.Reply(context.Background(), inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Text: "Bonjour", Author: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ans.State = inbox.StateSent
	if err := d.Answered(ans); err != nil {
		t.Fatal(err)
	}
	q, _ := d.Store().FlagQueue()
	if len(q) != 1 || q[0].Flag != inbox.FlagAnswered || !q[0].On || q[0].ExternalID != "ext-"+t.Name()+"-a" {
		t.Fatalf("queued %+v, want \\Answered on the message answered", q)
	}
	if err := d.Store().DropFlags(q...); err != nil {
		t.Fatal(err)
	}
	// An acknowledgement answers nothing; neither does an answer to an
	// answer of ours.
	ack := ans
	ack.Event = inbox.EventAck
	own := ans
	own.ThreadRefs = []string{"not-stored"}
	for _, m := range []inbox.Message{ack, own} {
		if err := d.Answered(m); err != nil {
			t.Fatal(err)
		}
	}
	if q, _ := d.Store().FlagQueue(); len(q) != 0 {
		t.Errorf("queued %+v", q)
	}
}
