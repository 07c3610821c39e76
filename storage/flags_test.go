package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage/storagetest"
)

// seenOf returns the Seen of every message of the customer, oldest first.
func seenOf(tb testing.TB, d *inbox.Desk, id inbox.CustomerID) []bool {
	tb.Helper()
	var out []bool
	for _, m := range timeline(tb, d, id) {
		if m.Direction == inbox.In {
			out = append(out, m.Seen)
		}
	}
	return out
}

func TestMarkReadMarksMessagesAndQueuesFlags(t *testing.T) {
	s := storagetest.MustOpen(t, nil)
	d, _ := newDesk(t, s)
	anna := email("anna@example.com")
	read := msg(inbox.ChannelEmail, inbox.In, anna, "read@x#1", t0, "already read")
	read.Message.Seen = true
	ingest(t, d, "shop",
		read,
		msg(inbox.ChannelEmail, inbox.In, anna, "a@x#1", t0.Add(time.Hour), "one"),
		msg(inbox.ChannelEmail, inbox.Out, anna, "out@x#1", t0.Add(2*time.Hour), "answer"),
		msg(inbox.ChannelEmail, inbox.In, anna, "b@x#1", t0.Add(3*time.Hour), "two"),
		msg(inbox.ChannelEmail, inbox.In, anna, "", t0.Add(4*time.Hour), "no id"),
	)
	id, _, _ := s.Owner(anna)
	if c, _ := s.Customer(id); c.Unread != 3 {
		t.Fatalf("unread before = %d, want 3", c.Unread)
	}
	c, n, err := s.MarkRead(id, func(m *inbox.Message) bool { return m.ExternalID != "" }, t0.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c.Unread != 0 || n != 2 {
		t.Errorf("MarkRead: unread %d, %d flags queued; want 0 and 2", c.Unread, n)
	}
	if got := seenOf(t, d, id); !slices.Equal(got, []bool{true, true, true, true}) {
		t.Errorf("seen after MarkRead = %v", got)
	}
	q, err := s.FlagQueue()
	if err != nil {
		t.Fatal(err)
	}
	var exts []string
	for _, f := range q {
		exts = append(exts, f.ExternalID)
		if f.Flag != inbox.FlagSeen || !f.On || f.Account != "shop" || f.Channel != inbox.ChannelEmail || f.Seq == 0 {
			t.Errorf("queued %+v", f)
		}
	}
	if !slices.Equal(exts, []string{"a@x#1", "b@x#1"}) {
		t.Errorf("queued %v, want the two unread messages with an id", exts)
	}
	// Nothing unread: nothing written, nothing queued.
	if _, n, err := s.MarkRead(id, func(*inbox.Message) bool { return true }, t0); err != nil || n != 0 {
		t.Errorf("second MarkRead: %d queued, %v", n, err)
	}
}

func TestSetSeenFollowsTheServerInOneBatch(t *testing.T) {
	s := storagetest.MustOpen(t, nil)
	d, _ := newDesk(t, s)
	anna, bob := email("anna@example.com"), email("bob@example.com")
	ingest(t, d, "shop",
		msg(inbox.ChannelEmail, inbox.In, anna, "a1@x#111", t0, "one"),
		msg(inbox.ChannelEmail, inbox.In, anna, "a2@x#222", t0.Add(time.Hour), "two"),
		msg(inbox.ChannelEmail, inbox.In, bob, "b1@x#333", t0.Add(time.Hour), "three"),
		msg(inbox.ChannelEmail, inbox.In, bob, "a1@x.other#444", t0.Add(2*time.Hour), "a longer id"),
	)
	annaID, _, _ := s.Owner(anna)
	bobID, _, _ := s.Owner(bob)
	unread := func() [2]int {
		a, _ := s.Customer(annaID)
		b, _ := s.Customer(bobID)
		return [2]int{a.Unread, b.Unread}
	}

	changed, err := s.SetSeen(inbox.ChannelEmail, []string{"a1@x#", "b1@x#", "unknown@x#", ""}, true)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(changed)
	if !slices.Equal(changed, []inbox.CustomerID{annaID, bobID}) || unread() != [2]int{1, 1} {
		t.Errorf("after seen: changed %v, unread %v; want both, [1 1]", changed, unread())
	}
	// The same report again changes nothing.
	if changed, err := s.SetSeen(inbox.ChannelEmail, []string{"a1@x#"}, true); err != nil || len(changed) != 0 {
		t.Errorf("repeated report changed %v (%v)", changed, err)
	}
	// Another client marks one unread again.
	if _, err := s.SetSeen(inbox.ChannelEmail, []string{"a1@x#"}, false); err != nil || unread() != [2]int{2, 1} {
		t.Errorf("after unseen: unread %v (%v), want [2 1]", unread(), err)
	}
	// Another channel's ids are not e-mail's.
	if changed, _ := s.SetSeen(inbox.ChannelSMS, []string{"a2@x#"}, true); len(changed) != 0 {
		t.Errorf("SMS report changed e-mail customers %v", changed)
	}

	// A change of Couture's own still queued wins over the server.
	if _, _, err := s.MarkRead(annaID, func(*inbox.Message) bool { return true }, t0); err != nil {
		t.Fatal(err)
	}
	if changed, _ := s.SetSeen(inbox.ChannelEmail, []string{"a2@x#"}, false); len(changed) != 0 || unread()[0] != 0 {
		t.Errorf("server's stale unseen overrode a queued read: changed %v, unread %v", changed, unread())
	}
}

func TestFlagQueueKeepsTheNewestChange(t *testing.T) {
	s := storagetest.MustOpen(t, nil)
	d, _ := newDesk(t, s)
	anna := email("anna@example.com")
	ingest(t, d, "shop", msg(inbox.ChannelEmail, inbox.In, anna, "a1@x#111", t0, "one"))
	m, err := s.ExternalMessage(inbox.ChannelEmail, "a1@x#111")
	if err != nil || m.Text != "one" {
		t.Fatalf("ExternalMessage = %+v, %v", m, err)
	}
	if _, err := s.ExternalMessage(inbox.ChannelEmail, "a1@x"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("ExternalMessage of a prefix: %v, want not found", err)
	}

	if err := s.QueueFlags(inbox.FlagChangeOf(&m, inbox.FlagAnswered, true, t0)); err != nil {
		t.Fatal(err)
	}
	first, _ := s.FlagQueue()
	// Queued again before the first was applied: applying the first
	// must not drop the second.
	if err := s.QueueFlags(inbox.FlagChangeOf(&m, inbox.FlagAnswered, true, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := s.DropFlags(first...); err != nil {
		t.Fatal(err)
	}
	q, _ := s.FlagQueue()
	if len(q) != 1 || q[0].Seq == first[0].Seq || !q[0].QueuedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("queue after dropping the older change: %+v", q)
	}
	if err := s.DropFlags(q...); err != nil {
		t.Fatal(err)
	}
	if q, _ := s.FlagQueue(); len(q) != 0 {
		t.Errorf("queue not empty: %+v", q)
	}
	if err := s.QueueFlags(inbox.FlagChange{Flag: inbox.FlagSeen}); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("a change naming no message: %v", err)
	}
}
