package ui

import (
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// statusBar is the window's bottom line: each account's sync state ("Syncing
// INBOX 3,200/12,000", "Offline — retrying in 30 s", "Login refused") and the
// outbox (queued and failed answers). It lives on the UI goroutine; what it
// shows is loaded through run.
type statusBar struct {
	desk     *inbox.Desk
	accounts Accounts // nil: only what the account status changes say
	run      runner
	now      func() time.Time // wall clock, for "retrying in"

	list []Account
	// raw holds the status text of AccountStatus changes by account, shown
	// as is when there is no Accounts to ask.
	raw    map[string]string
	queued int
	failed map[inbox.MessageID]bool

	// onList, when set, receives every list of accounts loaded (the
	// accounts dialog follows the states with it).
	onList func([]Account)

	accountsBox *fyne.Container
	outbox      *widget.Label
	settings    *widget.Button
	content     fyne.CanvasObject
}

// newStatusBar builds the bar; onAccounts opens the accounts dialog (nil
// hides the button). Call reload to fill it.
func newStatusBar(desk *inbox.Desk, accounts Accounts, run runner, onAccounts func()) *statusBar {
	b := &statusBar{desk: desk, accounts: accounts, run: run, now: time.Now, raw: map[string]string{}, failed: map[inbox.MessageID]bool{}}
	b.accountsBox = container.NewHBox()
	b.outbox = widget.NewLabel("")
	b.outbox.SizeName = theme.SizeNameCaptionText
	left := []fyne.CanvasObject{}
	if onAccounts != nil && accounts != nil {
		b.settings = widget.NewButtonWithIcon(tr("Accounts"), theme.SettingsIcon(), onAccounts)
		b.settings.Importance = widget.LowImportance
		left = append(left, b.settings)
	}
	left = append(left, b.accountsBox)
	b.content = container.NewBorder(widget.NewSeparator(), nil, container.NewHBox(left...), b.outbox)
	return b
}

// reload reads the accounts and the outbox again.
func (b *statusBar) reload() {
	b.loadAccounts()
	b.loadOutbox(true)
}

// onChanges takes a burst of desk changes: account statuses, and messages
// whose delivery state may have changed.
func (b *statusBar) onChanges(changes []inbox.Change) {
	var accounts, rescan bool
	var msgs []inbox.MessageID
	for _, ch := range changes {
		switch ch.Kind {
		case inbox.AccountStatus:
			accounts = true
			b.raw[ch.Account] = ch.Status
		case inbox.Reload:
			accounts, rescan = true, true
		case inbox.CustomerChanged:
			if ch.Message != 0 {
				msgs = append(msgs, ch.Message)
			}
		}
	}
	if accounts {
		if b.accounts == nil {
			b.render()
		} else {
			b.loadAccounts()
		}
	}
	switch {
	case rescan:
		b.loadOutbox(true)
	case len(msgs) > 0:
		b.loadMessages(msgs)
	}
}

// loadAccounts asks Accounts for every account and its status.
func (b *statusBar) loadAccounts() {
	if b.accounts == nil {
		b.render()
		return
	}
	b.run(func() func() {
		list, err := b.accounts.List()
		return func() {
			if err != nil {
				slog.Error("ui: list the accounts", "err", err)
				return
			}
			b.list = list
			b.render()
			if b.onList != nil {
				b.onList(list)
			}
		}
	})
}

// loadOutbox counts the queued answers (the store's outbox) and, with
// scan, the failed and uncertain ones (one pass over the timelines).
func (b *statusBar) loadOutbox(scan bool) {
	b.run(func() func() {
		store := b.desk.Store()
		out, err := store.Outbox()
		var failed map[inbox.MessageID]bool
		if err == nil && scan {
			failed = map[inbox.MessageID]bool{}
			err = store.Scan(func(_ inbox.CustomerID, e inbox.Entry) error {
				if e.Direction == inbox.Out && needsAttention(e.State) {
					failed[e.ID] = true
				}
				return nil
			})
		}
		return func() {
			if err != nil {
				slog.Error("ui: count the outbox", "err", err)
				return
			}
			b.queued = len(out)
			if failed != nil {
				b.failed = failed
			}
			b.renderOutbox()
		}
	})
}

// loadMessages follows the delivery state of the messages that changed.
func (b *statusBar) loadMessages(ids []inbox.MessageID) {
	b.run(func() func() {
		states := map[inbox.MessageID]bool{}
		for _, id := range ids {
			m, err := b.desk.Message(id)
			if err != nil {
				continue // deleted by an unmerge, say
			}
			states[id] = m.Direction == inbox.Out && needsAttention(m.State)
		}
		out, err := b.desk.Store().Outbox()
		return func() {
			for id, bad := range states {
				if bad {
					b.failed[id] = true
				} else {
					delete(b.failed, id)
				}
			}
			if err == nil {
				b.queued = len(out)
			}
			b.renderOutbox()
		}
	})
}

// needsAttention reports whether an answer in state s waits for the agent:
// failed, or maybe sent (uncertain).
func needsAttention(s inbox.State) bool {
	return s == inbox.StateFailed || s == inbox.StateUncertain
}

// ticking reports whether the bar shows a countdown ("retrying in 30 s")
// that the watcher must refresh every second.
func (b *statusBar) ticking() bool {
	now := b.now()
	for _, a := range b.list {
		if (a.Status.State == StateOffline || a.Status.State == StateError) && a.Status.NextTry.After(now) {
			return true
		}
	}
	return false
}

// render rebuilds the accounts part of the bar.
func (b *statusBar) render() {
	var items []fyne.CanvasObject
	if b.accounts != nil {
		if len(b.list) == 0 {
			l := widget.NewLabel(tr("No account yet"))
			l.Importance = widget.MediumImportance
			l.SizeName = theme.SizeNameCaptionText
			items = append(items, l)
		}
		now := b.now()
		for _, a := range b.list {
			items = append(items, accountItem(a.Name, a.Status.State, statusText(a.Status, now)))
		}
	} else {
		for _, name := range sortedKeys(b.raw) {
			items = append(items, accountItem(name, StateNew, b.raw[name]))
		}
	}
	b.accountsBox.Objects = items
	b.content.Refresh() // the bar's layout follows the new widths
}

// accountItem is one account in the bar: a dot in the state's colour, the
// name and the state.
func accountItem(name string, state AccountState, text string) fyne.CanvasObject {
	dot := canvas.NewCircle(themeColor(stateColor(state)))
	dot.Resize(fyne.NewSquareSize(8))
	l := widget.NewLabel(name + " · " + text)
	l.SizeName = theme.SizeNameCaptionText
	switch state {
	case StateAuthFailed, StateError:
		l.Importance = widget.DangerImportance
	case StateOffline:
		l.Importance = widget.WarningImportance
	}
	return container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(8), dot)), l)
}

