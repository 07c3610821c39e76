package servicetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage/storagetest"
)

// clock is a fake clock the tests move by hand.
type clock struct{ at atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.at.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.at.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// must returns v, or ends the test (by a panic the test runner reports)
// when err is not nil.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// shop is one business: a Desk over a fresh store, its clock, its hours
// (Tuesday to Saturday 7:00-19:00, Sunday 8:00-13:30, Europe/Paris) and the
// default answer library.
type shop struct {
	t     *testing.T
	desk  *inbox.Desk
	clock *clock
	name  string
	email string
	phone string
	seq   int
}

// saturdayNight is 28 March 2026, 21:00 in Paris: closed, and the clocks
// go forward overnight.
var saturdayNight = time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC)

// tuesdayMorning is 31 March 2026, 10:00 in Paris: open.
var tuesdayMorning = time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC)

func newShop(t *testing.T, name, email, phone string, at time.Time) *shop {
	t.Helper()
	c := newClock(at)
	s := &shop{t: t, desk: inbox.NewDesk(storagetest.MustOpen(t, nil), &inbox.Options{Clock: c.now}), clock: c, name: name, email: email, phone: phone}
	h := inbox.Hours{Zone: "Europe/Paris"}
	for d := time.Tuesday; d <= time.Saturday; d++ {
		h.Week[d] = []inbox.Span{{From: 7 * 60, To: 19 * 60}}
	}
	h.Week[time.Sunday] = []inbox.Span{{From: 8 * 60, To: 13*60 + 30}}
	if err := s.desk.SetHours(h); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../assets/answers.json")
	if err != nil {
		t.Fatal(err)
	}
	lib := must(inbox.ParseAnswers(raw))
	if err := s.desk.SetAnswers(lib); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.UpdateService(func(svc *inbox.Service) error {
		svc.BusinessName, svc.Lang = name, "fr"
		svc.Own = []string{"email:" + email, "phone:" + phone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *shop) configure(edit func(*inbox.Service)) {
	s.t.Helper()
	if _, err := s.desk.UpdateService(func(svc *inbox.Service) error { edit(svc); return nil }); err != nil {
		s.t.Fatal(err)
	}
}

// receive ingests one inbound message as a channel would.
func (s *shop) receive(in inbox.Incoming) inbox.IngestResult {
	s.t.Helper()
	s.seq++
	m := &in.Message
	m.Direction = inbox.In
	if m.ExternalID == "" {
		m.ExternalID = fmt.Sprintf("%s-in-%d", s.name, s.seq)
	}
	if m.Account == "" {
		m.Account = "shop-" + string(m.Channel)
	}
	if m.SentAt.IsZero() {
		m.SentAt = s.clock.now()
	}
	return must(s.desk.Ingest(context.Background(), inbox.Batch{Account: m.Account, Messages: []inbox.Incoming{in}}))
}

func (s *shop) text(ch inbox.ChannelKind, from inbox.Identity, name, text string) inbox.CustomerID {
	s.t.Helper()
	s.receive(inbox.Incoming{Name: name, Message: inbox.Message{Channel: ch, Party: from, From: from.Address, Text: text}})
	id, ok, err := s.desk.Store().Owner(from)
	if err != nil || !ok {
		s.t.Fatalf("no customer owns %s (%v)", from, err)
	}
	return id
}

func (s *shop) timeline(id inbox.CustomerID) []inbox.Message {
	s.t.Helper()
	return must(s.desk.Timeline(id, "", 500)).Messages
}

func (s *shop) customer(id inbox.CustomerID) inbox.Customer {
	s.t.Helper()
	return must(s.desk.Customer(id))
}

// automatic returns the customer's messages with the given event.
func (s *shop) automatic(id inbox.CustomerID, event string) []inbox.Message {
	var out []inbox.Message
	for _, m := range s.timeline(id) {
		if m.Event == event {
			out = append(out, m)
		}
	}
	return out
}

var (
	anna  = inbox.Identity{Kind: inbox.KindPhone, Address: "+33639981142"}
	annaE = inbox.Identity{Kind: inbox.KindEmail, Address: "anna@example.org"}
	tom   = inbox.Identity{Kind: inbox.KindTelegram, Address: "5512345678"}
)

func TestAcknowledgement(t *testing.T) {
	s := newShop(t, "Fournil & Café", "bonjour@fournil.example", "+33465712020", saturdayNight)
	s.configure(func(svc *inbox.Service) {
		svc.Ack = inbox.AckRule{Enabled: true, Channels: []inbox.ChannelKind{inbox.ChannelSMS, inbox.ChannelEmail}, EveryHours: 12}
	})
	id := s.text(inbox.ChannelSMS, anna, "Anna Martin", "Bonjour, je voudrais un fraisier pour 8 pour mardi")
	acks := s.automatic(id, inbox.EventAck)
	if len(acks) != 1 {
		t.Fatalf("%d acknowledgements, want 1: %+v", len(acks), s.timeline(id))
	}
	a := acks[0]
	if a.Direction != inbox.Out || a.Author != inbox.BotAuthor || a.Auto != inbox.AutoReplied || a.State != inbox.StateQueued || a.Channel != inbox.ChannelSMS || a.Party != anna {
		t.Errorf("acknowledgement = %+v", a)
	}
	for _, want := range []string{"Bonjour Anna", "Fournil & Café est fermé", "demain à 8h", "du mardi au samedi 7h-19h"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("acknowledgement %q does not say %q", a.Text, want)
		}
	}
	if c := s.customer(id); c.Status != inbox.Open || c.WaitingSince.IsZero() {
		t.Errorf("after the acknowledgement the customer is %s, waiting since %v; want open and waiting", c.Status, c.WaitingSince)
	}
	// Within 12 hours, on any channel: no second one.
	s.clock.add(2 * time.Hour)
	s.text(inbox.ChannelSMS, anna, "", "Et aussi une baguette")
	if n := len(s.automatic(id, inbox.EventAck)); n != 1 {
		t.Errorf("%d acknowledgements after a second message 2 h later, want 1", n)
	}
	// Monday (closed) 13 hours later: a new one.
	s.clock.add(35 * time.Hour)
	s.text(inbox.ChannelSMS, anna, "", "Vous êtes là ?")
	if n := len(s.automatic(id, inbox.EventAck)); n != 2 {
		t.Errorf("%d acknowledgements after 37 h, want 2", n)
	}
	// Open hours: nothing, unless the rule says always.
	s.clock.set(tuesdayMorning)
	tomID := s.text(inbox.ChannelTelegram, tom, "Tom", "Hello") // Telegram is not in the rule
	bob := inbox.Identity{Kind: inbox.KindEmail, Address: "bob@example.net"}
	bobID := s.text(inbox.ChannelEmail, bob, "Bob", "Hello, a question about my order")
	if n := len(s.automatic(bobID, inbox.EventAck)) + len(s.automatic(tomID, inbox.EventAck)); n != 0 {
		t.Errorf("%d acknowledgements during opening hours", n)
	}
	s.configure(func(svc *inbox.Service) { svc.Ack.Always = true })
	s.clock.add(time.Minute)
	s.text(inbox.ChannelEmail, bob, "", "Hello again")
	acks = s.automatic(bobID, inbox.EventAck)
	if len(acks) != 1 || !strings.Contains(acks[0].Text, "will answer as soon as we can") && !strings.Contains(acks[0].Text, "répondons au plus vite") {
		t.Fatalf("always-on acknowledgement = %+v", acks)
	}
	if acks[0].HTML == "" || acks[0].Subject != "" && !strings.HasPrefix(acks[0].Subject, "Re:") {
		t.Errorf("e-mail acknowledgement without its HTML part: %+v", acks[0])
	}
}

// Nothing automatic answers what RFC 3834 §2 forbids, nor old messages.
func TestAcknowledgementNeverTo(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", saturdayNight)
	s.configure(func(svc *inbox.Service) { svc.Ack = inbox.AckRule{Enabled: true, Always: true} })
	tests := []struct {
		name string
		in   inbox.Incoming
	}{
		{"auto-replied", inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelEmail, Party: inbox.Identity{Kind: inbox.KindEmail, Address: "ooo@example.org"}, Auto: "Auto-Submitted: auto-replied", Text: "I am out of the office"}}},
		{"list (routed to Other)", inbox.Incoming{Other: true, Message: inbox.Message{Channel: inbox.ChannelEmail, Party: inbox.Identity{Kind: inbox.KindEmail, Address: "news@minoterie.example"}, Auto: "List-Id present", Text: "Newsletter"}}},
		{"bulk kept as a customer by a rule", inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelEmail, Party: inbox.Identity{Kind: inbox.KindEmail, Address: "promo@example.org"}, Auto: "Precedence: bulk", Text: "Promo"}}},
		{"our own address", inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelEmail, Party: inbox.Identity{Kind: inbox.KindEmail, Address: "bonjour@fournil.example"}, Text: "Note to self"}}},
		{"no-reply", inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelEmail, Party: inbox.Identity{Kind: inbox.KindEmail, Address: "no-reply@shop.example"}, Text: "Your receipt"}}},
		{"a backfill", inbox.Incoming{Message: inbox.Message{Channel: inbox.ChannelSMS, Party: anna, SentAt: saturdayNight.Add(-3 * 24 * time.Hour), Text: "an old question"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.receive(tt.in)
			for _, c := range must(s.desk.Customers(inbox.Filter{})) {
				if n := len(s.automatic(c.ID, inbox.EventAck)); n != 0 {
					t.Fatalf("%s got %d acknowledgements", c.Name, n)
				}
			}
			if n := len(must(s.desk.Store().Outbox())); n != 0 {
				t.Fatalf("%d messages in the outbox", n)
			}
		})
	}
}

