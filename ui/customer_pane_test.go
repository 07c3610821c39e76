package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

var (
	emilyMail = inbox.Identity{Kind: inbox.KindEmail, Address: "emily.carter@example.com"}
	emilyTG   = inbox.Identity{Kind: inbox.KindTelegram, Address: "5551234"}
)

// emilyDesk adds two customers who may be one person: Emily by e-mail,
// and "Emily Carter" on Telegram.
func emilyDesk(t *testing.T) *inbox.Desk {
	t.Helper()
	desk := openDesk(t, false)
	ingestAll(t, desk,
		inbox.Incoming{Message: msg("em1", inbox.ChannelEmail, inbox.In, emilyMail, 4*time.Hour, "A cake for Saturday?"), Name: "Emily Carter"},
		inbox.Incoming{Message: msg("em2", inbox.ChannelTelegram, inbox.In, emilyTG, 3*time.Hour, "It's me again, on Telegram"), Name: "Emily  Carter"},
	)
	return desk
}

// button finds the visible button labelled text under o.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
		return found == nil
	})
	if found == nil {
		t.Fatalf("no button %q in %q", text, allTexts(o))
	}
	return found
}

func TestMergeSuggestionAccepted(t *testing.T) {
	desk := emilyDesk(t)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Emily Carter")
	pane := v.pane
	got := allTexts(pane.suggestions)
	if !hasText(got, "Emily  Carter") || !hasText(got, "Same name") {
		t.Fatalf("suggestions %q", got)
	}
	test.Tap(button(t, pane.suggestions, "Merge"))
	frame(w)

	emily := idOf(t, desk, emilyMail)
	if owner := idOf(t, desk, emilyTG); owner != emily {
		t.Errorf("Telegram identity owned by %d, want Emily %d", owner, emily)
	}
	if slices.Contains(rowNames(v), "Emily  Carter") {
		t.Errorf("the merged customer is still listed: %q", rowNames(v))
	}
	if v.timeline.header.Text != "Emily Carter" || !hasText(timelineTexts(t, v), "It's me again, on Telegram") {
		t.Errorf("timeline %q after the merge", timelineTexts(t, v))
	}
	if len(pane.suggestions.Objects) != 0 {
		t.Errorf("suggestions left: %q", allTexts(pane.suggestions))
	}
	if want := []string{"Emily  Carter merged in, Today"}; !hasText(allTexts(pane.history), want[0][:24]) {
		t.Errorf("history %q", allTexts(pane.history))
	}
	if got := allTexts(pane.ids); !slices.Contains(got, "5551234") || !slices.Contains(got, "emily.carter@example.com") {
		t.Errorf("identities %q", got)
	}

	// Undo puts both back as they were.
	test.Tap(button(t, pane.history, "Undo"))
	frame(w)
	if owner := idOf(t, desk, emilyTG); owner == emily {
		t.Error("the Telegram identity stays with Emily after the undo")
	}
	if !slices.Contains(rowNames(v), "Emily  Carter") {
		t.Errorf("the unmerged customer is not listed: %q", rowNames(v))
	}
}

func TestMergeSuggestionRejectedIsRemembered(t *testing.T) {
	desk := emilyDesk(t)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Emily Carter")
	test.Tap(button(t, v.pane.suggestions, "Not the same"))
	if len(v.pane.suggestions.Objects) != 0 {
		t.Errorf("suggestions after a rejection: %q", allTexts(v.pane.suggestions))
	}
	openCustomer(t, w, v, "Emily  Carter")
	if len(v.pane.suggestions.Objects) != 0 {
		t.Errorf("the other side still suggests: %q", allTexts(v.pane.suggestions))
	}
	if len(rowNames(v)) != 5 {
		t.Errorf("rows %q: a rejection merges nobody", rowNames(v))
	}
}

func TestMergeWithAnyCustomerBySearch(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	test.Tap(v.pane.merge)
	pop := v.pane.mergePop
	if pop == nil || !pop.Visible() {
		t.Fatal("no merge search")
	}
	var entry *widget.Entry
	var list *widget.List
	walk(pop.Content, func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Entry:
			entry = x
		case *widget.List:
			list = x
		}
		return true
	})
	test.Type(entry, "+3369")
	if list.Length() != 1 {
		t.Fatalf("%d customers found for +3369, want Bob", list.Length())
	}
	list.Select(0)
	if pop.Visible() {
		t.Error("the search stays open")
	}
	if owner := idOf(t, desk, bobPhone); owner != idOf(t, desk, aliceMail) {
		t.Error("Bob was not merged into Alice")
	}
}

func TestStatusButtons(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Bob")
	bob := idOf(t, desk, bobPhone)
	status := func() inbox.Status {
		c, err := desk.Customer(bob)
		if err != nil {
			t.Fatal(err)
		}
		return c.EffectiveStatus(testNow)
	}

	test.Tap(v.pane.pending)
	if status() != inbox.Pending || !v.pane.reopen.Visible() || v.pane.pending.Visible() {
		t.Errorf("after Pending: %s, reopen %v, pending %v", status(), v.pane.reopen.Visible(), v.pane.pending.Visible())
	}
	test.Tap(v.pane.reopen)
	if status() != inbox.Open {
		t.Errorf("after Reopen: %s", status())
	}

	// Snooze until tomorrow morning, from the menu.
	test.Tap(v.pane.snooze)
	menu := w.Canvas().Overlays().Top()
	if menu == nil {
		t.Fatal("no snooze menu")
	}
	var item fyne.Tappable
	walk(menu, func(o fyne.CanvasObject) bool {
		if tp, ok := o.(fyne.Tappable); ok && slices.Contains(allTexts(o), "Until tomorrow 9:00") {
			item = tp // the deepest one: the menu item, not the menu
		}
		return true
	})
	if item == nil {
		t.Fatalf("no “Until tomorrow 9:00” in %q", allTexts(menu))
	}
	test.Tap(item)
	c, _ := desk.Customer(bob)
	if want := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC); c.Status != inbox.Snoozed || !c.SnoozedUntil.Equal(want) {
		t.Errorf("snoozed %s until %v, want until %v", c.Status, c.SnoozedUntil, want)
	}
	if !strings.Contains(v.pane.status.Text, "Snoozed until 3 Mar 09:00") {
		t.Errorf("pane status %q", v.pane.status.Text)
	}

	test.Tap(v.pane.resolve)
	if status() != inbox.Resolved || v.pane.resolve.Visible() {
		t.Errorf("after Resolve: %s, resolve visible %v", status(), v.pane.resolve.Visible())
	}
}

func TestRename(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Bob")
	v.pane.name.SetText("")
	test.Type(v.pane.name, "Bob Martin")
	if !v.pane.rename.Visible() {
		t.Error("no confirm button while the name is edited")
	}
	typeKey(v.pane.name, fyne.KeyReturn)
	c, _ := desk.Customer(idOf(t, desk, bobPhone))
	if c.Name != "Bob Martin" || v.timeline.header.Text != "Bob Martin" || !slices.Contains(rowNames(v), "Bob Martin") {
		t.Errorf("renamed to %q; header %q; rows %q", c.Name, v.timeline.header.Text, rowNames(v))
	}
}

func TestSnoozePresets(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want []time.Time
	}{
		{"Monday morning", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)}},
		{"Sunday night", time.Date(2026, 3, 8, 23, 30, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 9, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)}},
		{"Friday", time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []time.Time
			for _, p := range snoozePresets(tt.now) {
				got = append(got, p.until)
			}
			if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
				t.Errorf("presets %v, want %v", got, tt.want)
			}
		})
	}
}
