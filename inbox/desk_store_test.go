package inbox_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
	"github.com/couture/couture/storage/storagetest"
)

// These tests run the Desk over a real store (storage imports inbox, so
// they live in the external test package).

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newDesk(t *testing.T, index bool) *inbox.Desk {
	t.Helper()
	st := storagetest.MustOpen(t, &storage.Options{NoIndex: !index, NoSync: true})
	return inbox.NewDesk(st, &inbox.Options{Clock: func() time.Time { return now }})
}

func ingest(t *testing.T, d *inbox.Desk, in ...inbox.Incoming) {
	t.Helper()
	for i := range in {
		m := &in[i].Message
		if m.ExternalID == "" {
			m.ExternalID = "ext-" + t.Name() + "-" + string(rune('a'+i))
		}
		if m.SentAt.IsZero() {
			m.SentAt = now.Add(-time.Duration(len(in)-i) * time.Hour)
		}
	}
	if _, err := d.Ingest(context.Background(), inbox.Batch{Account: "test", Messages: in}); err != nil {
		t.Fatal(err)
	}
}

func inMsg(ch inbox.ChannelKind, from inbox.Identity, name, text string) inbox.Incoming {
	return inbox.Incoming{Name: name, Message: inbox.Message{Channel: ch, Direction: inbox.In, Party: from, Text: text}}
}

func idOf(t *testing.T, d *inbox.Desk, ident inbox.Identity) inbox.CustomerID {
	t.Helper()
	id, ok, err := d.Store().Owner(ident)
	if err != nil || !ok {
		t.Fatalf("no owner of %v (%v)", ident, err)
	}
	return id
}

var (
	emilyMail  = inbox.Identity{Kind: inbox.KindEmail, Address: "emily.carter@example.com"}
	emilyPhone = inbox.Identity{Kind: inbox.KindPhone, Address: "+447700900318"}
	bobMail    = inbox.Identity{Kind: inbox.KindEmail, Address: "bob@example.org"}
	otherEmily = inbox.Identity{Kind: inbox.KindTelegram, Address: "5551234"}
	anonPhone  = inbox.Identity{Kind: inbox.KindPhone, Address: "+33639981142"}
)

