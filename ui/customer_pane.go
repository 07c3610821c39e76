package ui

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// paneNotes is how many notes the customer pane lists.
const paneNotes = 5

// customerPane is the right column: who the customer is and what can be
// done about them. The name (editable), the status with its buttons
// (resolve, waiting on the customer, snooze until…, reopen), the
// identities with their channels, merge suggestions to accept or reject,
// a merge with any customer found by name, the merge history with undo,
// and the latest notes. It lives on the UI goroutine.
type customerPane struct {
	desk    *inbox.Desk
	run     runner
	author  string
	onError func(doing string, err error)
	// customers returns every loaded customer, for the merge search.
	customers func() []inbox.Customer
	// onChanged says the customer changed (renamed, merged, unmerged):
	// the main view reloads.
	onChanged func()
	// onNote opens the composer in note mode.
	onNote func()

	cust inbox.Customer
	has  bool

	name        *widget.Entry
	rename      *widget.Button
	status      *widget.Label
	resolve     *widget.Button
	pending     *widget.Button
	snooze      *widget.Button
	reopen      *widget.Button
	ids         *fyne.Container
	suggestions *fyne.Container
	sugTitle    fyne.CanvasObject
	merge       *widget.Button
	history     *fyne.Container
	histTitle   fyne.CanvasObject
	notes       *fyne.Container
	other       *widget.Label
	details     *fyne.Container
	content     fyne.CanvasObject

	mergePop *widget.PopUp
}

func newCustomerPane(desk *inbox.Desk, run runner, author string, onError func(string, error)) *customerPane {
	p := &customerPane{desk: desk, run: run, author: author, onError: onError}
	p.name = widget.NewEntry()
	p.name.TextStyle.Bold = true
	p.name.OnSubmitted = func(string) { p.onRename() }
	p.name.OnChanged = func(s string) {
		if p.has && strings.TrimSpace(s) != p.cust.Name {
			p.rename.Show()
		} else {
			p.rename.Hide()
		}
	}
	p.rename = widget.NewButtonWithIcon("", theme.ConfirmIcon(), p.onRename)
	p.rename.Importance = widget.LowImportance
	p.rename.Hide()
	p.status = caption("", widget.MediumImportance)
	p.status.Wrapping = fyne.TextWrapWord

	p.resolve = widget.NewButtonWithIcon(tr("Resolve"), theme.ConfirmIcon(), p.onResolve)
	p.resolve.Importance = widget.HighImportance
	p.pending = widget.NewButtonWithIcon(tr("Pending"), theme.HistoryIcon(), p.onPending)
	p.snooze = widget.NewButtonWithIcon(tr("Snooze…"), theme.MediaPauseIcon(), p.onSnooze)
	p.reopen = widget.NewButtonWithIcon(tr("Reopen"), theme.MailReplyAllIcon(), p.onReopen)

	p.ids = container.NewVBox()
	p.suggestions = container.NewVBox()
	p.sugTitle = sectionTitle(tr("Maybe the same person"))
	p.merge = widget.NewButtonWithIcon(tr("Merge with another customer…"), theme.ContentAddIcon(), p.onMergeSearch)
	p.merge.Importance = widget.LowImportance
	p.history = container.NewVBox()
	p.histTitle = sectionTitle(tr("Merges"))
	p.notes = container.NewVBox()
	addNote := widget.NewButtonWithIcon(tr("Add a note"), theme.DocumentCreateIcon(), func() {
		if p.onNote != nil {
			p.onNote()
		}
	})
	addNote.Importance = widget.LowImportance

	p.other = widget.NewLabel(tr("Other holds mailing lists, bulk mail and no-reply senders. Nothing here waits for an answer, and nothing here is answered automatically."))
	p.other.Wrapping = fyne.TextWrapWord
	p.other.Hide()

	buttons := container.NewGridWithColumns(2, p.resolve, p.pending, p.snooze, p.reopen)
	p.details = container.NewVBox(
		container.NewBorder(nil, nil, nil, p.rename, p.name),
		p.status,
		buttons,
		widget.NewSeparator(),
		sectionTitle(tr("Identities")),
		p.ids,
		p.sugTitle,
		p.suggestions,
		container.NewHBox(p.merge),
		p.histTitle,
		p.history,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, sectionTitle(tr("Notes")), addNote),
		p.notes,
	)
	p.details.Hide()
	p.content = container.NewVScroll(container.NewPadded(container.NewVBox(p.other, p.details)))
	return p
}

// sectionTitle is the small bold heading of a pane section.
func sectionTitle(text string) fyne.CanvasObject {
	return small(text, theme.ColorNamePlaceHolder, fyne.TextStyle{Bold: true})
}

