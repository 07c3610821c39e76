package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

func TestShortWait(t *testing.T) {
	useLanguage(t, "en")
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "now"},
		{59 * time.Second, "now"},
		{42*time.Minute + 59*time.Second, "42 min"},
		{2*time.Hour + 59*time.Minute, "2 h"},
		{47 * time.Hour, "1 d"},
		{13 * 24 * time.Hour, "13 d"},
		{30 * 24 * time.Hour, "4 w"},
	}
	for _, tt := range tests {
		if got := shortWait(tt.d); got != tt.want {
			t.Errorf("shortWait(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDates(t *testing.T) {
	useLanguage(t, "en")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	tests := []struct {
		name             string
		t                time.Time
		when, day, stamp string
	}{
		{"today", now.Add(-2 * time.Hour), "08:00", "Today", "08:00"},
		{"yesterday", now.Add(-20 * time.Hour), "Yesterday", "Yesterday", "1 Mar 14:00"},
		{"this week", time.Date(2026, 2, 26, 9, 5, 0, 0, time.UTC), "Thu", "Thursday 26 February", "26 Feb 09:05"},
		{"older", time.Date(2026, 1, 12, 9, 5, 0, 0, time.UTC), "12 Jan", "Monday 12 January", "12 Jan 09:05"},
		{"another year", time.Date(2025, 12, 24, 18, 0, 0, 0, time.UTC), "24 Dec 2025", "Wednesday 24 December 2025", "24 Dec 2025 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := whenShort(tt.t, now); got != tt.when {
				t.Errorf("whenShort = %q, want %q", got, tt.when)
			}
			if got := dayText(tt.t, now); got != tt.day {
				t.Errorf("dayText = %q, want %q", got, tt.day)
			}
			if got := stampText(tt.t, now); got != tt.stamp {
				t.Errorf("stampText = %q, want %q", got, tt.stamp)
			}
		})
	}
}

func TestFoldQuoted(t *testing.T) {
	tests := []struct {
		name, body, own, quoted string
	}{
		{"no quote", "Hello,\nsee you Saturday.", "Hello,\nsee you Saturday.", ""},
		{"Gmail, English", "Thanks!\n\nOn Mon, 2 Mar 2026 at 09:00, Shop <a@b.example> wrote:\n> It left.\n>\n> Camille",
			"Thanks!", "On Mon, 2 Mar 2026 at 09:00, Shop <a@b.example> wrote:\n> It left.\n>\n> Camille"},
		{"attribution on two lines", "Yes.\nOn Mon, 2 Mar 2026 at 09:00, Fournil & Café <\nbonjour@fournil-cafe.example> wrote:\n> Shall I book it?",
			"Yes.", "On Mon, 2 Mar 2026 at 09:00, Fournil & Café <\nbonjour@fournil-cafe.example> wrote:\n> Shall I book it?"},
		{"French", "Parfait.\n\nLe lun. 2 mars 2026 à 09:00, Fournil & Café a écrit :\n> Bonjour", "Parfait.", "Le lun. 2 mars 2026 à 09:00, Fournil & Café a écrit :\n> Bonjour"},
		{"bare quote at the end", "Agreed.\n> earlier text\n> more", "Agreed.", "> earlier text\n> more"},
		{"answers between quotes stay", "> Saturday?\nYes.\n> 10:00?\nPerfect.", "> Saturday?\nYes.\n> 10:00?\nPerfect.", ""},
		{"Outlook", "OK for me.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday", "OK for me.", "-----Original Message-----\nFrom: Shop\nSent: Monday"},
		{"all quoted: nothing to fold", "> only a quote", "> only a quote", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, quoted := foldQuoted(tt.body)
			if own != tt.own || quoted != tt.quoted {
				t.Errorf("foldQuoted =\n own %q\n quoted %q\nwant\n own %q\n quoted %q", own, quoted, tt.own, tt.quoted)
			}
		})
	}
}

func TestCutBody(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		runes      int
		lines      int
		want       string
		wantCutOff bool
	}{
		{"short", "Hello there", 100, 5, "Hello there", false},
		{"at a word", "one two three four five", 12, 5, "one two…", true},
		{"lines", "a\nb\nc\nd", 100, 2, "a\nb…", true},
		{"runes, not bytes", "éééééééééé", 20, 5, "éééééééééé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := cutBody(tt.body, tt.runes, tt.lines)
			if got != tt.want || more != tt.wantCutOff {
				t.Errorf("cutBody = %q, %v; want %q, %v", got, more, tt.want, tt.wantCutOff)
			}
		})
	}
}

