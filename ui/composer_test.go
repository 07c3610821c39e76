package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// openCustomer clicks on the named customer in the list (all statuses).
func openCustomer(t *testing.T, w fyne.Window, v *mainView, name string) {
	t.Helper()
	if v.customers.filter().Status != "" {
		v.customers.status.SetSelectedIndex(4) // All
	}
	i := slices.Index(rowNames(v), name)
	if i < 0 {
		t.Fatalf("no %q in the list %q", name, rowNames(v))
	}
	tapRow(t, w, v, i)
	if v.timeline.header.Text != name {
		t.Fatalf("opened %q, want %q", v.timeline.header.Text, name)
	}
}

// ctrlEnter types Ctrl+Enter in a text field.
func ctrlEnter(e *composerEntry) {
	e.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierControl})
}

var danaMail = inbox.Identity{Kind: inbox.KindEmail, Address: "dana@example.org"}
var (
	ericPhone  = inbox.Identity{Kind: inbox.KindPhone, Address: "+33611112222"}
	fannyPhone = inbox.Identity{Kind: inbox.KindPhone, Address: "+33633334444"}
)

func TestChannelPickerDefaultsToTheLastInboundChannel(t *testing.T) {
	desk := openDesk(t, false)
	ingestAll(t, desk,
		inbox.Incoming{Message: msg("d1", inbox.ChannelEmail, inbox.In, danaMail, time.Hour, "Hello"), Name: "Dana"},
	)
	v, w := showView(t, desk, nil)
	tests := []struct {
		name    string
		want    string
		options []string
		subject bool
		limit   string
	}{
		{"Alice", "SMS · +33612345678", []string{"E-mail · alice@example.com", "SMS · +33612345678", "WhatsApp · +33612345678"}, false, ""},
		{"Bob", "SMS · +33698765432", []string{"SMS · +33698765432", "WhatsApp · +33698765432"}, false, ""},
		{"Dana", "E-mail · dana@example.org", []string{"E-mail · dana@example.org"}, true, ""},
		{"Carol", "Telegram · 424242", []string{"Telegram · 424242"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			openCustomer(t, w, v, tt.name)
			p := v.composer
			if p.channel.Selected != tt.want {
				t.Errorf("channel %q, want %q", p.channel.Selected, tt.want)
			}
			if !slices.Equal(p.channel.Options, tt.options) {
				t.Errorf("channel options %q, want %q", p.channel.Options, tt.options)
			}
			if p.subject.Visible() != tt.subject {
				t.Errorf("subject visible %v, want %v", p.subject.Visible(), tt.subject)
			}
			if p.limit.Text != tt.limit {
				t.Errorf("limit %q before typing, want %q", p.limit.Text, tt.limit)
			}
		})
	}
}

func TestComposerShowsChannelLimitsLive(t *testing.T) {
	desk := openDesk(t, false)
	ingestAll(t, desk,
		inbox.Incoming{Message: msg("e1", inbox.ChannelWhatsApp, inbox.In, ericPhone, 30*time.Hour, "Are you open?"), Name: "Eric"},
		inbox.Incoming{Message: msg("f1", inbox.ChannelWhatsApp, inbox.In, fannyPhone, 2*time.Hour, "Bonjour"), Name: "Fanny"},
	)
	v, w := showView(t, desk, nil)
	p := v.composer
	gsm200 := strings.Repeat("Bonjour ! ", 20)

	tests := []struct {
		name     string
		customer string
		route    string // "" for the default
		text     string
		want     []string
		send     bool // Send enabled
	}{
		{"200 GSM characters are two SMS", "Bob", "", gsm200, []string{"200 characters", "2 SMS segments"}, true},
		{"160 GSM characters are one SMS", "Bob", "", gsm200[:160], []string{"160 characters", "1 SMS segment"}, true},
		{"an emoji makes it Unicode", "Bob", "", "Merci 😀", []string{"8 characters", "1 SMS segment", "UCS-2"}, true},
		{"70 UCS-2 units a segment", "Bob", "", strings.Repeat("é", 60) + "😀😀😀😀😀😀", []string{"72 characters", "2 SMS segments", "UCS-2"}, true},
		{"Telegram counts up to 4096", "Carol", "", "Merci", []string{"5 / 4,096"}, true},
		{"over 4096 cannot go on Telegram", "Carol", "", strings.Repeat("x", 4100), []string{"4100 characters; Telegram allows 4096"}, false},
		{"WhatsApp closed after 24 hours", "Eric", "", "Hello", []string{"more than 24 hours ago", "template"}, false},
		{"the same answer by SMS", "Eric", "SMS · +33611112222", "Hello", []string{"5 characters", "1 SMS segment"}, true},
		{"WhatsApp open within 24 hours", "Fanny", "", "Hi", []string{"2 characters", "WhatsApp window open for 22 h"}, true},
		{"never written on WhatsApp", "Alice", "WhatsApp · +33612345678", "Hi", []string{"never written on WhatsApp"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v.timeline.header.Text != tt.customer {
				openCustomer(t, w, v, tt.customer)
			}
			if tt.route != "" {
				p.channel.SetSelected(tt.route)
			}
			p.text.SetText("")
			if len(tt.text) > 300 {
				p.text.SetText(tt.text) // typing 4,000 keys proves nothing more
			} else {
				test.Type(p.text, tt.text)
			}
			for _, want := range tt.want {
				if !strings.Contains(p.limit.Text, want) {
					t.Errorf("limit %q, want it to say %q", p.limit.Text, want)
				}
			}
			if p.send.Disabled() == tt.send {
				t.Errorf("Send enabled %v, want %v (limit %q)", !p.send.Disabled(), tt.send, p.limit.Text)
			}
		})
	}

	// Outside WhatsApp's window the box offers SMS, to the same number.
	openCustomer(t, w, v, "Eric")
	p.channel.SetSelected("WhatsApp · +33611112222")
	p.text.SetText("")
	test.Type(p.text, "Yes, until 19:00")
	if !p.fix.Visible() || p.fix.Text != "Answer by SMS instead" {
		t.Fatalf("no SMS offer (%v %q); limit %q", p.fix.Visible(), p.fix.Text, p.limit.Text)
	}
	test.Tap(p.fix)
	if p.channel.Selected != "SMS · +33611112222" || p.send.Disabled() {
		t.Errorf("after the offer: channel %q, Send disabled %v", p.channel.Selected, p.send.Disabled())
	}
}

