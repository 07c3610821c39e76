package ui

import (
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// ctrl types Ctrl+key on the window, as the driver does when no text
// field has the focus: it hands the shortcut to the canvas's shortcut
// handler (AddShortcut). The test canvas keeps that handler in the
// software canvas it wraps, behind an interface without the method.
func ctrl(w fyne.Window, key fyne.KeyName) {
	inner := reflect.ValueOf(w.Canvas()).Elem().FieldByName("WindowlessCanvas").Interface()
	inner.(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierControl})
}

func TestKeyboardNavigation(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	list := v.customers.list
	unread := func(ident inbox.Identity) int {
		c, err := desk.Customer(idOf(t, desk, ident))
		if err != nil {
			t.Fatal(err)
		}
		return c.Unread
	}

	steps := []struct {
		name   string
		keys   func()
		open   string // timeline header
		status inbox.Status
	}{
		{"j opens the first customer", func() { test.Type(list, "j") }, "Bob", ""},
		{"j the next", func() { test.Type(list, "j") }, "Alice", ""},
		{"k the previous", func() { test.Type(list, "k") }, "Bob", ""},
		{"↓ like j", func() { typeKey(list, fyne.KeyDown) }, "Alice", ""},
		{"j stops at the end", func() { test.Type(list, "j") }, "Alice", ""},
		{"↑ like k, on the window", func() { w.Canvas().Unfocus(); w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyUp}) }, "Bob", ""},
		{"j on the window", func() { test.TypeOnCanvas(w.Canvas(), "j") }, "Alice", ""},
	}
	for _, s := range steps {
		s.keys()
		frame(w)
		if v.timeline.header.Text != s.open {
			t.Fatalf("%s: open %q, want %q", s.name, v.timeline.header.Text, s.open)
		}
	}
	if unread(bobPhone) == 0 || unread(aliceMail) == 0 {
		t.Error("moving with j/k marked messages read; only Enter (or a click) does")
	}

	typeKey(list, fyne.KeyReturn)
	if n := unread(aliceMail); n != 0 {
		t.Errorf("Enter left Alice with %d unread", n)
	}

	test.Type(list, "r")
	if w.Canvas().Focused() != v.composer.text || v.composer.note {
		t.Errorf("r: focus %T, note %v; want the answer box", w.Canvas().Focused(), v.composer.note)
	}
	typeKey(v.composer.text, fyne.KeyEscape)
	if w.Canvas().Focused() != list {
		t.Errorf("Esc in the box: focus %T, want the list", w.Canvas().Focused())
	}
	test.Type(list, "n")
	if w.Canvas().Focused() != v.composer.text || !v.composer.note {
		t.Errorf("n: focus %T, note %v; want the note box", w.Canvas().Focused(), v.composer.note)
	}
	typeKey(v.composer.text, fyne.KeyEscape)

	test.Type(list, "e")
	frame(w)
	c, _ := desk.Customer(idOf(t, desk, aliceMail))
	if c.Status != inbox.Resolved {
		t.Errorf("e: Alice is %s, want resolved", c.Status)
	}
	if v.timeline.header.Text != "Alice" || len(rowNames(v)) != 1 {
		t.Errorf("after e: open %q, rows %q (Alice leaves the Open list, stays open)", v.timeline.header.Text, rowNames(v))
	}

	test.Type(list, "?")
	if v.help == nil || !v.help.Visible() {
		t.Fatal("? shows no help")
	}
	if got := allTexts(v.help.Content); !hasText(got, "Keyboard shortcuts") || !hasText(got, "Search every message") {
		t.Errorf("help %q", got)
	}
	typeKey(list, fyne.KeyEscape)
	if v.help.Visible() {
		t.Error("Esc leaves the help open")
	}

	// Ctrl+K in a text field, and on the window.
	test.Type(list, "r")
	v.composer.text.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierControl})
	if !v.search.visible() || w.Canvas().Focused() != v.search.entry {
		t.Fatalf("Ctrl+K in the answer box: search visible %v, focus %T", v.search.visible(), w.Canvas().Focused())
	}
	typeKey(v.search.entry, fyne.KeyEscape)
	if v.search.visible() {
		t.Error("Esc leaves the search open")
	}
	w.Canvas().Unfocus()
	ctrl(w, fyne.KeyF)
	if !v.search.visible() {
		t.Error("Ctrl+F on the window opens no search")
	}
}