// wire carries what one shop's outbox sends to the other shop, as the
// networks would: an e-mail keeps its headers, so an automatic one arrives
// marked (the e-mail parser sees Auto-Submitted and routes it to Other,
// with Message.Auto saying why); an SMS has no headers at all.
func wire(t *testing.T, from, to *shop) int {
	t.Helper()
	out := must(from.desk.Store().Outbox())
	for _, m := range out {
		if _, err := from.desk.Store().UpdateMessage(m.ID, func(m *inbox.Message) error { m.State = inbox.StateSent; return nil }); err != nil {
			t.Fatal(err)
		}
		in := inbox.Incoming{Name: from.name, Message: inbox.Message{Channel: m.Channel, Text: m.Text, SentAt: to.clock.now()}}
		switch m.Channel {
		case inbox.ChannelEmail:
			in.Message.Party = inbox.Identity{Kind: inbox.KindEmail, Address: from.email}
			if m.Auto != "" {
				in.Message.Auto = "Auto-Submitted: " + m.Auto
				in.Other = true
			}
		case inbox.ChannelSMS:
			in.Message.Party = inbox.Identity{Kind: inbox.KindPhone, Address: from.phone}
		default:
			t.Fatalf("no wire for %s", m.Channel)
		}
		to.receive(in)
	}
	return len(out)
}

