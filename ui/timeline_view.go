package ui

import (
	"bytes"
	"image"
	"image/color"
	_ "image/gif" // attachments shown inline
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// Timeline paging and cutting.
const (
	// newestPage is how many messages opening a timeline reads: a few
	// screens, so a customer with 20,000 messages opens as fast as one
	// with 20. Scrolling up reads the older pages.
	newestPage = 20
	// timelinePage is how many messages one older load reads.
	timelinePage = 50
	// findPages is how far back opening at a message (a search hit) looks.
	findPages = 40
	// bodyRunes and bodyLines cut long bodies behind "Show more".
	bodyRunes = 1500
	bodyLines = 30
	// inlineImageMax is the largest attachment shown inline, in bytes.
	inlineImageMax = 8 << 20
)

// timelineView is the middle column: the customer's messages on every
// channel, oldest at the top and newest at the bottom, with day separators.
// Only the pages loaded so far are laid out (a VBox in a Scroll, one entry
// per message); scrolling to the top, or "Load older messages", reads the
// next older page. It lives on the UI goroutine; pages load through run.
type timelineView struct {
	desk    *inbox.Desk
	run     runner
	blobs   inbox.Blobs
	onError func(doing string, err error)
	// window returns the window dialogs open on; nil in tests without one.
	window func() fyne.Window
	// onLoaded tells the composer and the customer pane what is loaded.
	onLoaded func(id inbox.CustomerID, msgs []inbox.Message)

	header  *widget.Label
	sub     *widget.RichText
	hint    *widget.Label
	older   *widget.Button
	box     *fyne.Container // the entries
	column  *fyne.Container // box with a margin
	scroll  *container.Scroll
	body    *fyne.Container
	content fyne.CanvasObject

	// want is the customer shown or on the way; a page that arrives for
	// anyone else (the person clicked on) is dropped.
	want     inbox.CustomerID
	showing  bool
	cust     inbox.Customer
	msgs     []inbox.Message // oldest first
	before   string          // cursor of the next older page, "" at the start
	loading  bool            // an older page is on its way
	auto     bool            // the scroll moves by program, not by the person
	stick    bool            // the newest message is in view: keep it there when the column resizes
	built    map[inbox.MessageID]*entry
	expanded map[inbox.MessageID]bool // "Show more" opened
	quoted   map[inbox.MessageID]bool // "Show quoted text" opened
	mark     inbox.MessageID          // the message opened from a search hit
}

// entry is the widget of one message, kept while the message is unchanged.
type entry struct {
	m   inbox.Message
	obj fyne.CanvasObject
}

func newTimelineView(desk *inbox.Desk, run runner, blobs inbox.Blobs, onError func(string, error)) *timelineView {
	v := &timelineView{desk: desk, run: run, blobs: blobs, onError: onError,
		built: map[inbox.MessageID]*entry{}, expanded: map[inbox.MessageID]bool{}, quoted: map[inbox.MessageID]bool{}}
	v.header = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.header.SizeName = theme.SizeNameSubHeadingText
	v.header.Truncation = fyne.TextTruncateEllipsis
	v.sub = muted("")
	v.sub.Truncation = fyne.TextTruncateEllipsis
	v.hint = widget.NewLabelWithStyle(tr("Select a customer to read their timeline."), fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.older = widget.NewButtonWithIcon(tr("Load older messages"), theme.MoveUpIcon(), v.loadOlder)
	v.older.Importance = widget.LowImportance
	v.box = container.NewVBox()
	v.column = container.NewPadded(v.box)
	v.scroll = container.NewVScroll(v.column)
	v.scroll.OnScrolled = func(p fyne.Position) {
		if v.auto {
			return
		}
		v.stick = p.Y >= v.column.MinSize().Height-v.scroll.Size().Height-40
		if p.Y < 30 && v.before != "" && !v.loading {
			v.loadOlder()
		}
	}
	head := container.NewVBox(container.NewPadded(container.NewVBox(v.header, v.sub)), widget.NewSeparator())
	// The scroll stays visible (empty) under the hint, so it has its size
	// when the first page arrives and can scroll to the newest message.
	v.body = container.New(&stickLayout{v}, v.scroll, container.NewCenter(v.hint))
	v.content = container.NewBorder(head, nil, nil, nil, v.body)
	return v
}

// show opens c's timeline at its newest page, or at message at (a search
// hit, an Other row) when at is not 0.
func (v *timelineView) show(c inbox.Customer, at inbox.MessageID) {
	if v.want != c.ID || !v.showing {
		v.reset()
	}
	v.want, v.showing, v.cust, v.mark = c.ID, true, c, at
	v.setHeader(&c)
	v.run(func() func() {
		msgs, before, err := v.loadUntil(c.ID, at)
		return func() {
			if v.want != c.ID || !v.showing {
				return
			}
			if err != nil {
				v.onError(tr("load the timeline of {{.Name}}", map[string]any{"Name": c.Name}), err)
				return
			}
			v.msgs, v.before = msgs, before
			v.hint.Hide()
			v.render(scrollBottom)
			if at != 0 {
				v.scrollToMessage(at)
			}
			v.loaded()
			if v.before != "" && v.column.MinSize().Height < v.scroll.Size().Height {
				v.loadOlder() // short messages: the newest page leaves room above
			}
		}
	})
}

// loadUntil reads the newest page and, to reach message at, older pages.
func (v *timelineView) loadUntil(id inbox.CustomerID, at inbox.MessageID) ([]inbox.Message, string, error) {
	limit := newestPage
	if at != 0 {
		limit = timelinePage
	}
	p, err := v.desk.Timeline(id, "", limit)
	if err != nil {
		return nil, "", err
	}
	msgs, before := p.Messages, p.Before
	for range findPages {
		if at == 0 || before == "" || slices.ContainsFunc(msgs, func(m inbox.Message) bool { return m.ID == at }) {
			break
		}
		p, err := v.desk.Timeline(id, before, timelinePage)
		if err != nil {
			return nil, "", err
		}
		msgs, before = append(p.Messages, msgs...), p.Before
	}
	return msgs, before, nil
}

// reload reads the newest page again after a change and merges it with
// what is loaded: new messages are added at the bottom, changed ones
// (delivery states) replaced; older pages stay.
func (v *timelineView) reload(c inbox.Customer) {
	if !v.showing || v.want != c.ID {
		return
	}
	v.cust = c
	v.setHeader(&c)
	v.run(func() func() {
		p, err := v.desk.Timeline(c.ID, "", newestPage)
		return func() {
			if v.want != c.ID || !v.showing {
				return
			}
			if err != nil {
				v.onError(tr("load the timeline of {{.Name}}", map[string]any{"Name": c.Name}), err)
				return
			}
			v.merge(p)
			v.render(keepBottom)
			v.loaded()
		}
	})
}

// merge folds a fresh newest page into the loaded messages.
func (v *timelineView) merge(p inbox.Page) {
	if len(p.Messages) == 0 {
		v.msgs, v.before = nil, ""
		return
	}
	oldest := p.Messages[0]
	i := slices.IndexFunc(v.msgs, func(m inbox.Message) bool { return m.ID == oldest.ID })
	if i < 0 {
		// Too much changed (a merge, an unmerge, a big sync): start again
		// from the newest page.
		v.msgs, v.before = p.Messages, p.Before
		return
	}
	v.msgs = append(v.msgs[:i:i], p.Messages...)
}

// add shows a message the person just wrote, at once, before the change
// it causes comes back from the Desk.
func (v *timelineView) add(m inbox.Message) {
	if !v.showing || v.want != m.CustomerID {
		return
	}
	if slices.ContainsFunc(v.msgs, func(x inbox.Message) bool { return x.ID == m.ID }) {
		return
	}
	v.msgs = append(v.msgs, m)
	v.render(scrollBottom)
	v.loaded()
}

// loadOlder reads the page before the oldest loaded message.
func (v *timelineView) loadOlder() {
	if v.before == "" || v.loading || !v.showing {
		return
	}
	id, before := v.want, v.before
	v.loading = true
	v.run(func() func() {
		p, err := v.desk.Timeline(id, before, timelinePage)
		return func() {
			v.loading = false
			if v.want != id || !v.showing || v.before != before {
				return
			}
			if err != nil {
				v.onError(tr("load older messages"), err)
				return
			}
			v.msgs, v.before = append(p.Messages, v.msgs...), p.Before
			v.render(keepPlace)
			v.loaded()
		}
	})
}

// clear shows no timeline.
func (v *timelineView) clear() {
	v.reset()
	v.want, v.showing = 0, false
	v.header.SetText("")
	setSmall(v.sub, "", theme.ColorNamePlaceHolder, false)
	v.hint.Show()
	v.box.Objects = nil
	v.box.Refresh()
}

func (v *timelineView) reset() {
	v.msgs, v.before, v.loading, v.mark = nil, "", false, 0
	clear(v.built)
	clear(v.expanded)
	clear(v.quoted)
}

func (v *timelineView) loaded() {
	if v.onLoaded != nil {
		v.onLoaded(v.want, v.msgs)
	}
}

func (v *timelineView) setHeader(c *inbox.Customer) {
	if c.ID == inbox.OtherID {
		v.header.SetText(tr("Other"))
		setSmall(v.sub, tr("Mailing lists, bulk mail and no-reply senders: nothing here waits for an answer."), theme.ColorNamePlaceHolder, false)
		return
	}
	v.header.SetText(c.Name)
	var parts []string
	for _, id := range c.Identities {
		parts = append(parts, identityText(id))
	}
	setSmall(v.sub, strings.Join(parts, " · "), theme.ColorNamePlaceHolder, false)
}

// Where the scroll goes after a render.
const (
	scrollBottom = iota // to the newest message
	keepBottom          // to the newest when it was there, else where it was
	keepPlace           // older messages were added above: the same messages stay in view
)

// render lays the loaded messages out, reusing the entry of every message
// that did not change.
func (v *timelineView) render(scroll int) {
	oldH := v.column.MinSize().Height
	oldY := v.scroll.Offset.Y
	atBottom := oldY >= oldH-v.scroll.Size().Height-40

	objs := make([]fyne.CanvasObject, 0, len(v.msgs)*2+1)
	if v.before != "" {
		objs = append(objs, container.NewCenter(v.older))
	} else if len(v.msgs) > 0 {
		objs = append(objs, container.NewCenter(muted(tr("Beginning of the timeline"))))
	}
	now := v.desk.Now()
	seen := make(map[inbox.MessageID]bool, len(v.msgs))
	for i := range v.msgs {
		m := &v.msgs[i]
		if i == 0 || !sameDay(m.SentAt.In(timeZone()), v.msgs[i-1].SentAt) {
			objs = append(objs, daySeparator(dayText(m.SentAt, now)))
		}
		seen[m.ID] = true
		e := v.built[m.ID]
		if e == nil || !sameEntry(&e.m, m) {
			e = &entry{m: *m, obj: v.entry(m)}
			v.built[m.ID] = e
		}
		objs = append(objs, e.obj)
	}
	for id := range v.built {
		if !seen[id] {
			delete(v.built, id)
		}
	}
	v.box.Objects = objs
	v.measure()

	v.auto = true
	defer func() { v.auto = false }()
	v.stick = scroll == scrollBottom || (scroll == keepBottom && atBottom) || (scroll < 0 && v.stick)
	// ScrollToBottom lays the scroll out again for the column's new
	// height, bars included, even when it does not move; Refresh would do
	// it too, but it refreshes the column, which wraps every message's
	// text again.
	v.scroll.ScrollToBottom()
	switch {
	case scroll == scrollBottom || (scroll == keepBottom && atBottom):
	case scroll == keepPlace:
		v.scroll.ScrollToOffset(fyne.NewPos(0, oldY+v.column.MinSize().Height-oldH))
	default:
		v.scroll.ScrollToOffset(fyne.NewPos(0, oldY))
	}
}

// measure lays the column out at the scroll's width before the scroll
// position is set: wrapped text knows its height only once it knows its
// width, so the column is laid out, measured again and laid out again.
// Only the entries whose size changes are laid out (a new message, the
// whole column when the width changed): the others keep their wrapping.
func (v *timelineView) measure() {
	w := v.scroll.Size().Width
	if w <= 0 {
		v.box.Refresh()
		v.scroll.Refresh()
		return
	}
	for range 2 {
		v.column.Resize(fyne.NewSize(w, v.column.MinSize().Height))
		v.column.Layout.Layout(v.column.Objects, v.column.Size())
		v.box.Layout.Layout(v.box.Objects, v.box.Size())
	}
	canvas.Refresh(v.box)
}

// stickLayout stacks the timeline's scroll and hint, and keeps the newest
// message in view when the column changes size (the composer shows, the
// window is resized) while it was in view.
type stickLayout struct{ v *timelineView }

func (l *stickLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	if l.v.stick && l.v.showing {
		l.v.auto = true
		l.v.scroll.ScrollToBottom()
		l.v.auto = false
	}
}

func (l *stickLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// scrollToMessage brings message id into view.
func (v *timelineView) scrollToMessage(id inbox.MessageID) {
	e := v.built[id]
	if e == nil {
		return
	}
	v.stick = false
	v.auto = true
	defer func() { v.auto = false }()
	v.scroll.ScrollToOffset(fyne.NewPos(0, max(0, e.obj.Position().Y-theme.Padding()*6)))
}

// sameEntry reports whether an entry built for a still shows b.
func sameEntry(a, b *inbox.Message) bool {
	return a.State == b.State && a.Error == b.Error && a.Text == b.Text && a.Subject == b.Subject &&
		len(a.Attachments) == len(b.Attachments) && a.SentAt.Equal(b.SentAt)
}

// timeZone is where days start for the separators.
func timeZone() *time.Location { return time.Local }

// daySeparator is a centred date on a rule.
func daySeparator(text string) fyne.CanvasObject {
	l := small(text, theme.ColorNamePlaceHolder, fyne.TextStyle{Bold: true})
	plate := newTintBox(l, func() color.Color { return themeColor(theme.ColorNameBackground) })
	plate.pad = 0
	rule := container.NewVBox(layout.NewSpacer(), widget.NewSeparator(), layout.NewSpacer())
	return container.NewStack(rule, container.NewCenter(plate))
}

// entry builds the widget of one message.
func (v *timelineView) entry(m *inbox.Message) fyne.CanvasObject {
	switch m.Direction {
	case inbox.Event:
		return v.eventEntry(m)
	case inbox.Note:
		return v.noteEntry(m)
	}
	return v.bubble(m)
}

// eventEntry is a small centred line: "Resolved by Camille · 14:05". A
// continuity summary is a small box of its own.
func (v *timelineView) eventEntry(m *inbox.Message) fyne.CanvasObject {
	stamp := clockText(m.SentAt.In(timeZone()))
	if m.Event == inbox.EventSummary {
		title := small(tr("Summary for the agent")+" · "+stamp, theme.ColorNamePlaceHolder, fyne.TextStyle{Bold: true})
		text := muted(strings.TrimSpace(m.Text))
		text.Wrapping = fyne.TextWrapWord
		box := newTintBox(container.NewVBox(title, text), func() color.Color { return tint(theme.ColorNameForeground, 0.04) })
		return container.New(&sideLayout{center: true, frac: 0.8}, box)
	}
	color := theme.ColorNamePlaceHolder
	if m.Event == inbox.EventEscalated {
		color = theme.ColorNameWarning
	}
	l := small(eventText(m)+" · "+stamp, color, fyne.TextStyle{Italic: true})
	l.Segments[0].(*widget.TextSegment).Style.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	return l
}

// noteEntry is an internal note: tinted, bordered, "Note by Camille".
func (v *timelineView) noteEntry(m *inbox.Message) fyne.CanvasObject {
	head := caption(tr("Note by {{.Author}}", map[string]any{"Author": cmpOr(authorName(m.Author), tr("someone"))}), widget.MediumImportance)
	head.TextStyle.Bold = true
	when := muted(stampText(m.SentAt, v.desk.Now()))
	parts := []fyne.CanvasObject{container.NewBorder(nil, nil, head, when)}
	parts = append(parts, v.bodyParts(m, m.Text)...)
	box := newTintBox(container.NewVBox(parts...), func() color.Color { return tint(theme.ColorNameWarning, 0.16) })
	box.stroke = func() color.Color { return tint(theme.ColorNameWarning, 0.55) }
	return container.New(&sideLayout{center: true, frac: 0.92}, box)
}

// bubble is a message from the customer (left) or from the business
// (right), with its channel, account, author, time and delivery state.
func (v *timelineView) bubble(m *inbox.Message) fyne.CanvasObject {
	out := m.Direction == inbox.Out
	bot := out && m.Author == inbox.BotAuthor

	who := m.FromName
	switch {
	case out:
		who = cmpOr(authorName(m.Author), tr("Us"))
	case who == "" && v.cust.ID != inbox.OtherID:
		who = v.cust.Name
	case who == "":
		who = cmpOr(m.From, m.Party.Address)
	}
	name := caption(who, widget.MediumImportance)
	name.TextStyle.Bold = true
	meta := []fyne.CanvasObject{container.NewCenter(newChannelBadge(m.Channel)), name}
	if m.Account != "" {
		meta = append(meta, muted(tr("via {{.Account}}", map[string]any{"Account": m.Account})))
	}
	right := []fyne.CanvasObject{}
	if out {
		if s := stateText(m.State); s != "" {
			right = append(right, container.NewCenter(newBadge(s, stateColorName(m.State))))
		}
	}
	right = append(right, muted(stampText(m.SentAt, v.desk.Now())))
	parts := []fyne.CanvasObject{container.NewBorder(nil, nil, container.NewHBox(meta...), container.NewHBox(right...))}

	if m.Channel == inbox.ChannelEmail && strings.TrimSpace(m.Subject) != "" {
		s := widget.NewLabel(m.Subject)
		s.TextStyle.Bold = true
		s.Wrapping = fyne.TextWrapWord
		parts = append(parts, s)
	}
	parts = append(parts, v.bodyParts(m, m.Text)...)
	parts = append(parts, v.attachments(m)...)
	if m.State == inbox.StateFailed || m.State == inbox.StateUncertain {
		parts = append(parts, v.failure(m))
	}
	if m.Warning != "" {
		w := caption("⚠ "+m.Warning, widget.WarningImportance)
		w.Wrapping = fyne.TextWrapWord
		parts = append(parts, w)
	}

	fill := func() color.Color { return tint(theme.ColorNameForeground, 0.045) }
	switch {
	case bot:
		fill = func() color.Color { return tint(theme.ColorNameHyperlink, 0.10) }
	case out:
		fill = func() color.Color { return tint(theme.ColorNamePrimary, 0.09) }
	}
	box := newTintBox(container.NewVBox(parts...), fill)
	if m.ID == v.mark {
		box.stroke = func() color.Color { return themeColor(theme.ColorNamePrimary) }
	} else if m.State == inbox.StateFailed {
		box.stroke = func() color.Color { return themeColor(theme.ColorNameError) }
	}
	return container.New(&sideLayout{right: out, frac: 0.84}, box)
}

// stateColorName is the colour of a delivery state's badge.
func stateColorName(s inbox.State) fyne.ThemeColorName {
	switch s {
	case inbox.StateFailed:
		return theme.ColorNameError
	case inbox.StateUncertain:
		return theme.ColorNameWarning
	case inbox.StateDelivered, inbox.StateSent:
		return theme.ColorNameSuccess
	}
	return theme.ColorNameDisabled
}

// bodyParts is a message's text: folded quoted history for e-mail, cut
// behind "Show more" when long.
func (v *timelineView) bodyParts(m *inbox.Message, text string) []fyne.CanvasObject {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	own, quoted := text, ""
	if m.Channel == inbox.ChannelEmail {
		own, quoted = foldQuoted(text)
	}
	var parts []fyne.CanvasObject
	if own != "" {
		shown, more := own, false
		if !v.expanded[m.ID] {
			shown, more = cutBody(own, bodyRunes, bodyLines)
		}
		l := widget.NewLabel(shown)
		l.Wrapping = fyne.TextWrapWord
		l.Selectable = true
		parts = append(parts, l)
		if more {
			parts = append(parts, v.toggle(tr("Show more"), m.ID, v.expanded))
		}
	}
	if quoted != "" {
		if v.quoted[m.ID] {
			q := muted(quoted)
			q.Wrapping = fyne.TextWrapWord
			parts = append(parts, v.toggle(tr("Hide quoted text"), m.ID, v.quoted), q)
		} else {
			parts = append(parts, v.toggle(tr("··· Show quoted text"), m.ID, v.quoted))
		}
	}
	return parts
}

// toggle is a small link-like button that flips state[id] and rebuilds the
// message.
func (v *timelineView) toggle(text string, id inbox.MessageID, state map[inbox.MessageID]bool) fyne.CanvasObject {
	b := widget.NewButton(text, func() {
		state[id] = !state[id]
		delete(v.built, id)
		v.render(-1)
	})
	b.Importance = widget.LowImportance
	return container.NewHBox(b)
}

// failure says why an answer did not go, with the button to send it again.
func (v *timelineView) failure(m *inbox.Message) fyne.CanvasObject {
	why := m.Error
	if why == "" && m.State == inbox.StateUncertain {
		why = tr("Couture stopped while sending this answer: it may or may not have reached the customer.")
	}
	if why == "" {
		why = tr("This answer was not delivered.")
	}
	l := caption(why, widget.DangerImportance)
	l.Wrapping = fyne.TextWrapWord
	label := tr("Retry")
	if m.State == inbox.StateUncertain {
		label = tr("Send again")
	}
	id, cust := m.ID, m.CustomerID
	var retry *widget.Button
	retry = widget.NewButtonWithIcon(label, theme.ViewRefreshIcon(), func() {
		retry.Disable()
		v.run(func() func() {
			err := v.desk.Retry(id)
			return func() {
				if err != nil {
					retry.Enable()
					v.onError(tr("send the answer again"), err)
					return
				}
				if c, ok := v.current(cust); ok {
					v.reload(c)
				}
			}
		})
	})
	return container.NewBorder(nil, nil, nil, retry, l)
}

func (v *timelineView) current(id inbox.CustomerID) (inbox.Customer, bool) {
	return v.cust, v.showing && v.want == id
}

// attachments lists a message's files with Open and Save; images show
// inline (they are the message's own bytes: nothing remote is fetched).
func (v *timelineView) attachments(m *inbox.Message) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, a := range m.Attachments {
		name := cmpOr(a.Name, tr("attachment"))
		icon := theme.FileIcon()
		if strings.HasPrefix(a.Type, "image/") {
			icon = theme.FileImageIcon()
		}
		label := caption(name+" · "+sizeText(a.Size), widget.MediumImportance)
		label.Truncation = fyne.TextTruncateEllipsis
		row := container.NewBorder(nil, nil, widget.NewIcon(icon), nil, label)
		if v.blobs != nil && a.Blob != "" {
			open := widget.NewButtonWithIcon(tr("Open"), theme.FolderOpenIcon(), func() { v.openAttachment(a) })
			save := widget.NewButtonWithIcon(tr("Save"), theme.DocumentSaveIcon(), func() { v.saveAttachment(a) })
			open.Importance, save.Importance = widget.LowImportance, widget.LowImportance
			row = container.NewBorder(nil, nil, widget.NewIcon(icon), container.NewHBox(open, save), label)
			if inlineImage(a) {
				out = append(out, v.inlineImage(a))
			}
		}
		out = append(out, row)
	}
	return out
}

func inlineImage(a inbox.Attachment) bool {
	switch a.Type {
	case "image/png", "image/jpeg", "image/gif":
		return a.Size > 0 && a.Size <= inlineImageMax
	}
	return false
}

// inlineImage shows an image attachment, read off the UI goroutine.
func (v *timelineView) inlineImage(a inbox.Attachment) fyne.CanvasObject {
	img := canvas.NewImageFromResource(nil)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleSmooth
	img.SetMinSize(fyne.NewSize(1, 1))
	holder := container.NewHBox(img)
	v.run(func() func() {
		data, err := v.readBlob(a.Blob)
		var cfg image.Config
		if err == nil {
			cfg, _, err = image.DecodeConfig(bytes.NewReader(data))
		}
		return func() {
			if err != nil || cfg.Width == 0 || cfg.Height == 0 {
				holder.Hide()
				return
			}
			w, h := float32(cfg.Width), float32(cfg.Height)
			scale := min(1, 320/w, 220/h)
			img.Resource = fyne.NewStaticResource(a.Name, data)
			img.SetMinSize(fyne.NewSize(w*scale, h*scale))
			img.Refresh()
			holder.Refresh()
		}
	})
	return holder
}

func (v *timelineView) readBlob(key string) ([]byte, error) {
	r, err := v.blobs.Open(key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// openAttachment writes the file under the temporary directory and asks
// the desktop to open it with its usual application.
func (v *timelineView) openAttachment(a inbox.Attachment) {
	v.run(func() func() {
		path, err := v.tempCopy(a)
		return func() {
			if err != nil {
				v.onError(tr("open {{.Name}}", map[string]any{"Name": a.Name}), err)
				return
			}
			if app := fyne.CurrentApp(); app != nil {
				if err := app.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}); err != nil {
					v.onError(tr("open {{.Name}}", map[string]any{"Name": a.Name}), err)
				}
			}
		}
	})
}

func (v *timelineView) tempCopy(a inbox.Attachment) (string, error) {
	dir := filepath.Join(os.TempDir(), "couture-attachments", safeName(a.Blob))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, safeName(cmpOr(a.Name, "attachment")))
	data, err := v.readBlob(a.Blob)
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, data, 0o600)
}

// safeName keeps a file name from leaving its directory.
func safeName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, "\\", "/"))
	if s == "." || s == ".." || s == "/" || s == "" {
		return "attachment"
	}
	return s
}

// saveAttachment asks where to save the file and writes it there.
func (v *timelineView) saveAttachment(a inbox.Attachment) {
	if v.window == nil || v.window() == nil {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		v.run(func() func() {
			data, err := v.readBlob(a.Blob)
			if err == nil {
				_, err = w.Write(data)
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return func() {
				if err != nil {
					v.onError(tr("save {{.Name}}", map[string]any{"Name": a.Name}), err)
				}
			}
		})
	}, v.window())
	d.SetFileName(safeName(a.Name))
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// sideLayout lays a message out on the customer's side (left), the
// business's (right) or centred, over frac of the width.
type sideLayout struct {
	right, center bool
	frac          float32
}

func (l *sideLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := size.Width * l.frac
	for _, o := range objs {
		x := float32(0)
		switch {
		case l.center:
			x = (size.Width - w) / 2
		case l.right:
			x = size.Width - w
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (l *sideLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// cmpOr returns the first non-empty string.
func cmpOr(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
