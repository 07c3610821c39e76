package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// customerList is the left column: the customers, those waiting longest
// for an answer on top (the Desk's order), behind a filter bar (status with
// counts, channel, unread, name). Each customer is one fixed-height row:
// unread dot, name, waiting time, channel badges, last message preview.
// Rows are drawn from the customers already loaded: scrolling 50,000 rows
// reads nothing from the Desk. With the "Other" filter the rows are the
// newest messages of the Other view (lists, bulk and no-reply mail).
//
// It lives on the UI goroutine; the main view loads the customers and
// hands them over with set.
type customerList struct {
	now func() time.Time

	list    *keyList
	status  *widget.Select
	channel *widget.Select
	unread  *widget.Check
	query   *widget.Entry
	empty   *widget.Label
	content fyne.CanvasObject

	all    []inbox.Customer  // every customer, the Desk's order
	rows   []*inbox.Customer // those the filter keeps, pointing into all
	other  []inbox.Message   // the Other view's newest messages, newest first
	counts map[inbox.Status]int

	// sel is what is selected: a customer, or with the Other filter a
	// message of the Other view.
	selID    inbox.CustomerID
	selMsg   inbox.MessageID
	hasSel   bool
	quiet    bool // the selection changes because of set, not the person
	keyboard bool // the selection changes because of j/k

	// onSelect opens the customer (or, with Other, the message) the
	// person selected; byKeyboard is true for j/k.
	onSelect func(c inbox.Customer, m inbox.MessageID, byKeyboard bool)
	// onFilter says the filter changed: the Other filter needs a load.
	onFilter func()
}

// Status filter choices, in the order the status menu lists them.
var statusChoices = []inbox.Status{inbox.Open, inbox.Pending, inbox.Snoozed, inbox.Resolved, "", statusOther}

// statusOther is the pseudo-status of the Other filter.
const statusOther inbox.Status = "other"

func newCustomerList(now func() time.Time) *customerList {
	l := &customerList{now: now, counts: map[inbox.Status]int{}}
	l.list = newKeyList(
		func() int {
			if l.otherMode() {
				return len(l.other)
			}
			return len(l.rows)
		},
		func() fyne.CanvasObject { return newCustomerRow() },
		l.updateRow,
	)
	l.list.OnSelected = l.onSelected
	l.list.OnUnselected = func(widget.ListItemID) {
		if !l.quiet {
			l.hasSel = false
		}
	}

	l.empty = caption("", widget.MediumImportance)
	l.empty.Alignment = fyne.TextAlignCenter
	l.empty.Wrapping = fyne.TextWrapWord
	l.empty.Hide()

	l.status = widget.NewSelect(nil, func(string) { l.filterChanged() })
	l.channel = widget.NewSelect(nil, func(string) { l.filterChanged() })
	chOpts := []string{tr("Any channel")}
	for _, ch := range inbox.Channels {
		chOpts = append(chOpts, channelName(ch))
	}
	l.channel.SetOptions(chOpts)
	l.channel.SetSelectedIndex(0)
	l.unread = widget.NewCheck(tr("Unread"), func(bool) { l.filterChanged() })
	l.query = widget.NewEntry()
	l.query.SetPlaceHolder(tr("Filter by name or address"))
	l.query.OnChanged = func(string) { l.filterChanged() }
	l.renderStatusOptions()
	l.status.SetSelectedIndex(0)

	bar := container.NewVBox(
		container.NewBorder(nil, nil, nil, l.unread, l.query),
		container.NewGridWithColumns(2, l.status, l.channel),
	)
	l.content = container.NewBorder(bar, nil, nil, nil, container.NewStack(l.list, container.NewVBox(l.empty)))
	return l
}

// filter is the Desk filter the bar shows; Status is statusOther for the
// Other view.
func (l *customerList) filter() inbox.Filter {
	f := inbox.Filter{Unread: l.unread.Checked, Query: l.query.Text}
	if i := l.status.SelectedIndex(); i >= 0 && i < len(statusChoices) {
		f.Status = statusChoices[i]
	}
	if i := l.channel.SelectedIndex(); i > 0 {
		f.Channel = inbox.Channels[i-1]
	}
	return f
}

func (l *customerList) otherMode() bool { return l.filter().Status == statusOther }

// setStatus switches the status filter (the search opens a customer
// where they are).
func (l *customerList) setStatus(s inbox.Status) {
	for i, c := range statusChoices {
		if c == s {
			if l.status.SelectedIndex() != i {
				l.status.SetSelectedIndex(i)
			}
			return
		}
	}
}

