package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// The keyboard. Single keys act when no text field has the focus: the
// window's canvas receives them when nothing is focused, the customer list
// when it is (after a click on a row). Text fields hand Ctrl+K/Ctrl+F and
// Escape back to the window (composerEntry).
//
//	j, ↓      next customer        k, ↑   previous customer
//	Enter     open (mark read)     r      reply
//	n         note                 e      resolve
//	Ctrl+K, Ctrl+F, /  search      Esc    back to the list
//	?         this help

// shortcut is one line of the help.
type shortcut struct{ keys, what string }

func shortcuts() []shortcut {
	return []shortcut{
		{"j  ↓", tr("Next customer")},
		{"k  ↑", tr("Previous customer")},
		{tr("Enter"), tr("Open the customer and mark their messages read")},
		{"r", tr("Reply")},
		{"n", tr("Write an internal note")},
		{"e", tr("Resolve")},
		{tr("Ctrl+Enter"), tr("Send the answer or add the note")},
		{tr("Ctrl+K  Ctrl+F  /"), tr("Search every message")},
		{"/", tr("In the reply box: insert a library answer")},
		{tr("Esc"), tr("Back to the customer list")},
		{"?", tr("These shortcuts")},
	}
}

// installKeys wires the window's keys on canvas c.
func (v *mainView) installKeys(c fyne.Canvas) {
	c.SetOnTypedRune(func(r rune) { v.onRune(r) })
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) { v.onKey(ev) })
	for _, mod := range []fyne.KeyModifier{fyne.KeyModifierShortcutDefault, fyne.KeyModifierControl} {
		for _, k := range []fyne.KeyName{fyne.KeyK, fyne.KeyF} {
			c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: mod}, func(fyne.Shortcut) { v.openSearch() })
		}
	}
}

// onRune handles a single-key shortcut; false when r is not one.
func (v *mainView) onRune(r rune) bool {
	switch r {
	case 'j':
		v.customers.move(1)
	case 'k':
		v.customers.move(-1)
	case 'r':
		v.composer.focus(false)
	case 'n':
		v.composer.focus(true)
	case 'e':
		v.resolveCurrent()
	case '/':
		v.openSearch()
	case '?':
		v.showHelp()
	default:
		return false
	}
	return true
}

// onKey handles the arrows, Enter and Escape; false for other keys.
func (v *mainView) onKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyDown:
		v.customers.move(1)
	case fyne.KeyUp:
		v.customers.move(-1)
	case fyne.KeyReturn, fyne.KeyEnter:
		v.markRead()
	case fyne.KeyEscape:
		v.back()
	default:
		return false
	}
	return true
}

// onShortcut handles the window's shortcuts typed in a text field.
func (v *mainView) onShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || (cs.Modifier != fyne.KeyModifierShortcutDefault && cs.Modifier != fyne.KeyModifierControl) {
		return false
	}
	if cs.KeyName == fyne.KeyK || cs.KeyName == fyne.KeyF {
		v.openSearch()
		return true
	}
	return false
}

// canvas is the canvas the view is on, nil before it is shown.
func (v *mainView) canvas() fyne.Canvas {
	if v.window != nil {
		return v.window.Canvas()
	}
	if a := fyne.CurrentApp(); a != nil {
		return a.Driver().CanvasForObject(v.content)
	}
	return nil
}

// back closes what is open over the list (the search, the help, the
// answer picker) and gives the keyboard back to the list.
func (v *mainView) back() {
	switch {
	case v.search.visible():
		v.search.hide()
	case v.help != nil && v.help.Visible():
		v.help.Hide()
	case v.composer.picker.visible():
		v.composer.picker.hide()
	}
	if c := v.canvas(); c != nil {
		c.Focus(v.customers.list)
	}
}

// resolveCurrent resolves the open customer (e).
func (v *mainView) resolveCurrent() {
	if v.hasCur && v.pane.has {
		v.pane.onResolve()
	}
}

// openSearch opens the search over the window.
func (v *mainView) openSearch() {
	if c := v.canvas(); c != nil {
		v.search.show(c)
	}
}

// showHelp shows the keyboard shortcuts.
func (v *mainView) showHelp() {
	c := v.canvas()
	if c == nil {
		return
	}
	if v.help == nil || v.help.Canvas != c {
		grid := container.New(layout.NewFormLayout())
		for _, s := range shortcuts() {
			k := widget.NewLabel(s.keys)
			k.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
			grid.Add(k)
			grid.Add(widget.NewLabel(s.what))
		}
		title := widget.NewLabelWithStyle(tr("Keyboard shortcuts"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		closeBtn := widget.NewButton(tr("Close"), func() { v.help.Hide() })
		v.help = widget.NewModalPopUp(container.NewBorder(title, container.NewCenter(closeBtn), nil, nil, grid), c)
	}
	v.help.Show()
}
