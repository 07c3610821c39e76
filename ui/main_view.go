package ui

// The main window, and the seams the rest of the app plugs into.
//
// mainView (this file) builds the three columns: customerList on the left
// (customer_list.go), the timelineView with the composer under it in the
// middle (timeline_view.go, composer.go), the customerPane on the right
// (customer_pane.go); searchView (search_view.go) and the keyboard
// (keys.go) sit on top. Run (run.go) puts it in a window inside the shell
// (options_b.go: status bar, welcome, accounts, reports, tray, title).
//
// Seams, all on the UI goroutine:
//
//   - newMainView(desk, run, later, opts) builds it; v.content is what the
//     window (or the shell's wrap) shows; v.reload() reads everything
//     again (after the accounts changed, say); v.close() saves the draft.
//   - v.installKeys(canvas) wires the keyboard (keys.go) on a window.
//   - v.showError(doing, err) shows an error in the banner above the
//     timeline.
//   - v.menuItems() are the view's menu entries (search, shortcuts) for
//     the shell's menu.
//   - runner and later are the threading helpers every view uses: tests
//     pass inline and atOnce, the app background and afterUI.

import (
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// A runner runs load off the UI goroutine, then the apply func it returns on
// the UI goroutine. Every load ends in exactly one apply; errors are applied
// like data (shown in the view).
type runner func(load func() (apply func()))

// background is the runner of the running app: load on a new goroutine, apply
// through fyne.Do.
func background(load func() func()) {
	go func() {
		apply := load()
		fyne.Do(apply)
	}()
}

// inline runs load and apply at once on the calling goroutine (tests).
func inline(load func() func()) { load()() }

// later runs f on the UI goroutine once d has passed, unless stop is called
// first: the debounce of drafts and searches.
type later func(d time.Duration, f func()) (stop func())

// afterUI is the later of the running app.
func afterUI(d time.Duration, f func()) func() {
	t := time.AfterFunc(d, func() { fyne.Do(f) })
	return func() { t.Stop() }
}

// atOnce is the later of tests: f runs now.
func atOnce(_ time.Duration, f func()) func() {
	f()
	return func() {}
}

// Store changes arrive in bursts (a sync commits many batches); the view
// refreshes at most this often, whatever the rate of changes.
const refreshEvery = 200 * time.Millisecond

// otherRows is how many of the Other view's newest messages its list shows.
const otherRows = 200

// mainView is the main window's content.
type mainView struct {
	desk  *inbox.Desk
	run   runner
	later later
	opts  Options
	sub   *inbox.Subscription

	customers *customerList
	timeline  *timelineView
	composer  *composer
	pane      *customerPane
	search    *searchView
	help      *widget.PopUp

	banner     *fyne.Container
	bannerText *widget.Label
	content    fyne.CanvasObject

	// window is the window the view is in, for dialogs; nil in tests
	// without one.
	window fyne.Window

	// cur is the customer open in the middle and right columns; it may
	// have left the list (resolved under the Open filter).
	cur    inbox.Customer
	hasCur bool

	loads int // customer list loads, for the coalescing test
}

// newMainView builds the view and subscribes to the desk's changes; call
// reload to fill it and close to drop the subscription.
func newMainView(desk *inbox.Desk, run runner, later later, opts *Options) *mainView {
	v := &mainView{desk: desk, run: run, later: later, sub: desk.Subscribe(256)}
	if opts != nil {
		v.opts = *opts
	}
	v.bannerText = caption("", widget.DangerImportance)
	v.bannerText.Wrapping = fyne.TextWrapWord
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { v.banner.Hide() })
	dismiss.Importance = widget.LowImportance
	v.banner = container.NewBorder(nil, nil, nil, dismiss, v.bannerText)
	v.banner.Hide()

	v.customers = newCustomerList(desk.Now)
	v.customers.onSelect = v.onSelect
	v.customers.onFilter = v.onFilter
	v.timeline = newTimelineView(desk, run, v.opts.Blobs, v.showError)
	v.timeline.window = func() fyne.Window { return v.window }
	v.composer = newComposer(desk, run, later, v.opts.Author, v.opts.Limits, v.showError)
	v.composer.onSent = v.timeline.add
	v.composer.onShortcut = v.onShortcut
	v.composer.onEscape = v.back
	v.composer.window = func() fyne.Window { return v.window }
	v.composer.setBlobs(v.opts.Blobs)
	v.pane = newCustomerPane(desk, run, v.opts.Author, v.showError)
	v.pane.customers = func() []inbox.Customer { return v.customers.all }
	v.pane.onChanged = v.reload
	v.pane.onNote = func() { v.composer.focus(true) }
	v.timeline.onLoaded = v.pane.showNotes
	v.search = newSearchView(desk, run, later, v.openHit)
	v.customers.list.onKey = v.onKey
	v.customers.list.onRune = v.onRune

	middle := container.NewBorder(v.banner, v.composer.content, nil, nil, v.timeline.content)
	right := container.NewHSplit(middle, v.pane.content)
	right.Offset = 0.72
	split := container.NewHSplit(v.customers.content, right)
	split.Offset = 0.27
	v.content = split
	return v
}

// reload reads the customer list again and refreshes the open customer.
func (v *mainView) reload() {
	v.onChanges([]inbox.Change{{Kind: inbox.Reload}})
}

// watch applies the desk's changes until stop is closed, coalesced: one
// refresh for a burst, at most one every refreshEvery. It also refreshes the
// waiting times once a minute.
func (v *mainView) watch(stop <-chan struct{}) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			fyne.Do(v.tick)
		case <-v.sub.C:
			fyne.Do(v.pump)
			select {
			case <-stop:
				return
			case <-time.After(refreshEvery):
			}
		}
	}
}

