package inbox

import (
	"slices"
	"testing"
)

func TestSortByWaitingEscalatedFirst(t *testing.T) {
	cs := []Customer{
		{ID: 1, WaitingSince: at(10), LastMessageAt: at(10)},
		{ID: 2, WaitingSince: at(40), LastMessageAt: at(40), Labels: []string{"vip", LabelEscalated}},
		{ID: 3, LastMessageAt: at(50)},
		{ID: 4, WaitingSince: at(30), LastMessageAt: at(30), Labels: []string{LabelEscalated}},
		{ID: 5, WaitingSince: at(5), LastMessageAt: at(5)},
	}
	SortByWaiting(cs)
	var got []CustomerID
	for _, c := range cs {
		got = append(got, c.ID)
	}
	// Escalated first (longest wait first among them), then waiting, then the rest.
	if want := []CustomerID{4, 2, 5, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

// RFC 3834 §2: nothing automatic is answered automatically.
func TestMayAutoReply(t *testing.T) {
	own := func(id Identity) bool { return id.Address == "bonjour@fournil-cafe.example" }
	anna := Identity{KindEmail, "anna@example.org"}
	tests := []struct {
		name string
		m    Message
		want bool
	}{
		{"a person's message", Message{Direction: In, Party: anna}, true},
		{"an SMS", Message{Direction: In, Party: Identity{KindPhone, "+33639981142"}}, true},
		{"auto-replied", Message{Direction: In, Party: anna, Auto: "Auto-Submitted: auto-replied"}, false},
		{"bulk", Message{Direction: In, Party: anna, Auto: "Precedence: bulk"}, false},
		{"list", Message{Direction: In, Party: anna, Auto: "List-Id present"}, false},
		{"x-autoreply", Message{Direction: In, Party: anna, Auto: "X-Autoreply present"}, false},
		{"our own address", Message{Direction: In, Party: Identity{KindEmail, "bonjour@fournil-cafe.example"}}, false},
		{"no-reply", Message{Direction: In, Party: Identity{KindEmail, "no-reply@sumup.example"}}, false},
		{"do_not_reply", Message{Direction: In, Party: Identity{KindEmail, "Do_Not.Reply@x.example"}}, false},
		{"mailer-daemon", Message{Direction: In, Party: Identity{KindEmail, "mailer-daemon@x.example"}}, false},
		{"bounces", Message{Direction: In, Party: Identity{KindEmail, "bounces+123@x.example"}}, false},
		{"outbound", Message{Direction: Out, Party: anna}, false},
		{"no party", Message{Direction: In}, false},
	}
	for _, tt := range tests {
		if got := MayAutoReply(&tt.m, own); got != tt.want {
			t.Errorf("%s: MayAutoReply = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Acknowledgements and surveys are not answers; a survey score neither
// waits nor reopens.
func TestApplyAutomaticMessages(t *testing.T) {
	r := newReplay(t)
	r.run([]step{stepIn(ChannelEmail, 10)})
	r.apply(&Message{Direction: Out, Channel: ChannelEmail, Event: EventAck, SentAt: at(11), Text: "ack"})
	if r.c.Status != Open || minutes(r.c.WaitingSince) != 10 || !r.c.LastOutAt.IsZero() {
		t.Fatalf("after the ack: %s, waiting %d, last out %d; want open, waiting since 10", r.c.Status, minutes(r.c.WaitingSince), minutes(r.c.LastOutAt))
	}
	if got := r.apply(&Message{Direction: Out, Channel: ChannelEmail, Event: EventBotAnswer, SentAt: at(12), Text: "bot"}); !got {
		t.Error("a bot answer did not ask for a recompute")
	}
	if r.c.Status != Pending || !r.c.WaitingSince.IsZero() {
		t.Fatalf("after the bot's answer: %s, waiting %d; want pending, nothing waits", r.c.Status, minutes(r.c.WaitingSince))
	}
	r.run([]step{stepStatus(Resolved, 20)})
	r.apply(&Message{Direction: Out, Channel: ChannelEmail, Event: EventSurvey, SentAt: at(21), Text: "1-7?"})
	r.apply(&Message{Direction: In, Channel: ChannelEmail, Event: EventSurveyAnswer, SentAt: at(30), Text: "7"})
	if r.c.Status != Resolved || !r.c.WaitingSince.IsZero() || minutes(r.c.LastInboundAt) != 30 {
		t.Fatalf("after the survey answer: %s, waiting %d; want resolved, nothing waits", r.c.Status, minutes(r.c.WaitingSince))
	}
	r.run([]step{stepIn(ChannelSMS, 40)})
	if r.c.Status != Open || minutes(r.c.WaitingSince) != 40 {
		t.Fatalf("a real message after: %s, waiting %d; want open since 40", r.c.Status, minutes(r.c.WaitingSince))
	}
	e := func(d Direction, ev string, min int) Entry { return Entry{Direction: d, Event: ev, SentAt: at(min)} }
	if got := Waiting([]Entry{e(Out, EventAck, 50), e(In, "", 40), e(Out, EventSurvey, 30), e(In, "", 25), e(Out, "", 20)}); minutes(got) != 25 {
		t.Errorf("Waiting through an ack and a survey = %d, want 25", minutes(got))
	}
	if got := Waiting([]Entry{e(In, EventSurveyAnswer, 50), e(Out, "", 20)}); !got.IsZero() {
		t.Errorf("a survey answer waits since %d", minutes(got))
	}
}

func TestSenderRules(t *testing.T) {
	r := SenderRules{Customers: []string{"email:shop@noreply-partner.example", "email:@friends.example"}, Others: []string{"email:@newsletter.example", "phone:+33612345678", "email:vip@newsletter.example"}}
	r.Customers = append(r.Customers, "email:vip@newsletter.example")
	r.Others = slices.DeleteFunc(r.Others, func(s string) bool { return s == "email:vip@newsletter.example" })
	tests := []struct {
		in        Incoming
		other     bool
		wantParty Identity
	}{
		{Incoming{Message: Message{Direction: In, Channel: ChannelEmail, Party: Identity{KindEmail, "news@newsletter.example"}}}, true, Identity{KindEmail, "news@newsletter.example"}},
		{Incoming{Message: Message{Direction: In, Channel: ChannelEmail, Party: Identity{KindEmail, "vip@newsletter.example"}}}, false, Identity{KindEmail, "vip@newsletter.example"}},
		{Incoming{Message: Message{Direction: In, Channel: ChannelEmail, From: "Shop <shop@noreply-partner.example>"}, Other: true}, false, Identity{KindEmail, "shop@noreply-partner.example"}},
		{Incoming{Message: Message{Direction: In, Channel: ChannelSMS, Party: Identity{KindPhone, "+33612345678"}}}, true, Identity{KindPhone, "+33612345678"}},
		{Incoming{Message: Message{Direction: In, Channel: ChannelEmail, Party: Identity{KindEmail, "a@elsewhere.example"}}}, false, Identity{KindEmail, "a@elsewhere.example"}},
		{Incoming{Message: Message{Direction: In, Channel: ChannelEmail, Party: Identity{KindEmail, "list@lists.example"}}, Other: true}, true, Identity{KindEmail, "list@lists.example"}},
		{Incoming{Message: Message{Direction: Out, Channel: ChannelEmail, Party: Identity{KindEmail, "x@newsletter.example"}}}, false, Identity{KindEmail, "x@newsletter.example"}},
	}
	for i, tt := range tests {
		in := tt.in
		r.apply(&in)
		if in.Other != tt.other || in.Message.Party != tt.wantParty {
			t.Errorf("%d: other %v party %v, want %v %v", i, in.Other, in.Message.Party, tt.other, tt.wantParty)
		}
	}
	for raw, want := range map[string]string{
		"Anna <Anna@Example.org>": "email:anna@example.org",
		"@Newsletter.example":     "email:@newsletter.example",
		"+33 6 12 34 56 78":       "phone:+33612345678",
		"telegram:5512345678":     "telegram:5512345678",
		"matrix:@Jo:example.org":  "matrix:@jo:example.org",
	} {
		if got, err := NormalizeSender(raw, nil); err != nil || got != want {
			t.Errorf("NormalizeSender(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "@", "@nodot", "0612345678", "hello"} {
		if got, err := NormalizeSender(bad, nil); err == nil {
			t.Errorf("NormalizeSender(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSummaryText(t *testing.T) {
	newestFirst := []Message{
		{Direction: Note, Author: "Hugo", Text: "Layer cake, 85 EUR.\nNeeds 48 h.", SentAt: at(50)},
		{Direction: Event, Event: EventResolved, SentAt: at(40)},
		{Direction: Out, Channel: ChannelSMS, Author: "Camille", Text: "Oui avec plaisir ! Envoyez-nous le thème.", SentAt: at(30)},
		{Direction: In, Channel: ChannelSMS, Text: "Vous faites des gâteaux personnalisés ?", SentAt: at(20)},
		{Direction: In, Channel: ChannelEmail, Subject: "Gâteau 40 ans", Text: "Bonjour", SentAt: at(10)},
		{Direction: Out, Channel: ChannelEmail, Text: "first", SentAt: at(5)},
	}
	got := SummaryText(ChannelTelegram, newestFirst, nil)
	want := "First message on telegram. Before, this customer wrote on sms, email.\n" +
		"Status: resolved since 2026-03-29 09:40\n" +
		"Last subject: Gâteau 40 ans\n" +
		"Last messages:\n" +
		"  ← email 2026-03-29 09:10: Bonjour\n" +
		"  ← sms 2026-03-29 09:20: Vous faites des gâteaux personnalisés ?\n" +
		"  → sms 2026-03-29 09:30 (Camille): Oui avec plaisir ! Envoyez-nous le thème.\n" +
		"Latest note (Hugo): Layer cake, 85 EUR. Needs 48 h."
	if got != want {
		t.Errorf("summary =\n%s\nwant\n%s", got, want)
	}
}