// automaticSent counts a shop's automatic messages by event.
func automaticSent(t *testing.T, s *shop) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, c := range must(s.desk.Customers(inbox.Filter{})) {
		for _, m := range s.timeline(c.ID) {
			if m.Direction == inbox.Out && m.Author == inbox.BotAuthor {
				n[m.Event]++
			}
		}
	}
	return n
}

// Two Couture desks with every automation on, acknowledging each other:
// each sends at most one acknowledgement and the exchange stops.
func TestTwoCouturesDoNotLoop(t *testing.T) {
	openers := []struct{ name, text string }{
		{"escalated", "Bonjour, quels sont vos horaires de livraison de farine cette semaine ?"},
		{"bot", "Bonjour, vous êtes ouverts le dimanche ?"},
	}
	for _, ch := range []inbox.ChannelKind{inbox.ChannelEmail, inbox.ChannelSMS} {
		for _, op := range openers {
			name, opener := op.name, op.text
			t.Run(string(ch)+"/"+name, func(t *testing.T) {
				a := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", saturdayNight)
				b := newShop(t, "Minoterie", "contact@minoterie.example", "+33465712099", saturdayNight)
				for _, s := range []*shop{a, b} {
					s.configure(func(svc *inbox.Service) {
						svc.Ack = inbox.AckRule{Enabled: true, Always: true}
						svc.Bot = inbox.BotRule{Enabled: true}
					})
				}
				// A person at the mill writes to the bakery from the mill's
				// own address, outside Couture.
				first := inbox.Incoming{Name: "Minoterie", Message: inbox.Message{Channel: ch, Text: opener}}
				if ch == inbox.ChannelEmail {
					first.Message.Party = inbox.Identity{Kind: inbox.KindEmail, Address: b.email}
				} else {
					first.Message.Party = inbox.Identity{Kind: inbox.KindPhone, Address: b.phone}
				}
				a.receive(first)
				rounds := 0
				for ; rounds < 20; rounds++ {
					a.clock.add(time.Minute)
					b.clock.add(time.Minute)
					if wire(t, a, b)+wire(t, b, a) == 0 {
						break
					}
				}
				if rounds == 20 {
					t.Fatal("the two desks were still writing to each other after 20 rounds")
				}
				na, nb := automaticSent(t, a), automaticSent(t, b)
				t.Logf("%s: %d rounds; bakery sent %v, mill sent %v", ch, rounds, na, nb)
				if na[inbox.EventAck] > 1 || nb[inbox.EventAck] > 1 {
					t.Errorf("acknowledgements: bakery %d, mill %d; want at most one each", na[inbox.EventAck], nb[inbox.EventAck])
				}
				if na[inbox.EventBotAnswer] > 1 || nb[inbox.EventBotAnswer] > 1 {
					t.Errorf("bot answers: bakery %d, mill %d; want at most one each", na[inbox.EventBotAnswer], nb[inbox.EventBotAnswer])
				}
				if ch == inbox.ChannelEmail && (nb[inbox.EventAck] != 0 || nb[inbox.EventBotAnswer] != 0) {
					t.Errorf("the mill answered an auto-submitted e-mail: %v", nb)
				}
			})
		}
	}
}