// filterChanged re-filters what is loaded; the Other filter asks the main
// view for the Other messages.
func (l *customerList) filterChanged() {
	if l.status == nil || l.channel == nil || l.unread == nil || l.query == nil {
		return // still being built
	}
	l.refilter()
	if i := l.index(); i >= 0 {
		l.list.ScrollTo(i)
	} else {
		l.list.ScrollToTop()
	}
	if l.onFilter != nil {
		l.onFilter()
	}
}

// set replaces every customer (the Desk's order) and, with the Other
// filter, the Other messages; the selection stays on the same customer
// wherever the new order puts them.
func (l *customerList) set(all []inbox.Customer, other []inbox.Message) {
	l.all, l.other = all, other
	l.refilter()
}

// refilter applies the filter bar to the loaded customers and counts each
// status for the menu.
func (l *customerList) refilter() {
	f := l.filter()
	rest := f
	rest.Status = ""
	counts := map[inbox.Status]int{}
	rows := make([]*inbox.Customer, 0, len(l.rows))
	for i := range l.all {
		c := &l.all[i]
		if !rest.Match(c) {
			continue
		}
		counts[c.Status]++
		counts[""]++
		if f.Status == "" || c.Status == f.Status {
			rows = append(rows, c)
		}
	}
	l.counts = counts
	l.rows = rows
	l.renderStatusOptions()
	l.reselect()
	switch {
	case l.otherMode() && len(l.other) == 0:
		l.empty.SetText(tr("Nothing in Other: mailing lists, bulk mail and no-reply senders land here."))
		l.empty.Show()
	case !l.otherMode() && len(l.rows) == 0:
		l.empty.SetText(tr("No customer here."))
		l.empty.Show()
	default:
		l.empty.Hide()
	}
}

// renderStatusOptions writes the status menu with each status's count.
func (l *customerList) renderStatusOptions() {
	opts := make([]string, len(statusChoices))
	for i, s := range statusChoices {
		switch s {
		case "":
			opts[i] = fmt.Sprintf("%s · %s", tr("All"), formatInt(l.counts[""]))
		case statusOther:
			opts[i] = tr("Other")
		default:
			opts[i] = fmt.Sprintf("%s · %s", customerStatusText(s), formatInt(l.counts[s]))
		}
	}
	i := l.status.SelectedIndex()
	l.status.Options = opts
	if i >= 0 {
		l.status.Selected = opts[i]
	}
	l.status.Refresh()
}

// reselect keeps the selection on the same customer (or Other message),
// and the list where the person scrolled it (Select would scroll to the
// selected row each time a sync moves it).
func (l *customerList) reselect() {
	l.quiet = true
	defer func() { l.quiet = false }()
	off := l.list.GetScrollOffset()
	defer l.list.ScrollToOffset(off)
	if l.hasSel {
		for i := range l.length() {
			if l.idAt(i) == l.selID && (!l.otherMode() || l.other[i].ID == l.selMsg) {
				l.list.Select(i)
				l.list.Refresh()
				return
			}
		}
	}
	l.list.UnselectAll()
	l.list.Refresh()
}

func (l *customerList) length() int {
	if l.otherMode() {
		return len(l.other)
	}
	return len(l.rows)
}

func (l *customerList) idAt(i int) inbox.CustomerID {
	if l.otherMode() {
		return inbox.OtherID
	}
	return l.rows[i].ID
}

// index is the row of the selected customer, -1 for none.
func (l *customerList) index() int {
	if !l.hasSel {
		return -1
	}
	for i := range l.length() {
		if l.idAt(i) == l.selID && (!l.otherMode() || l.other[i].ID == l.selMsg) {
			return i
		}
	}
	return -1
}

// move selects the row delta rows away from the selected one (the first
// row when none is selected), as j and k do.
func (l *customerList) move(delta int) {
	n := l.length()
	if n == 0 {
		return
	}
	i := l.index()
	switch {
	case i < 0 && delta > 0:
		i = 0
	case i < 0:
		i = n - 1
	default:
		i = min(max(i+delta, 0), n-1)
	}
	l.keyboard = true
	l.list.Select(i)
	l.keyboard = false
	l.list.ScrollTo(i)
}