func TestDrafts(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d, inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello"))
	id := idOf(t, d, emilyMail)

	tests := []struct {
		name string
		save inbox.Draft
		want inbox.Draft
	}{
		{"an answer", inbox.Draft{Channel: inbox.ChannelEmail, To: emilyMail, Subject: "Re: cake", Text: "Dear Emily,"},
			inbox.Draft{Channel: inbox.ChannelEmail, To: emilyMail, Subject: "Re: cake", Text: "Dear Emily,"}},
		{"a note replaces it", inbox.Draft{Text: "Call her back", Note: true}, inbox.Draft{Text: "Call her back", Note: true}},
		{"files alone are kept", inbox.Draft{Channel: inbox.ChannelEmail, Attachments: []inbox.Attachment{{Name: "devis.pdf", Type: "application/pdf", Size: 12, Blob: "abc"}}},
			inbox.Draft{Channel: inbox.ChannelEmail, Attachments: []inbox.Attachment{{Name: "devis.pdf", Type: "application/pdf", Size: 12, Blob: "abc"}}}},
		{"an empty draft deletes it", inbox.Draft{Channel: inbox.ChannelSMS, Text: "  "}, inbox.Draft{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.SaveDraft(id, tt.save); err != nil {
				t.Fatal(err)
			}
			got, err := d.Draft(id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("draft = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got, err := d.Draft(id + 100); err != nil || !reflect.DeepEqual(got, inbox.Draft{}) {
		t.Errorf("draft of a customer with none = %+v, %v", got, err)
	}
}

func TestAddressesIn(t *testing.T) {
	d := newDesk(t, false)
	tests := []struct {
		name string
		text string
		want []inbox.Identity
	}{
		{"nothing", "Do you open on Sundays?", nil},
		{"e-mail in a sentence", "Write to me at Emily.Carter@Example.com, please.", []inbox.Identity{emilyMail}},
		{"mailto and brackets", "(mailto:bob@example.org)", []inbox.Identity{bobMail}},
		{"phone with spaces", "My WhatsApp is +44 7700 900318.", []inbox.Identity{emilyPhone}},
		{"phone with 00 and dots", "call 0044.7700.900318 after 5", []inbox.Identity{emilyPhone}},
		{"matrix id", "I'm @jonas:matrix.example.org there", []inbox.Identity{{Kind: inbox.KindMatrix, Address: "@jonas:matrix.example.org"}}},
		{"order numbers and dates are not phones", "order 12345 of 2026-03-02 at 10:00", nil},
		{"each once", "bob@example.org or BOB@example.org", []inbox.Identity{bobMail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.AddressesIn(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("AddressesIn(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestSuggestions(t *testing.T) {
	d := newDesk(t, true)
	ingest(t, d,
		inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello, about the cake. You can also WhatsApp me: +44 7700 900318"),
		inMsg(inbox.ChannelWhatsApp, emilyPhone, "", "Hi it's me again"),
		inMsg(inbox.ChannelTelegram, otherEmily, "Émily  carter", "Hello from Telegram"),
		inMsg(inbox.ChannelEmail, bobMail, "Bob", "Emily asked me to write: her address is emily.carter@example.com"),
		inMsg(inbox.ChannelSMS, anonPhone, "", "Anyone there?"),
	)
	emily, phone, tg, bob := idOf(t, d, emilyMail), idOf(t, d, emilyPhone), idOf(t, d, otherEmily), idOf(t, d, bobMail)

	type sug struct {
		id       inbox.CustomerID
		evidence string
	}
	suggestions := func(t *testing.T, id inbox.CustomerID) []sug {
		t.Helper()
		list, err := d.Suggestions(context.Background(), id, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []sug
		for _, s := range list {
			if s.Reason == "" || s.Name == "" {
				t.Errorf("suggestion %+v has no reason or name", s)
			}
			out = append(out, sug{s.Customer, s.Evidence})
		}
		return out
	}

	want := []sug{{phone, inbox.EvidenceMentioned}, {bob, inbox.EvidenceMentioned}, {tg, inbox.EvidenceSameName}}
	if got := suggestions(t, emily); !slices.Equal(got, want) {
		t.Errorf("suggestions for Emily = %v, want %v", got, want)
	}
	// The phone customer has no name of their own (the number): nothing
	// says who they are from their side.
	if got := suggestions(t, phone); len(got) != 0 {
		t.Errorf("suggestions for the WhatsApp number = %v, want none", got)
	}

	if err := d.RejectSuggestion(tg, emily); err != nil {
		t.Fatal(err)
	}
	want = []sug{{phone, inbox.EvidenceMentioned}, {bob, inbox.EvidenceMentioned}}
	if got := suggestions(t, emily); !slices.Equal(got, want) {
		t.Errorf("after rejecting Telegram Emily: %v, want %v", got, want)
	}
	if got := suggestions(t, tg); len(got) != 0 {
		t.Errorf("the rejection is remembered both ways; got %v", got)
	}

	if _, err := d.Merge(emily, phone, "suggested"); err != nil {
		t.Fatal(err)
	}
	want = []sug{{bob, inbox.EvidenceMentioned}}
	if got := suggestions(t, emily); !slices.Equal(got, want) {
		t.Errorf("after merging the phone: %v, want %v", got, want)
	}
}

func TestFilterMatchAgreesWithCustomers(t *testing.T) {
	d := newDesk(t, false)
	ingest(t, d,
		inMsg(inbox.ChannelEmail, emilyMail, "Emily Carter", "Hello"),
		inMsg(inbox.ChannelWhatsApp, emilyPhone, "Emily", "Hi"),
		inMsg(inbox.ChannelEmail, bobMail, "Bob", "Hey"),
		inMsg(inbox.ChannelSMS, anonPhone, "", "Anyone?"),
	)
	if _, err := d.Resolve(idOf(t, d, bobMail), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Snooze(idOf(t, d, anonPhone), "test", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MarkRead(idOf(t, d, emilyMail)); err != nil {
		t.Fatal(err)
	}
	all, err := d.Customers(inbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	filters := []inbox.Filter{
		{}, {Status: inbox.Open}, {Status: inbox.Resolved}, {Status: inbox.Snoozed},
		{Channel: inbox.ChannelSMS}, {Channel: inbox.ChannelEmail, Status: inbox.Open},
		{Unread: true}, {Query: "EMILY"}, {Query: "+4477"},
	}
	for _, f := range filters {
		want, err := d.Customers(f)
		if err != nil {
			t.Fatal(err)
		}
		var got []inbox.CustomerID
		for i := range all {
			if f.Match(&all[i]) {
				got = append(got, all[i].ID)
			}
		}
		var wantIDs []inbox.CustomerID
		for _, c := range want {
			wantIDs = append(wantIDs, c.ID)
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("filter %+v: Match keeps %v, Customers lists %v", f, got, wantIDs)
		}
	}
}