// An acknowledgement does not answer: a merge (which recomputes the wait
// from the timeline) keeps the customer waiting.
func TestMergeAfterAcknowledgementKeepsWaiting(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", saturdayNight)
	s.configure(func(svc *inbox.Service) { svc.Ack = inbox.AckRule{Enabled: true} })
	id := s.text(inbox.ChannelSMS, anna, "Anna", "Bonjour, un fraisier pour mardi ?")
	since := s.customer(id).WaitingSince
	s.clock.add(time.Minute)
	other := s.text(inbox.ChannelEmail, annaE, "Anna M.", "C'est Anna, je vous écris aussi par mail")
	s.clock.add(time.Minute)
	must(s.desk.Merge(id, other, "same person"))
	if got := s.customer(id).WaitingSince; !got.Equal(since) {
		t.Fatalf("after the merge Anna waits since %v, want %v", got, since)
	}
}

func TestBotAnswersThenEscalates(t *testing.T) {
	s := newShop(t, "Fournil & Café", "bonjour@fournil.example", "+33465712020", tuesdayMorning)
	s.configure(func(svc *inbox.Service) {
		svc.Bot = inbox.BotRule{Enabled: true}
		svc.Ack = inbox.AckRule{Enabled: true}
	})
	id := s.text(inbox.ChannelWhatsApp, anna, "Anna Martin", "Bonjour, vous êtes ouverts le dimanche ?")
	bot := s.automatic(id, inbox.EventBotAnswer)
	if len(bot) != 1 {
		t.Fatalf("%d bot answers: %+v", len(bot), s.timeline(id))
	}
	m := bot[0]
	for _, want := range []string{"Bonjour Anna", "Fournil & Café est ouvert du mardi au samedi 7h-19h", "Répondez CONSEILLER pour parler à quelqu'un."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("bot answer %q does not say %q", m.Text, want)
		}
	}
	if m.Author != inbox.BotAuthor || m.Auto != inbox.AutoReplied || m.Channel != inbox.ChannelWhatsApp || m.Party != anna {
		t.Errorf("bot answer = %+v", m)
	}
	if c := s.customer(id); c.Status != inbox.Pending || !c.WaitingSince.IsZero() || c.Escalated() {
		t.Errorf("after the bot's answer: %s, waiting %v, labels %v; want pending", c.Status, c.WaitingSince, c.Labels)
	}
	// A thank-you is left alone; asking for a person escalates.
	s.clock.add(time.Minute)
	s.text(inbox.ChannelWhatsApp, anna, "", "Merci !")
	if c := s.customer(id); c.Escalated() || len(s.automatic(id, inbox.EventBotAnswer)) != 1 {
		t.Errorf("a thank-you escalated or got an answer: %+v", c)
	}
	s.clock.add(time.Minute)
	other := s.text(inbox.ChannelSMS, inbox.Identity{Kind: inbox.KindPhone, Address: "+33639980000"}, "Zoé", "Bonjour, je voudrais une baguette")
	s.clock.add(time.Minute)
	s.text(inbox.ChannelWhatsApp, anna, "", "CONSEILLER")
	c := s.customer(id)
	if !c.Escalated() || c.Status != inbox.Open || c.WaitingSince.IsZero() {
		t.Fatalf("after CONSEILLER: %s, waiting %v, labels %v; want open, waiting, escalated", c.Status, c.WaitingSince, c.Labels)
	}
	ev := s.automatic(id, inbox.EventEscalated)
	if len(ev) != 1 || ev[0].Direction != inbox.Event || !strings.Contains(ev[0].Text, "person") {
		t.Errorf("escalation events = %+v", ev)
	}
	list := must(s.desk.Customers(inbox.Filter{}))
	if list[0].ID != id || list[1].ID != other {
		t.Errorf("list order = %v, %v…; want the escalated customer first, then Zoé waiting since earlier", list[0].Name, list[1].Name)
	}
	// The bot stays quiet now; a person's answer ends the escalation.
	s.clock.add(time.Minute)
	s.text(inbox.ChannelWhatsApp, anna, "", "Vous êtes ouverts le lundi ?")
	if n := len(s.automatic(id, inbox.EventBotAnswer)); n != 1 {
		t.Errorf("the bot answered an escalated customer (%d answers)", n)
	}
	must(s.desk.Reply(context.Background(), inbox.Reply{Customer: id, Channel: inbox.ChannelWhatsApp, Text: "Bonjour Anna, c'est Camille !", Author: "Camille"}))
	if c := s.customer(id); c.Escalated() {
		t.Errorf("still escalated after a person answered: %v", c.Labels)
	}
	// A complaint escalates at once, with the reason.
	bob := s.text(inbox.ChannelTelegram, tom, "Tom", "I want a refund, the cake was dry")
	if c := s.customer(bob); !c.Escalated() || len(s.automatic(bob, inbox.EventBotAnswer)) != 0 {
		t.Errorf("complaint: labels %v", c.Labels)
	}
	if ev := s.automatic(bob, inbox.EventEscalated); len(ev) != 1 || !strings.Contains(ev[0].Text, "negative word (refund)") {
		t.Errorf("complaint escalation = %+v", ev)
	}
}