func (l *customerList) onSelected(i widget.ListItemID) {
	if l.quiet || i < 0 || i >= l.length() {
		return
	}
	if l.otherMode() {
		l.selID, l.selMsg, l.hasSel = inbox.OtherID, l.other[i].ID, true
		l.onSelect(inbox.Customer{ID: inbox.OtherID, Name: tr("Other")}, l.other[i].ID, l.keyboard)
		return
	}
	l.selID, l.selMsg, l.hasSel = l.rows[i].ID, 0, true
	l.onSelect(*l.rows[i], 0, l.keyboard)
}

// selectID selects the customer quietly (the search opened them).
func (l *customerList) selectID(id inbox.CustomerID, msg inbox.MessageID) {
	l.selID, l.selMsg, l.hasSel = id, msg, true
	l.reselect()
	if i := l.index(); i >= 0 {
		l.list.ScrollTo(i)
	}
}

// clearSelection drops the selection (the customer was merged away).
func (l *customerList) clearSelection() {
	l.hasSel = false
	l.reselect()
}

func (l *customerList) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	row := o.(*customerRow)
	now := l.now()
	if l.otherMode() {
		if i < 0 || i >= len(l.other) {
			return
		}
		m := &l.other[i]
		name := m.FromName
		if name == "" {
			name = m.From
		}
		if name == "" {
			name = m.Party.Address
		}
		row.show(name, whenShort(m.SentAt, now), theme.ColorNamePlaceHolder, !m.Seen, []inbox.ChannelKind{m.Channel}, inbox.Preview(m))
		return
	}
	if i < 0 || i >= len(l.rows) {
		return
	}
	c := l.rows[i]
	when, color := waitingText(c, now), theme.ColorNameWarning
	switch {
	case when != "" && now.Sub(c.WaitingSince) >= longWait:
		color = theme.ColorNameError
	case when != "":
	case c.Status == inbox.Snoozed && !c.SnoozedUntil.IsZero():
		when, color = tr("until {{.When}}", map[string]any{"When": whenShort(c.SnoozedUntil, now)}), theme.ColorNamePlaceHolder
	default:
		when, color = whenShort(c.LastMessageAt, now), theme.ColorNamePlaceHolder
	}
	preview := c.LastPreview
	if c.Escalated() {
		preview = tr("Wants a person") + " · " + preview
	}
	row.show(c.Name, when, color, c.Unread > 0, rowChannels(c), preview)
}

// keyList is a widget.List that hands the keys it receives (when it has
// the focus, after a click on a row) to the window's shortcuts first.
type keyList struct {
	widget.List
	onKey  func(*fyne.KeyEvent) bool
	onRune func(rune) bool
}