// tick redraws what depends on the clock: waiting times.
func (v *mainView) tick() {
	v.customers.list.Refresh()
	if v.hasCur {
		v.pane.showStatus()
	}
}

// pump applies the changes received so far.
func (v *mainView) pump() {
	if changes := v.sub.Take(); len(changes) > 0 {
		v.onChanges(changes)
	}
}

// onChanges reloads the customer list when customers changed, then what
// shows the open customer when they are among them. A burst of any size
// makes one load. (Account states are the shell's status bar's business.)
func (v *mainView) onChanges(changes []inbox.Change) {
	var list, all bool
	touched := map[inbox.CustomerID]bool{}
	for _, ch := range changes {
		switch ch.Kind {
		case inbox.Reload:
			list, all = true, true
		case inbox.CustomerChanged:
			list = true
			touched[ch.Customer] = true
		}
	}
	if !list {
		return
	}
	v.loads++
	other := v.customers.otherMode()
	cur, hasCur := v.cur.ID, v.hasCur
	v.run(func() func() {
		cs, err := v.desk.Customers(inbox.Filter{})
		var otherMsgs []inbox.Message
		var oerr, cerr error
		if other && err == nil {
			otherMsgs, oerr = v.loadOther()
		}
		var c inbox.Customer
		if hasCur && cur != inbox.OtherID && err == nil {
			c, cerr = v.desk.Customer(cur)
		}
		return func() {
			for _, e := range []error{err, oerr} {
				if e != nil {
					v.showError(tr("load the customers"), e)
					return
				}
			}
			v.customers.set(cs, otherMsgs)
			if !v.hasCur || v.cur.ID != cur {
				return // the person opened someone else meanwhile
			}
			switch {
			case cur == inbox.OtherID:
				if all || touched[cur] {
					v.timeline.reload(v.cur)
				}
			case inbox.ErrorCode(cerr) == inbox.NotFound:
				v.closeCustomer() // merged into another
			case cerr != nil:
				v.showError(tr("load the customer"), cerr)
			case all || touched[cur]:
				v.cur = c
				v.pane.show(c)
				v.composer.show(c)
				v.timeline.reload(c)
			}
		}
	})
}

// loadOther reads the Other view's newest messages, newest first.
func (v *mainView) loadOther() ([]inbox.Message, error) {
	p, err := v.desk.Timeline(inbox.OtherID, "", otherRows)
	if err != nil {
		return nil, err
	}
	out := make([]inbox.Message, 0, len(p.Messages))
	for i := len(p.Messages) - 1; i >= 0; i-- {
		if p.Messages[i].Direction == inbox.In {
			out = append(out, p.Messages[i])
		}
	}
	return out, nil
}

// onFilter loads the Other messages when the Other filter is picked.
func (v *mainView) onFilter() {
	if v.customers.otherMode() {
		v.reload()
	}
}

// onSelect opens what the person selected in the list; a click reads it,
// j/k only shows it.
func (v *mainView) onSelect(c inbox.Customer, msg inbox.MessageID, byKeyboard bool) {
	v.open(c, msg, !byKeyboard)
}

// open shows customer c in the middle and right columns, at message at
// when not 0; read marks their messages read.
func (v *mainView) open(c inbox.Customer, at inbox.MessageID, read bool) {
	v.cur, v.hasCur = c, true
	v.pane.show(c) // first: the timeline hands it the notes it loads
	v.composer.show(c)
	v.timeline.show(c, at)
	if read {
		v.markRead()
	}
}

// markRead marks the open customer's messages read.
func (v *mainView) markRead() {
	if !v.hasCur || v.cur.ID == inbox.OtherID || v.cur.Unread == 0 {
		return
	}
	id := v.cur.ID
	v.cur.Unread = 0
	v.run(func() func() {
		_, err := v.desk.MarkRead(id)
		return func() {
			if err != nil {
				v.showError(tr("mark the messages read"), err)
			}
		}
	})
}

// closeCustomer empties the middle and right columns.
func (v *mainView) closeCustomer() {
	v.composer.flush()
	v.hasCur = false
	v.cur = inbox.Customer{}
	v.customers.clearSelection()
	v.timeline.clear()
	v.composer.show(inbox.Customer{ID: inbox.OtherID})
	v.pane.clear()
}

// openHit opens a search hit: the customer, where the list shows them,
// at the message.
func (v *mainView) openHit(h inbox.Hit) {
	if h.CustomerID == inbox.OtherID {
		v.customers.setStatus(statusOther)
		v.open(inbox.Customer{ID: inbox.OtherID, Name: tr("Other")}, h.MessageID, false)
		v.customers.selectID(inbox.OtherID, h.MessageID)
		return
	}
	id := h.CustomerID
	v.run(func() func() {
		c, err := v.desk.Customer(id)
		return func() {
			if err != nil {
				v.showError(tr("open the customer"), err)
				return
			}
			v.customers.setStatus(c.EffectiveStatus(v.desk.Now()))
			v.open(c, h.MessageID, true)
			v.customers.selectID(c.ID, 0)
		}
	})
}

// showError shows what went wrong in the banner above the timeline: the
// message a person can act on, not the chain of wrapped internals (those
// go to the log).
func (v *mainView) showError(doing string, err error) {
	slog.Error("ui: "+doing, "err", err)
	v.bannerText.SetText(tr("Could not {{.Doing}}: {{.Reason}}", map[string]any{"Doing": doing, "Reason": inbox.Explain(err)}))
	v.banner.Show()
}

// close saves the draft (before it returns) and drops the desk
// subscription.
func (v *mainView) close() {
	v.composer.flushNow()
	v.sub.Close()
}