func TestSurvey(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", tuesdayMorning)
	s.configure(func(svc *inbox.Service) { svc.Survey = inbox.SurveyRule{Enabled: true, Kind: inbox.CSAT} })
	// Anna wrote by e-mail, then by SMS: the survey goes by SMS.
	id := s.text(inbox.ChannelEmail, annaE, "Anna", "Hello, is my cake ready?")
	must(s.desk.Reply(context.Background(), inbox.Reply{Customer: id, Channel: inbox.ChannelEmail, Text: "Yes!", Author: "Camille"}))
	s.clock.add(time.Minute)
	s.receive(inbox.Incoming{Links: []inbox.Identity{annaE}, Message: inbox.Message{Channel: inbox.ChannelSMS, Party: anna, Text: "Great, coming at 5pm"}})
	must(s.desk.Resolve(id, "Camille"))
	q := s.automatic(id, inbox.EventSurvey)
	if len(q) != 1 || q[0].Channel != inbox.ChannelSMS || q[0].Survey == nil || q[0].Survey.Kind != inbox.CSAT || q[0].Author != inbox.BotAuthor || q[0].Auto != inbox.AutoGenerated {
		t.Fatalf("survey = %+v", q)
	}
	if !strings.Contains(q[0].Text, "how satisfied") {
		t.Errorf("survey in the wrong language: %q", q[0].Text)
	}
	s.clock.add(time.Hour)
	s.text(inbox.ChannelSMS, anna, "", "5 😊 merci")
	ans := s.automatic(id, inbox.EventSurveyAnswer)
	if len(ans) != 1 || ans[0].Survey == nil || *ans[0].Survey != (inbox.SurveyScore{Kind: inbox.CSAT, Score: 5}) {
		t.Fatalf("survey answer = %+v", ans)
	}
	if c := s.customer(id); c.Status != inbox.Resolved || !c.WaitingSince.IsZero() {
		t.Errorf("after the survey answer: %s, waiting %v; want resolved", c.Status, c.WaitingSince)
	}
	st := must(s.desk.Stats())
	if st.CSATCount != 1 || *st.CSATAverage != 5 || st.SurveysSent != 1 {
		t.Errorf("stats CSAT %v (%d), surveys sent %d", st.CSATAverage, st.CSATCount, st.SurveysSent)
	}
	// The next message is a normal one again, and reopens.
	s.clock.add(time.Hour)
	s.text(inbox.ChannelSMS, anna, "", "5")
	if c := s.customer(id); c.Status != inbox.Open || len(s.automatic(id, inbox.EventSurveyAnswer)) != 1 {
		t.Errorf("a later \"5\" was read as a survey answer (%s)", c.Status)
	}
	// An unparsable reply stays a normal message and reopens.
	tomID := s.text(inbox.ChannelTelegram, tom, "Tom", "Do you have croissants?")
	must(s.desk.Resolve(tomID, "Camille"))
	s.clock.add(time.Minute)
	s.text(inbox.ChannelTelegram, tom, "", "Also, can I order a cake for Friday?")
	if c := s.customer(tomID); c.Status != inbox.Open || len(s.automatic(tomID, inbox.EventSurveyAnswer)) != 0 {
		t.Errorf("an unparsable reply: %s", c.Status)
	}
	if b, _ := s.desk.Store().Setting(inbox.SettingSurveys); b != nil {
		t.Errorf("surveys still pending: %s", b)
	}
}