// show fills the pane with c and reads what it shows beside the customer
// record: merge suggestions and the merge history.
func (p *customerPane) show(c inbox.Customer) {
	if c.ID == inbox.OtherID {
		p.has = false
		p.details.Hide()
		p.other.Show()
		return
	}
	same := p.has && p.cust.ID == c.ID
	stale := !same || !slices.Equal(p.cust.Merges, c.Merges) || !slices.Equal(p.cust.Identities, c.Identities) || p.cust.Name != c.Name
	p.cust, p.has = c, true
	p.other.Hide()
	p.details.Show()
	if !same || !p.rename.Visible() {
		p.name.SetText(c.Name)
	}
	p.rename.Hide()
	p.showStatus()
	p.showIdentities()
	if !same {
		p.notes.Objects = nil
		p.notes.Refresh()
		p.suggestions.Objects = nil
		p.suggestions.Refresh()
		p.sugTitle.Hide()
	}
	if stale {
		p.loadExtras()
	}
}

// loadExtras reads what the pane shows beside the customer record: merge
// suggestions (a scan of every customer: only when the customer opens or
// changes identities) and the merge history.
func (p *customerPane) loadExtras() {
	id, merges := p.cust.ID, slices.Clone(p.cust.Merges)
	var all []inbox.Customer // the loaded list: names without a store scan
	if p.customers != nil {
		all = p.customers()
	}
	p.run(func() func() {
		sugs, serr := p.desk.Suggestions(context.Background(), id, all)
		var records []inbox.Merge
		var merr error
		for _, mid := range merges {
			m, err := p.desk.MergeRecord(mid)
			if err != nil {
				merr = err
				continue
			}
			records = append(records, m)
		}
		return func() {
			if !p.has || p.cust.ID != id {
				return
			}
			if serr != nil {
				p.onError(tr("find merge suggestions"), serr)
			}
			if merr != nil {
				p.onError(tr("read the merge history"), merr)
			}
			p.showSuggestions(sugs)
			p.showHistory(records)
		}
	})
}

// clear shows nothing.
func (p *customerPane) clear() {
	p.has = false
	p.details.Hide()
	p.other.Hide()
}

func (p *customerPane) showStatus() {
	c, now := &p.cust, p.desk.Now()
	st := c.EffectiveStatus(now)
	text := customerStatusText(st)
	switch {
	case st == inbox.Snoozed:
		text = tr("Snoozed until {{.When}}", map[string]any{"When": stampText(c.SnoozedUntil, now)})
	case !c.WaitingSince.IsZero():
		text += " · " + tr("waiting for {{.Wait}}", map[string]any{"Wait": shortWait(now.Sub(c.WaitingSince))})
	}
	if c.Escalated() {
		text += " · " + tr("the bot asked for a person")
	}
	p.status.SetText(text)
	show := func(b *widget.Button, on bool) {
		if on {
			b.Show()
		} else {
			b.Hide()
		}
	}
	show(p.resolve, st != inbox.Resolved)
	show(p.pending, st == inbox.Open)
	show(p.snooze, st == inbox.Open || st == inbox.Pending)
	show(p.reopen, st != inbox.Open)
}

func (p *customerPane) showIdentities() {
	var rows []fyne.CanvasObject
	for _, id := range p.cust.Identities {
		var badges []fyne.CanvasObject
		for _, ch := range identityChannels(id) {
			badges = append(badges, container.NewCenter(newChannelBadge(ch)))
		}
		addr := caption(identityText(id), widget.MediumImportance)
		addr.Truncation = fyne.TextTruncateEllipsis
		rows = append(rows, container.NewBorder(nil, nil, container.NewHBox(badges...), nil, addr))
	}
	if len(rows) == 0 {
		rows = append(rows, muted(tr("No address")))
	}
	p.ids.Objects = rows
	p.ids.Refresh()
}

// showSuggestions lists the customers who may be the same person, each
// with Merge and Not the same.
func (p *customerPane) showSuggestions(sugs []inbox.Suggestion) {
	var rows []fyne.CanvasObject
	for _, s := range sugs {
		name := caption(s.Name, widget.MediumImportance)
		name.TextStyle.Bold = true
		name.Truncation = fyne.TextTruncateEllipsis
		why := muted(suggestionReason(&s))
		why.Wrapping = fyne.TextWrapWord
		other := s.Customer
		accept := widget.NewButtonWithIcon(tr("Merge"), theme.ConfirmIcon(), func() { p.mergeWith(other, suggestionReason(&s)) })
		accept.Importance = widget.HighImportance
		reject := widget.NewButtonWithIcon(tr("Not the same"), theme.CancelIcon(), func() { p.reject(other) })
		reject.Importance = widget.LowImportance
		rows = append(rows, newTintBox(container.NewVBox(name, why, container.NewGridWithColumns(2, accept, reject)),
			func() color.Color { return tint(theme.ColorNamePrimary, 0.07) }))
	}
	p.suggestions.Objects = rows
	p.suggestions.Refresh()
	if len(rows) > 0 {
		p.sugTitle.Show()
	} else {
		p.sugTitle.Hide()
	}
}