// stateColor is the colour of a state's dot.
func stateColor(s AccountState) fyne.ThemeColorName {
	switch s {
	case StateIdle:
		return theme.ColorNameSuccess
	case StateSyncing:
		return theme.ColorNamePrimary
	case StateOffline:
		return theme.ColorNameWarning
	case StateError, StateAuthFailed:
		return theme.ColorNameError
	}
	return theme.ColorNameDisabled
}

// renderOutbox shows the outbox counts.
func (b *statusBar) renderOutbox() {
	b.outbox.SetText(outboxText(b.queued, len(b.failed)))
	switch {
	case len(b.failed) > 0:
		b.outbox.Importance = widget.DangerImportance
	case b.queued > 0:
		b.outbox.Importance = widget.MediumImportance
	default:
		b.outbox.Importance = widget.MediumImportance
	}
	b.content.Refresh()
}

// outboxText says what waits in the outbox: "2 queued · 1 failed", or
// that everything left.
func outboxText(queued, failed int) string {
	var parts []string
	if queued > 0 {
		parts = append(parts, trN("{{.Count}} queued", queued, map[string]any{"Count": formatInt(queued)}))
	}
	if failed > 0 {
		parts = append(parts, trN("{{.Count}} failed", failed, map[string]any{"Count": formatInt(failed)}))
	}
	if len(parts) == 0 {
		return tr("All answers sent")
	}
	return tr("Outbox: {{.Counts}}", map[string]any{"Counts": strings.Join(parts, " · ")})
}

// statusText says in a few words where an account's sync stands at now.
func statusText(s AccountStatus, now time.Time) string {
	switch s.State {
	case StateSyncing:
		d := map[string]any{"Folder": s.Folder, "Done": formatInt(s.Done), "Total": formatInt(s.Total)}
		switch {
		case s.Total > 0 && s.Folder != "":
			return tr("Syncing {{.Folder}} {{.Done}}/{{.Total}}", d)
		case s.Total > 0:
			return tr("Syncing {{.Done}}/{{.Total}}", d)
		case s.Done > 0 && s.Folder != "":
			return tr("Syncing {{.Folder}} {{.Done}}", d)
		case s.Folder != "":
			return tr("Syncing {{.Folder}}", d)
		}
		return tr("Syncing…")
	case StateIdle:
		return tr("Up to date")
	case StateOffline:
		if s.NextTry.After(now) {
			return tr("Offline — retrying in {{.Wait}}", map[string]any{"Wait": waitText(s.NextTry.Sub(now))})
		}
		return tr("Offline — retrying")
	case StateError:
		reason := clip(s.Reason, 60)
		if s.NextTry.After(now) {
			return tr("{{.Reason}} — retrying in {{.Wait}}", map[string]any{"Reason": reason, "Wait": waitText(s.NextTry.Sub(now))})
		}
		return reason
	case StateAuthFailed:
		return tr("Login refused")
	}
	return tr("Not synced yet")
}

// waitText is a short wait: "30 s", "2 min", "1 h" (the same in French),
// rounded up so a countdown never shows 0.
func waitText(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return tr("{{.N}} s", map[string]any{"N": max(1, int(math.Ceil(d.Seconds())))})
	case d < time.Hour:
		return tr("{{.N}} min", map[string]any{"N": int(math.Ceil(d.Minutes()))})
	}
	return tr("{{.N}} h", map[string]any{"N": int(math.Ceil(d.Hours()))})
}

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