func TestRowChannels(t *testing.T) {
	phone := inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}
	mail := inbox.Identity{Kind: inbox.KindEmail, Address: "a@example.com"}
	mx := inbox.Identity{Kind: inbox.KindMatrix, Address: "@a:example.org"}
	tests := []struct {
		name string
		c    inbox.Customer
		want []inbox.ChannelKind
	}{
		{"mail and phone by SMS", inbox.Customer{Identities: []inbox.Identity{phone, mail}, LastChannel: inbox.ChannelSMS},
			[]inbox.ChannelKind{inbox.ChannelEmail, inbox.ChannelSMS}},
		{"phone by WhatsApp", inbox.Customer{Identities: []inbox.Identity{phone, mx}, LastChannel: inbox.ChannelWhatsApp},
			[]inbox.ChannelKind{inbox.ChannelWhatsApp, inbox.ChannelMatrix}},
		{"none", inbox.Customer{}, nil},
	}
	for _, tt := range tests {
		if got := rowChannels(&tt.c); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBuiltinLimits(t *testing.T) {
	useLanguage(t, "en")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ch   inbox.ChannelKind
		text string
		last time.Time
		want string
		err  inbox.Code
	}{
		{"SMS in GSM-7", inbox.ChannelSMS, strings.Repeat("a", 161), time.Time{}, "161 characters · 2 SMS segments", ""},
		{"SMS with an emoji", inbox.ChannelSMS, "ok 👍", time.Time{}, "5 characters · 1 SMS segment · Unicode (UCS-2): 70 characters a segment", ""},
		{"SMS extension characters count two", inbox.ChannelSMS, strings.Repeat("€", 80), time.Time{}, "80 characters · 1 SMS segment", ""},
		{"Telegram", inbox.ChannelTelegram, "hé", time.Time{}, "2 / 4,096", ""},
		{"Telegram too long", inbox.ChannelTelegram, strings.Repeat("a", 4097), time.Time{}, "", inbox.Invalid},
		{"WhatsApp in the window", inbox.ChannelWhatsApp, "hi", now.Add(-23 * time.Hour), "2 characters · WhatsApp window open for 1 h", ""},
		{"WhatsApp after the window", inbox.ChannelWhatsApp, "hi", now.Add(-25 * time.Hour), "", inbox.Conflict},
		{"WhatsApp never", inbox.ChannelWhatsApp, "hi", time.Time{}, "", inbox.Conflict},
		{"e-mail", inbox.ChannelEmail, "hi", time.Time{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := builtinLimits(tt.ch, tt.text, tt.last, now)
			if inbox.ErrorCode(err) != tt.err {
				t.Fatalf("error %v, want code %q", err, tt.err)
			}
			if err != nil {
				return
			}
			if got := describeLimit(tt.ch, l, tt.last, now); got != tt.want {
				t.Errorf("describeLimit = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatchAnswers(t *testing.T) {
	list := []inbox.Answer{
		{ID: "hours", Title: "Horaires d'ouverture"},
		{ID: "address", Title: "Adresse", Tags: []string{"acces"}},
		{ID: "delivery-hours", Title: "Livraison"},
	}
	ids := func(as []inbox.Answer) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	tests := []struct{ q, want string }{
		{"", "hours address delivery-hours"},
		{"hou", "hours delivery-hours"},
		{"HORAIRES", "hours"},
		{"accès", "address"},
		{"zzz", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(ids(matchAnswers(list, tt.q)), " "); got != tt.want {
			t.Errorf("matchAnswers(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestEscalationReadsInFrench(t *testing.T) {
	useLanguage(t, "fr")
	for _, tt := range []struct{ text, want string }{
		{inbox.EscalatedPrefix + "a long message: a person reads it", "Confié à une personne\u00a0: un long message\u00a0: une personne le lit"},
		{inbox.EscalatedPrefix + "negative word (remboursement)", "Confié à une personne\u00a0: mot négatif (remboursement)"},
		{inbox.EscalatedPrefix + "two answers are close: a and b", "Confié à une personne\u00a0: two answers are close: a and b"},
	} {
		m := &inbox.Message{Direction: inbox.Event, Event: inbox.EventEscalated, Text: tt.text}
		if got := eventText(m); got != tt.want {
			t.Errorf("eventText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