// suggestionReason words the evidence for a person.
func suggestionReason(s *inbox.Suggestion) string {
	switch s.Evidence {
	case inbox.EvidenceSameName:
		return tr("Same name")
	case inbox.EvidenceMentioned:
		return tr("{{.Address}} is written in a message", map[string]any{"Address": s.Identity.Address})
	}
	return s.Reason
}

// showHistory lists the merges into this customer, newest first, each
// with Undo while it is not undone.
func (p *customerPane) showHistory(records []inbox.Merge) {
	slices.SortFunc(records, func(a, b inbox.Merge) int { return b.At.Compare(a.At) })
	now := p.desk.Now()
	var rows []fyne.CanvasObject
	for _, m := range records {
		if m.Into != p.cust.ID {
			continue
		}
		text := tr("{{.Name}} merged in, {{.When}}", map[string]any{"Name": m.FromBefore.Name, "When": stampText(m.At, now)})
		if m.Auto {
			text += " · " + tr("same address")
		}
		l := caption(text, widget.MediumImportance)
		l.Wrapping = fyne.TextWrapWord
		if !m.UndoneAt.IsZero() {
			l.Importance = widget.LowImportance
			l.Text += " · " + tr("undone")
			rows = append(rows, l)
			continue
		}
		id := m.ID
		undo := widget.NewButtonWithIcon(tr("Undo"), theme.ContentUndoIcon(), func() { p.unmerge(id) })
		undo.Importance = widget.LowImportance
		rows = append(rows, container.NewBorder(nil, nil, nil, undo, l))
	}
	p.history.Objects = rows
	p.history.Refresh()
	if len(rows) > 0 {
		p.histTitle.Show()
	} else {
		p.histTitle.Hide()
	}
}

// showNotes lists the newest notes among the loaded timeline messages.
func (p *customerPane) showNotes(id inbox.CustomerID, msgs []inbox.Message) {
	if !p.has || p.cust.ID != id {
		return
	}
	now := p.desk.Now()
	var rows []fyne.CanvasObject
	for i := len(msgs) - 1; i >= 0 && len(rows) < paneNotes; i-- {
		m := &msgs[i]
		if m.Direction != inbox.Note {
			continue
		}
		head := small(cmpOr(authorName(m.Author), tr("someone"))+" · "+stampText(m.SentAt, now), theme.ColorNamePlaceHolder, fyne.TextStyle{Bold: true})
		text := caption(m.Text, widget.MediumImportance)
		text.Wrapping = fyne.TextWrapWord
		short, _ := cutBody(m.Text, 240, 6)
		text.Text = short
		rows = append(rows, newTintBox(container.NewVBox(head, text), func() color.Color { return tint(theme.ColorNameWarning, 0.16) }))
	}
	if len(rows) == 0 {
		rows = append(rows, muted(tr("No notes yet.")))
	}
	p.notes.Objects = rows
	p.notes.Refresh()
}

// act runs a Desk call about the customer off the UI goroutine and
// reloads the view when it worked.
func (p *customerPane) act(doing string, call func(id inbox.CustomerID) error) {
	if !p.has {
		return
	}
	id := p.cust.ID
	p.run(func() func() {
		err := call(id)
		return func() {
			if err != nil {
				p.onError(doing, err)
				return
			}
			if p.onChanged != nil {
				p.onChanged()
			}
		}
	})
}

func (p *customerPane) onRename() {
	name := strings.TrimSpace(p.name.Text)
	if !p.has || name == "" || name == p.cust.Name {
		return
	}
	p.rename.Hide()
	p.act(tr("rename the customer"), func(id inbox.CustomerID) error {
		_, err := p.desk.Rename(id, name)
		return err
	})
}

func (p *customerPane) onResolve() {
	p.act(tr("resolve"), func(id inbox.CustomerID) error {
		_, err := p.desk.Resolve(id, p.author)
		return err
	})
}

func (p *customerPane) onPending() {
	p.act(tr("mark as waiting on the customer"), func(id inbox.CustomerID) error {
		_, err := p.desk.MarkPending(id, p.author)
		return err
	})
}

func (p *customerPane) onReopen() {
	p.act(tr("reopen"), func(id inbox.CustomerID) error {
		_, err := p.desk.Reopen(id, p.author)
		return err
	})
}