func newKeyList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *keyList {
	l := &keyList{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey implements fyne.Focusable.
func (l *keyList) TypedKey(ev *fyne.KeyEvent) {
	if l.onKey != nil && l.onKey(ev) {
		return
	}
	l.List.TypedKey(ev)
}

// TypedRune implements fyne.Focusable.
func (l *keyList) TypedRune(r rune) {
	if l.onRune != nil && l.onRune(r) {
		return
	}
	l.List.TypedRune(r)
}

// customerRow is one row of the list, laid out by hand on two lines so
// every row has the same small height. Its texts are bare canvas texts,
// placed where labels would draw them and cut with ellipsize: the list binds
// rows anew on every scroll step, and a truncating label is too slow for
// that.
type customerRow struct {
	widget.BaseWidget
	dot     *dot
	name    *canvas.Text
	when    *canvas.Text
	badges  [4]*badge
	nb      int
	preview *canvas.Text

	// What the row shows, the texts in full; name and preview show them
	// cut to the width they had at the last layout (cut).
	nameText, previewText string
	unread                bool
	whenColor             fyne.ThemeColorName
	cut                   float32
}

func newCustomerRow() *customerRow {
	r := &customerRow{dot: newDot(), whenColor: theme.ColorNamePlaceHolder}
	r.name = canvas.NewText("", color.Transparent)
	r.when = canvas.NewText("", color.Transparent)
	r.preview = canvas.NewText("", color.Transparent)
	for i := range r.badges {
		r.badges[i] = &badge{} // drawn once show gives it a channel
		r.badges[i].ExtendBaseWidget(r.badges[i])
		r.badges[i].Hide()
	}
	r.ExtendBaseWidget(r)
	r.style()
	return r
}

// show fills the row. whenColor is the colour of the corner text: a wait
// in the warning or error colour, a date muted.
func (r *customerRow) show(name, when string, whenColor fyne.ThemeColorName, unread bool, chans []inbox.ChannelKind, preview string) {
	r.nameText, r.previewText, r.unread, r.whenColor = name, preview, unread, whenColor
	r.when.Text = when
	r.dot.Hidden = !unread
	r.dot.Refresh()
	r.nb = min(len(chans), len(r.badges))
	for i, b := range r.badges {
		if i < r.nb {
			b.setChannel(chans[i])
			b.Show()
		} else {
			b.Hide()
		}
	}
	r.style()
	r.cut = -1
	r.layout(r.Size())
	r.name.Refresh()
	r.when.Refresh()
	r.preview.Refresh()
}

// style gives the texts their theme sizes, colours and weights.
func (r *customerRow) style() {
	r.name.TextSize = theme.TextSize()
	r.name.TextStyle.Bold = r.unread
	r.name.Color = themeColor(theme.ColorNameForeground)
	r.when.TextSize = theme.CaptionTextSize()
	r.when.TextStyle.Bold = r.whenColor != theme.ColorNamePlaceHolder
	r.when.Color = themeColor(r.whenColor)
	r.preview.TextSize = theme.CaptionTextSize()
	r.preview.Color = themeColor(theme.ColorNamePlaceHolder)
}

// CreateRenderer implements fyne.Widget.
func (r *customerRow) CreateRenderer() fyne.WidgetRenderer {
	objs := []fyne.CanvasObject{r.dot, r.name, r.when, r.preview}
	for _, b := range r.badges {
		objs = append(objs, b)
	}
	return &rowRenderer{r: r, objs: objs}
}

type rowRenderer struct {
	r    *customerRow
	objs []fyne.CanvasObject
}

// Row geometry: each text sits where a label (which pads its text by
// theme.InnerPadding on every side) would draw it, so the second line's
// label overlaps the first's bottom padding.
const (
	rowHeight  = 54
	rowIndent  = 14 // room for the unread dot
	rowLine2   = 24 // top of the preview label
	badgeSpace = 3
)

func (rr *rowRenderer) Layout(size fyne.Size) { rr.r.layout(size) }

func (r *customerRow) layout(size fyne.Size) {
	if size.Width <= 0 {
		return
	}
	pad := theme.InnerPadding()
	whenSize := r.when.MinSize()
	whenW := whenSize.Width + 2*pad
	nameX, nameW := rowIndent-pad/2, size.Width-rowIndent-whenW+pad
	recut := r.cut != size.Width
	r.cut = size.Width
	if recut {
		r.name.Text = ellipsize(r.nameText, nameW-2*pad, r.name.TextSize, r.name.TextStyle)
	}
	nameSize := r.name.MinSize()
	nameH := nameSize.Height + 2*pad
	r.dot.Move(fyne.NewPos(2, nameH/2-dotSize/2-1))
	r.dot.Resize(fyne.NewSquareSize(dotSize))
	r.name.Move(fyne.NewPos(nameX+pad, pad))
	r.name.Resize(nameSize)
	r.when.Move(fyne.NewPos(size.Width-whenW+pad, 2+pad))
	r.when.Resize(whenSize)

	x := float32(rowIndent + pad/2)
	ph := r.preview.MinSize().Height + 2*pad
	for i := 0; i < r.nb; i++ {
		b := r.badges[i]
		bs := b.MinSize()
		b.Move(fyne.NewPos(x, rowLine2+ph/2-bs.Height/2))
		b.Resize(bs)
		x += bs.Width + badgeSpace
	}
	if r.nb > 0 {
		x += badgeSpace - pad
	} else {
		x = rowIndent - pad/2
	}
	if recut {
		r.preview.Text = ellipsize(r.previewText, size.Width-x-2*pad, r.preview.TextSize, r.preview.TextStyle)
	}
	r.preview.Move(fyne.NewPos(x+pad, rowLine2+pad))
	r.preview.Resize(r.preview.MinSize())
}

func (rr *rowRenderer) MinSize() fyne.Size { return fyne.NewSize(120, rowHeight) }

// Refresh follows a theme change: sizes and colours, then the cuts.
func (rr *rowRenderer) Refresh() {
	rr.r.style()
	rr.r.cut = -1
	for _, o := range rr.objs {
		o.Refresh()
	}
	rr.r.layout(rr.r.Size())
}
func (rr *rowRenderer) Objects() []fyne.CanvasObject { return rr.objs }
func (rr *rowRenderer) Destroy()                     {}