func TestContinuitySummary(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", saturdayNight.Add(-3*24*time.Hour))
	id := s.text(inbox.ChannelSMS, anna, "Nathalie Dupont", "Bonjour, un gâteau pour 15 personnes dans deux semaines ?")
	s.clock.add(time.Hour)
	must(s.desk.Reply(context.Background(), inbox.Reply{Customer: id, Channel: inbox.ChannelSMS, Text: "Oui, envoyez-nous une photo du modèle.", Author: "Camille"}))
	must(s.desk.Note(id, "Hugo", "Layer cake 85 EUR, il me faut 48 h."))
	if n := len(s.automatic(id, inbox.EventSummary)); n != 0 {
		t.Fatalf("%d summaries before any new channel", n)
	}
	s.clock.set(saturdayNight)
	// She writes on Telegram and shares her contact card: same customer.
	s.receive(inbox.Incoming{Name: "Nathalie", Links: []inbox.Identity{anna}, Message: inbox.Message{Channel: inbox.ChannelTelegram, Party: tom, Text: "C'est Nathalie, voici le modèle"}})
	tl := s.timeline(id)
	sum := s.automatic(id, inbox.EventSummary)
	if len(sum) != 1 {
		t.Fatalf("%d summaries, want 1: %+v", len(sum), tl)
	}
	if last := tl[len(tl)-1]; last.Event != inbox.EventSummary || tl[len(tl)-2].Channel != inbox.ChannelTelegram {
		t.Errorf("the summary is not right after the Telegram message: %+v", tl[len(tl)-2:])
	}
	for _, want := range []string{"First message on telegram", "wrote on sms", "Status: pending", "un gâteau pour 15 personnes", "(Camille): Oui, envoyez-nous", "Latest note (Hugo): Layer cake"} {
		if !strings.Contains(sum[0].Text, want) {
			t.Errorf("summary does not say %q:\n%s", want, sum[0].Text)
		}
	}
	s.clock.add(time.Minute)
	s.text(inbox.ChannelTelegram, tom, "", "Et pour samedi ?")
	s.clock.add(time.Minute)
	s.text(inbox.ChannelWhatsApp, anna, "", "Je vous écris aussi ici")
	if n := len(s.automatic(id, inbox.EventSummary)); n != 2 {
		t.Errorf("%d summaries after a second Telegram message and a first WhatsApp one, want 2", n)
	}
	// Two first messages on a new channel in one batch: one summary, after
	// the first of them.
	bob := inbox.Identity{Kind: inbox.KindEmail, Address: "bob@example.net"}
	bobID := s.text(inbox.ChannelEmail, bob, "Bob", "Hello")
	s.clock.add(time.Hour)
	mx := inbox.Identity{Kind: inbox.KindMatrix, Address: "@bob:example.net"}
	msg := func(n int) inbox.Incoming {
		return inbox.Incoming{Links: []inbox.Identity{bob}, Message: inbox.Message{Direction: inbox.In, Channel: inbox.ChannelMatrix, Account: "mx", Party: mx,
			ExternalID: fmt.Sprintf("mx-%d", n), Text: fmt.Sprintf("message %d", n), SentAt: s.clock.now().Add(time.Duration(n) * time.Second)}}
	}
	must(s.desk.Ingest(context.Background(), inbox.Batch{Account: "mx", Messages: []inbox.Incoming{msg(2), msg(1)}}))
	tl = s.timeline(bobID)
	var order []string
	for _, m := range tl {
		order = append(order, cmpOr(m.Event, m.Text))
	}
	if strings.Join(order, "|") != "Hello|merged|message 1|summary|message 2" {
		t.Errorf("timeline = %v, want the summary right after the first Matrix message", order)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestSenderRulesAtIngest(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", tuesdayMorning)
	news := inbox.Identity{Kind: inbox.KindEmail, Address: "news@minoterie.example"}
	if _, err := s.desk.TeachSender("@minoterie.example", false); err != nil {
		t.Fatal(err)
	}
	res := s.receive(inbox.Incoming{Name: "Minoterie", Message: inbox.Message{Channel: inbox.ChannelEmail, Party: news, Text: "Nos farines de printemps"}})
	if res.NewCustomers != 0 || !res.Touched[inbox.OtherID] {
		t.Errorf("a sender taught as not a customer made a customer: %+v", res)
	}
	// A supplier whose mails look automated, taught as a customer.
	shopE := inbox.Identity{Kind: inbox.KindEmail, Address: "noreply@laiterie.example"}
	if _, err := s.desk.TeachSender("noreply@laiterie.example", true); err != nil {
		t.Fatal(err)
	}
	res = s.receive(inbox.Incoming{Other: true, Name: "Laiterie", Message: inbox.Message{Channel: inbox.ChannelEmail, Party: shopE, From: shopE.Address, Auto: "no-reply sender", Text: "Votre commande de beurre"}})
	if res.NewCustomers != 1 {
		t.Errorf("a sender taught as a customer went to Other: %+v", res)
	}
	r := must(s.desk.SenderRules())
	if !slices.Contains(r.Customers, "email:noreply@laiterie.example") || !slices.Contains(r.Others, "email:@minoterie.example") {
		t.Errorf("rules = %+v", r)
	}
	// Teaching the opposite replaces the rule.
	must(s.desk.TeachSender("@minoterie.example", true))
	if r := must(s.desk.SenderRules()); slices.Contains(r.Others, "email:@minoterie.example") {
		t.Errorf("rules = %+v", r)
	}
	if _, err := s.desk.ForgetSender("nobody@x.example"); inbox.ErrorCode(err) != inbox.NotFound {
		t.Errorf("forget an unknown sender: %v", err)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", tuesdayMorning)
	h, ok := must2(t, s.desk.Hours)
	if !ok || h.Zone != "Europe/Paris" || !h.Open(tuesdayMorning) {
		t.Errorf("hours = %+v", h)
	}
	svc := must(s.desk.Service())
	if svc.BusinessName != "Fournil" || svc.FCRDays != 7 || svc.Ack.EveryHours != 24 || svc.Survey.Kind != inbox.CES {
		t.Errorf("service = %+v", svc)
	}
	if _, err := s.desk.UpdateService(func(svc *inbox.Service) error { svc.Lang = "de"; return nil }); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("language de: %v", err)
	}
	a := must(s.desk.AddAnswer(inbox.Answer{Title: "Parking vélo", Body: "Oui, devant la boutique.", Keywords: []string{"vélo"}, Lang: "fr"}))
	if a.ID != "parking-velo" {
		t.Errorf("id = %q", a.ID)
	}
	if _, err := s.desk.AddAnswer(a); inbox.ErrorCode(err) != inbox.Conflict {
		t.Errorf("adding twice: %v", err)
	}
	if _, err := s.desk.AddAnswer(inbox.Answer{Title: "X", Body: "Hello {name}"}); inbox.ErrorCode(err) != inbox.Invalid {
		t.Errorf("unknown placeholder: %v", err)
	}
	r := must(s.desk.RenderAnswer("hours-en", &inbox.Customer{Name: "Tom Becker"}, inbox.ChannelEmail))
	if !strings.Contains(r.Text, "Hello Tom,") || !strings.Contains(r.HTML, "<p>Fournil is open Tuesday to Saturday 7:00-19:00") {
		t.Errorf("render = %+v", r)
	}
	b, _ := json.Marshal(must(s.desk.Answers()))
	if !strings.Contains(string(b), "parking-velo") {
		t.Error("answer not saved")
	}
}

func must2[A, B any](t *testing.T, fn func() (A, B, error)) (A, B) {
	t.Helper()
	a, b, err := fn()
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// Teaching a sender moves the messages stored before the rule: out of
// Other into a new customer, and back.
func TestTeachSenderMovesStoredMessages(t *testing.T) {
	s := newShop(t, "Fournil", "bonjour@fournil.example", "+33465712020", tuesdayMorning)
	sup := inbox.Identity{Kind: inbox.KindEmail, Address: "commandes@laiterie.example"}
	for i, text := range []string{"Facture de mars", "Livraison de beurre jeudi"} {
		s.receive(inbox.Incoming{Other: true, Name: "Laiterie", Message: inbox.Message{
			Channel: inbox.ChannelEmail, Party: sup, From: sup.Address, FromName: "Laiterie des Monts",
			ExternalID: fmt.Sprint("lait-", i), Text: text,
		}})
	}
	if cs := must(s.desk.Customers(inbox.Filter{})); len(cs) != 0 {
		t.Fatalf("Other mail made customers: %+v", cs)
	}
	must(s.desk.TeachSender("@laiterie.example", true))
	cs := must(s.desk.Customers(inbox.Filter{}))
	if len(cs) != 1 || cs[0].MessageCount != 2 || cs[0].Name != "Laiterie des Monts" || !cs[0].Has(sup) {
		t.Fatalf("after 'this is a customer': %+v", cs)
	}
	if p := must(s.desk.Timeline(inbox.OtherID, "", 10)); len(p.Messages) != 0 {
		t.Fatalf("Other still holds %d messages", len(p.Messages))
	}
	must(s.desk.TeachSender("commandes@laiterie.example", false))
	if cs := must(s.desk.Customers(inbox.Filter{})); len(cs) != 0 {
		t.Fatalf("after 'not a customer': %+v", cs)
	}
	if p := must(s.desk.Timeline(inbox.OtherID, "", 10)); len(p.Messages) != 2 {
		t.Fatalf("Other holds %d messages, want 2", len(p.Messages))
	}
}