// snoozePreset is one choice of the snooze menu.
type snoozePreset struct {
	label string
	until time.Time
}

// snoozePresets are the snooze menu's choices at now: an hour, tomorrow
// morning, next Monday morning (in the local time zone).
func snoozePresets(now time.Time) []snoozePreset {
	now = now.In(time.Local)
	morning := func(days int) time.Time {
		d := now.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, time.Local)
	}
	monday := (8 - int(now.Weekday())) % 7
	if monday == 0 {
		monday = 7
	}
	return []snoozePreset{
		{tr("For 1 hour"), now.Add(time.Hour)},
		{tr("Until tomorrow 9:00"), morning(1)},
		{tr("Until next Monday 9:00"), morning(monday)},
	}
}

func (p *customerPane) onSnooze() {
	c := fyne.CurrentApp().Driver().CanvasForObject(p.snooze)
	if c == nil {
		return
	}
	var items []*fyne.MenuItem
	for _, s := range snoozePresets(p.desk.Now()) {
		until := s.until
		items = append(items, fyne.NewMenuItem(s.label, func() { p.snoozeUntil(until) }))
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(p.snooze)
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c, pos.AddXY(0, p.snooze.Size().Height))
}

func (p *customerPane) snoozeUntil(t time.Time) {
	p.act(tr("snooze"), func(id inbox.CustomerID) error {
		_, err := p.desk.Snooze(id, p.author, t)
		return err
	})
}

// mergeWith merges other into the customer shown.
func (p *customerPane) mergeWith(other inbox.CustomerID, reason string) {
	p.act(tr("merge the customers"), func(id inbox.CustomerID) error {
		_, err := p.desk.Merge(id, other, reason)
		return err
	})
}

// reject remembers that other is not the customer shown.
func (p *customerPane) reject(other inbox.CustomerID) {
	if !p.has {
		return
	}
	id := p.cust.ID
	p.run(func() func() {
		err := p.desk.RejectSuggestion(id, other)
		return func() {
			if err != nil {
				p.onError(tr("reject the suggestion"), err)
				return
			}
			if p.has && p.cust.ID == id {
				p.loadExtras()
			}
		}
	})
}

func (p *customerPane) unmerge(mid inbox.MergeID) {
	p.act(tr("undo the merge"), func(inbox.CustomerID) error {
		_, err := p.desk.Unmerge(mid)
		return err
	})
}

// onMergeSearch opens a small search over the customers to merge one into
// the customer shown.
func (p *customerPane) onMergeSearch() {
	c := fyne.CurrentApp().Driver().CanvasForObject(p.merge)
	if c == nil || !p.has || p.customers == nil {
		return
	}
	var found []inbox.Customer
	list := widget.NewList(
		func() int { return len(found) },
		func() fyne.CanvasObject {
			n := widget.NewLabel("Name")
			n.TextStyle.Bold = true
			a := caption("address", widget.MediumImportance)
			a.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, n, nil, a)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(found) {
				return
			}
			row := o.(*fyne.Container)
			row.Objects[1].(*widget.Label).SetText(found[i].Name)
			var addrs []string
			for _, id := range found[i].Identities {
				addrs = append(addrs, id.Address)
			}
			row.Objects[0].(*widget.Label).SetText(strings.Join(addrs, ", "))
		},
	)
	entry := widget.NewEntry()
	entry.SetPlaceHolder(tr("Name, e-mail or phone of the other customer"))
	search := func(q string) {
		found = found[:0]
		if strings.TrimSpace(q) != "" {
			f := inbox.Filter{Query: q}
			for _, x := range p.customers() {
				if x.ID != p.cust.ID && f.Match(&x) {
					found = append(found, x)
					if len(found) == 50 {
						break
					}
				}
			}
		}
		list.UnselectAll()
		list.Refresh()
	}
	entry.OnChanged = search
	intro := widget.NewLabel(tr("Merge into {{.Name}}: their messages and addresses move here. You can undo it.", map[string]any{"Name": p.cust.Name}))
	intro.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton(tr("Cancel"), func() { p.mergePop.Hide() })
	list.OnSelected = func(i widget.ListItemID) {
		if i < 0 || i >= len(found) {
			return
		}
		other := found[i].ID
		p.mergePop.Hide()
		p.mergeWith(other, tr("merged by hand"))
	}
	content := container.NewBorder(container.NewVBox(intro, entry), container.NewHBox(cancel), nil, nil, list)
	p.mergePop = widget.NewModalPopUp(content, c)
	p.mergePop.Resize(fyne.NewSize(440, 380))
	p.mergePop.Show()
	c.Focus(entry)
}