func TestSendShowsTheAnswerQueuedAtOnce(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	test.Type(v.composer.text, "It is on its way, sorry for the wait.")
	ctrlEnter(v.composer.text)

	got := timelineTexts(t, v)
	n := len(got)
	last := got[max(0, n-8):]
	for _, want := range []string{"It is on its way, sorry for the wait.", "queued", "Camille"} {
		if !hasText(last, want) {
			t.Errorf("the end of the timeline %q lacks %q", last, want)
		}
	}
	if v.composer.text.Text != "" {
		t.Errorf("the box still holds %q", v.composer.text.Text)
	}
	out, err := desk.Store().Outbox()
	if err != nil || len(out) != 1 || out[0].Channel != inbox.ChannelSMS || out[0].To != "+33612345678" || out[0].Author != testAuthor {
		t.Errorf("outbox %+v (%v), want one SMS to Alice by %s", out, err, testAuthor)
	}
	if d, _ := desk.Draft(idOf(t, desk, aliceMail)); !d.Empty() {
		t.Errorf("the draft survived the send: %+v", d)
	}
}

func TestNoteMode(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Bob")
	test.Tap(v.composer.noteTab)
	if v.composer.channel.Visible() || v.composer.send.Text != "Add note" {
		t.Errorf("note mode: channel visible %v, button %q", v.composer.channel.Visible(), v.composer.send.Text)
	}
	test.Type(v.composer.text, "Regular on Saturdays, likes rye.")
	test.Tap(v.composer.send)
	got := timelineTexts(t, v)
	if !hasText(got, "Note by Camille") || !hasText(got, "Regular on Saturdays, likes rye.") {
		t.Errorf("timeline %q lacks the note", got)
	}
	if !hasText(allTexts(v.pane.notes), "Regular on Saturdays") {
		t.Errorf("the pane's notes %q lack it", allTexts(v.pane.notes))
	}
	if out, _ := desk.Store().Outbox(); len(out) != 0 {
		t.Errorf("a note went to the outbox: %+v", out)
	}
}

func TestDraftsAreKeptPerCustomerAcrossRestarts(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	test.Type(v.composer.text, "Half-written answer")
	openCustomer(t, w, v, "Bob")
	if v.composer.text.Text != "" {
		t.Errorf("Bob's box holds %q", v.composer.text.Text)
	}
	test.Tap(v.composer.noteTab)
	test.Type(v.composer.text, "Bob's note")
	openCustomer(t, w, v, "Alice")
	if v.composer.text.Text != "Half-written answer" || v.composer.note {
		t.Errorf("Alice's box holds %q (note %v)", v.composer.text.Text, v.composer.note)
	}
	v.close()

	// A restart: a new view over the same store.
	v, w = newView(t, desk, nil)
	openCustomer(t, w, v, "Bob")
	if v.composer.text.Text != "Bob's note" || !v.composer.note {
		t.Errorf("after a restart Bob's box holds %q (note %v)", v.composer.text.Text, v.composer.note)
	}
}

func TestAnswerLibraryWithSlash(t *testing.T) {
	desk := openDesk(t, false)
	err := desk.SetAnswers([]inbox.Answer{
		{ID: "hours", Title: "Opening hours", Body: "Hello {first_name}, we open at 7:00 every day but Monday."},
		{ID: "address", Title: "Our address", Body: "We are at 12 rue de la Paix."},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	p := v.composer
	if !p.answersBtn.Visible() {
		t.Error("no Answers button with a library")
	}
	test.Type(p.text, "/hou")
	if !p.picker.visible() || len(p.picker.items) != 1 || p.picker.items[0].ID != "hours" {
		t.Fatalf("picker visible %v with %v", p.picker.visible(), p.picker.items)
	}
	typeKey(p.text, fyne.KeyReturn)
	if want := "Hello Alice, we open at 7:00 every day but Monday."; p.text.Text != want {
		t.Errorf("text %q, want %q", p.text.Text, want)
	}
	if p.picker.visible() {
		t.Error("the picker stays open")
	}

	// The button lists the whole library; the pick goes after the text.
	test.Tap(p.answersBtn)
	if !p.picker.visible() || len(p.picker.items) != 2 {
		t.Fatalf("picker visible %v with %d items", p.picker.visible(), len(p.picker.items))
	}
	typeKey(p.text, fyne.KeyDown)
	typeKey(p.text, fyne.KeyReturn)
	if !strings.HasSuffix(p.text.Text, "Monday.\n\nWe are at 12 rue de la Paix.") {
		t.Errorf("text %q", p.text.Text)
	}
}
