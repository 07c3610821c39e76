package ui

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// Limit is how an answer measures against its channel's limits, as the
// send box shows it live. cmd/couture fills it from channels.Check (the
// ui cannot import the channels); see Options.Limits.
type Limit struct {
	// Chars is the length in the unit the channel counts (UTF-16 code
	// units for SMS, WhatsApp and Telegram).
	Chars int
	// Max is the channel's limit in that unit, 0 when none.
	Max int
	// Segments and Encoding ("GSM-7", "UCS-2") are the SMS count.
	Segments int
	Encoding string
	// Warning is worth showing but does not stop the answer.
	Warning string
}

// LimitFunc measures text against channel ch's limits: lastInbound is when
// the customer last wrote on ch (zero when never), now the current time.
// An error (an inbox error: Invalid for too long, Conflict for outside
// WhatsApp's 24-hour window) means the answer cannot go as it is; its
// message is shown and Send is disabled.
type LimitFunc func(ch inbox.ChannelKind, text string, lastInbound, now time.Time) (Limit, error)

// builtinLimits is the LimitFunc used when Options.Limits is nil: the rules
// the domain owns (SMS segments, inbox.CountSMS) and the two published
// numbers the send box needs most (Telegram's 4096 characters, WhatsApp's
// 24-hour window). channels.Check, which cmd passes, says more (Twilio's
// 1,600 characters, Matrix event sizes, the e-mail size warning).
func builtinLimits(ch inbox.ChannelKind, text string, last, now time.Time) (Limit, error) {
	units := 0
	for _, r := range text {
		units += max(utf16.RuneLen(r), 1)
	}
	l := Limit{Chars: units}
	switch ch {
	case inbox.ChannelSMS:
		c := inbox.CountSMS(text)
		l.Segments, l.Encoding = c.Segments, c.Encoding
	case inbox.ChannelTelegram:
		l.Max = 4096
		if l.Chars > l.Max {
			return l, inbox.Errorf(inbox.Invalid, "the answer is %d characters; Telegram allows %d in one message: shorten it or send it in parts", l.Chars, l.Max)
		}
	case inbox.ChannelWhatsApp:
		switch {
		case last.IsZero():
			return l, inbox.Errorf(inbox.Conflict, "this customer has never written on WhatsApp: only an approved template can start a conversation")
		case now.Sub(last) >= whatsAppWindow:
			return l, inbox.Errorf(inbox.Conflict, "the customer last wrote on WhatsApp more than 24 hours ago: only an approved template can be sent now")
		}
	}
	return l, nil
}

// whatsAppWindow is WhatsApp's customer-service window.
const whatsAppWindow = 24 * time.Hour

// draftDelay is how long the composer waits after the last keystroke
// before it saves the draft.
const draftDelay = 800 * time.Millisecond

// route is one way to answer: a channel and the identity on it.
type route struct {
	ch inbox.ChannelKind
	to inbox.Identity
}

func (r route) label() string { return channelName(r.ch) + " · " + identityText(r.to) }

// routesOf lists every way to answer c: each identity on each channel it
// takes (a phone number on SMS and WhatsApp), in the order of
// inbox.Channels.
func routesOf(c *inbox.Customer) []route {
	var out []route
	for _, ch := range inbox.Channels {
		for _, id := range c.Identities {
			if id.Kind == ch.IdentityKind() {
				out = append(out, route{ch, id})
			}
		}
	}
	return out
}

// composer is the answer box under the timeline: the channel and identity
// to answer on (by default the channel of the customer's last message), the
// subject for e-mail, the text with its channel's limits counted live, the
// answer library ("/" or the Answers button), files attached with Attach
// (or dropped on the window) shown as removable chips with the channel's
// size limits, a Note mode for internal notes, and Send (Ctrl+Enter). A
// draft, files included, is kept per customer, across restarts. It lives on
// the UI goroutine.
type composer struct {
	desk    *inbox.Desk
	run     runner
	later   later
	author  string
	limits  LimitFunc
	onError func(doing string, err error)
	// onSent shows what was sent on the timeline at once.
	onSent func(inbox.Message)
	// onShortcut and onEscape hand the window's keys back to the main view
	// while the text has the focus.
	onShortcut func(fyne.Shortcut) bool
	onEscape   func()
	// blobs stores attached files (the store, Options.Blobs); nil hides
	// Attach.
	blobs inbox.Blobs
	// window is the window the file dialog opens over.
	window func() fyne.Window
	// pick asks the person for files and hands their paths to done, on the
	// UI goroutine; the file dialog when nil. Tests supply paths.
	pick func(done func(paths []string))

	cust   inbox.Customer
	has    bool
	routes []route
	lastIn map[inbox.ChannelKind]time.Time
	lastBy map[inbox.ChannelKind]inbox.Identity
	// lastSubject is the subject of the newest e-mail: an empty subject
	// answers "Re:" it.
	lastSubject string
	note        bool
	blocked     bool
	sending     bool
	answers     []inbox.Answer
	// html is the e-mail HTML of an inserted library answer, sent along
	// while the text is still htmlFor.
	html, htmlFor string
	dirty         bool
	stopSave      func()
	quiet         bool // fields change by program: no draft, no picker
	// attachments are the files attached so far, already in the blob
	// store; attaching counts them while they are being stored.
	attachments []inbox.Attachment
	attaching   int

	replyTab, noteTab *widget.Button
	channel           *widget.Select
	subject           *composerEntry
	text              *composerEntry
	limit             *widget.Label
	fix               *widget.Button
	answersBtn        *widget.Button
	attachBtn         *widget.Button
	chips             *fyne.Container
	chipRemove        []*widget.Button // the chips' remove buttons, in order
	send              *widget.Button
	picker            *answerPicker
	box               *tintBox
	content           fyne.CanvasObject
}

func newComposer(desk *inbox.Desk, run runner, later later, author string, limits LimitFunc, onError func(string, error)) *composer {
	if limits == nil {
		limits = builtinLimits
	}
	p := &composer{desk: desk, run: run, later: later, author: author, limits: limits, onError: onError,
		lastIn: map[inbox.ChannelKind]time.Time{}, lastBy: map[inbox.ChannelKind]inbox.Identity{}}
	p.replyTab = widget.NewButtonWithIcon(tr("Reply"), theme.MailReplyIcon(), func() { p.setNote(false); p.changed() })
	p.noteTab = widget.NewButtonWithIcon(tr("Note"), theme.DocumentCreateIcon(), func() { p.setNote(true); p.changed() })
	p.channel = widget.NewSelect(nil, func(string) {
		p.onRoute()
		p.changed()
	})
	p.channel.PlaceHolder = tr("No address to answer on")
	p.subject = newComposerEntry(false)
	p.subject.SetPlaceHolder(tr("Subject"))
	p.subject.OnChanged = func(string) { p.changed() }
	p.text = newComposerEntry(true)
	p.text.SetPlaceHolder(tr("Write an answer… (“/” for the answer library, Ctrl+Enter sends)"))
	p.text.SetMinRowsVisible(4)
	p.text.Wrapping = fyne.TextWrapWord
	p.text.OnChanged = func(string) { p.changed(); p.updatePicker() }
	for _, e := range []*composerEntry{p.subject, p.text} {
		e.onShortcut = p.typedShortcut
		e.onKey = p.typedKey
	}
	p.limit = caption("", widget.MediumImportance)
	p.limit.Wrapping = fyne.TextWrapWord
	p.fix = widget.NewButton("", nil)
	p.fix.Importance = widget.LowImportance
	p.fix.Hide()
	p.answersBtn = widget.NewButtonWithIcon(tr("Answers"), theme.ListIcon(), p.showAnswerMenu)
	p.answersBtn.Importance = widget.LowImportance
	p.answersBtn.Hide()
	p.send = widget.NewButtonWithIcon(tr("Send"), theme.MailSendIcon(), p.onSend)
	p.send.Importance = widget.HighImportance
	p.attachBtn = widget.NewButtonWithIcon(tr("Attach"), theme.MailAttachmentIcon(), p.onAttach)
	p.attachBtn.Importance = widget.LowImportance
	p.attachBtn.Hide()
	p.chips = container.New(layout.NewRowWrapLayout())
	p.chips.Hide()
	p.picker = newAnswerPicker(p.insertAnswer)

	top := container.NewBorder(nil, nil, nil, p.answersBtn, p.channel)
	bottom := container.NewBorder(nil, nil, container.NewHBox(p.replyTab, p.noteTab), container.NewHBox(p.fix, p.attachBtn, p.send), p.limit)
	p.box = newTintBox(container.NewVBox(top, p.subject, p.text, p.chips, bottom), p.fill)
	p.content = container.NewVBox(widget.NewSeparator(), p.box)
	p.setNote(false)
	p.content.Hide()
	return p
}

func (p *composer) fill() color.Color {
	if p.note {
		return tint(theme.ColorNameWarning, 0.16)
	}
	return themeColor(theme.ColorNameBackground)
}

// show opens the composer on c: the previous customer's draft is saved,
// c's draft, answer library and recent channels are read.
func (p *composer) show(c inbox.Customer) {
	if c.ID == inbox.OtherID {
		p.flush()
		p.has = false
		p.content.Hide()
		return
	}
	if p.has && p.cust.ID == c.ID {
		newer := !c.LastInboundAt.Equal(p.cust.LastInboundAt) || !c.LastMessageAt.Equal(p.cust.LastMessageAt)
		p.cust = c
		p.setRoutes(routesOf(&c), p.currentRoute())
		if newer { // WhatsApp's window and the subject follow new messages
			p.run(func() func() {
				rec, err := readRecent(p.desk, c.ID)
				return func() {
					if err == nil && p.has && p.cust.ID == c.ID {
						p.lastIn, p.lastBy, p.lastSubject = rec.at, rec.by, rec.subject
						p.onRoute()
					}
				}
			})
		}
		return
	}
	p.flush()
	p.cust, p.has = c, true
	p.html, p.htmlFor = "", ""
	clear(p.lastIn)
	clear(p.lastBy)
	p.lastSubject = ""
	p.quiet = true
	p.note = false
	p.text.SetText("")
	p.subject.SetText("")
	p.quiet = false
	p.setAttachments(nil)
	p.picker.hide()
	p.setRoutes(routesOf(&c), route{})
	p.setNote(false)
	p.content.Show()

	id := c.ID
	p.run(func() func() {
		draft, derr := p.desk.Draft(id)
		answers, aerr := p.desk.Answers()
		rec, lerr := readRecent(p.desk, id)
		return func() {
			if !p.has || p.cust.ID != id {
				return
			}
			for _, err := range []error{derr, aerr, lerr} {
				if err != nil {
					p.onError(tr("open the reply box"), err)
				}
			}
			p.answers = answers
			p.answersBtn.Hidden = len(answers) == 0
			p.answersBtn.Refresh()
			p.lastIn, p.lastBy, p.lastSubject = rec.at, rec.by, rec.subject
			typed := p.dirty
			if typed { // the person typed before the draft arrived: theirs wins
				draft.Text, draft.Subject, draft.Note = p.text.Text, p.subject.Text, p.note
				draft.Attachments = p.attachments
			}
			p.applyDraft(draft)
			p.dirty = typed
		}
	})
}

// recent is what the composer needs from the customer's recent timeline.
type recent struct {
	// at and by are, per channel, when and from which identity the
	// customer last wrote.
	at map[inbox.ChannelKind]time.Time
	by map[inbox.ChannelKind]inbox.Identity
	// subject is the subject of the newest e-mail, either way.
	subject string
}

// readRecent reads the newest 500 entries at most, and stops as soon as it
// has seen every channel the customer can write on (and an e-mail subject,
// when one of them is e-mail): opening a busy customer stays quick.
func readRecent(d *inbox.Desk, id inbox.CustomerID) (recent, error) {
	r := recent{at: map[inbox.ChannelKind]time.Time{}, by: map[inbox.ChannelKind]inbox.Identity{}}
	c, err := d.Customer(id)
	if err != nil {
		return r, err
	}
	var want []inbox.ChannelKind
	for _, ident := range c.Identities {
		want = append(want, identityChannels(ident)...)
	}
	mail := !slices.Contains(want, inbox.ChannelEmail)
	complete := func() bool {
		for _, ch := range want {
			if _, ok := r.at[ch]; !ok {
				return false
			}
		}
		return mail
	}
	before := ""
	for range 5 {
		p, err := d.Timeline(id, before, 100)
		if err != nil {
			return r, err
		}
		for i := len(p.Messages) - 1; i >= 0; i-- {
			m := &p.Messages[i]
			if m.Direction == inbox.In && m.Channel != inbox.ChannelNone {
				if _, ok := r.at[m.Channel]; !ok {
					r.at[m.Channel], r.by[m.Channel] = m.SentAt, m.Party
				}
			}
			if !mail && m.Channel == inbox.ChannelEmail && (m.Direction == inbox.In || m.Direction == inbox.Out) {
				r.subject, mail = m.Subject, true
			}
		}
		if p.Before == "" || complete() {
			break
		}
		before = p.Before
	}
	return r, nil
}

// applyDraft puts the saved draft back, or the default route when none.
func (p *composer) applyDraft(d inbox.Draft) {
	want := route{ch: d.Channel, to: d.To}
	if d.Channel == "" {
		ch := inbox.DefaultChannel(&p.cust)
		want = route{ch: ch, to: p.lastBy[ch]}
	}
	p.setRoutes(p.routes, want)
	p.quiet = true
	p.subject.SetText(d.Subject)
	p.text.SetText(d.Text)
	p.quiet = false
	p.dirty = false
	p.setAttachments(d.Attachments)
	p.setNote(d.Note)
}

// setRoutes fills the channel menu and selects want, or the closest
// route: the same channel, else the first.
func (p *composer) setRoutes(rs []route, want route) {
	p.routes = rs
	opts := make([]string, len(rs))
	for i, r := range rs {
		opts[i] = r.label()
	}
	pick := slices.Index(rs, want)
	if pick < 0 {
		pick = slices.IndexFunc(rs, func(r route) bool { return r.ch == want.ch })
	}
	if pick < 0 && len(rs) > 0 {
		pick = 0
	}
	p.quiet = true
	p.channel.Options = opts
	if pick >= 0 {
		p.channel.SetSelectedIndex(pick)
	} else {
		p.channel.ClearSelected()
	}
	p.channel.Refresh()
	p.onRoute()
	p.quiet = false
}

// currentRoute is the selected route, the zero route when none.
func (p *composer) currentRoute() route {
	i := p.channel.SelectedIndex()
	if i < 0 || i >= len(p.routes) {
		return route{}
	}
	return p.routes[i]
}

func (p *composer) onRoute() {
	r := p.currentRoute()
	if r.ch == inbox.ChannelEmail && !p.note {
		if p.lastSubject != "" {
			p.subject.SetPlaceHolder(inbox.ReplySubject(p.lastSubject))
		} else {
			p.subject.SetPlaceHolder(tr("Subject"))
		}
		p.subject.Show()
	} else {
		p.subject.Hide()
	}
	p.updateLimit()
}

// setNote switches between an answer and an internal note.
func (p *composer) setNote(note bool) {
	p.note = note
	if note {
		p.noteTab.Importance, p.replyTab.Importance = widget.WarningImportance, widget.LowImportance
		p.channel.Hide()
		p.send.SetText(tr("Add note"))
		p.send.SetIcon(theme.DocumentCreateIcon())
		p.text.SetPlaceHolder(tr("Write an internal note… only your team sees it (Ctrl+Enter adds it)"))
	} else {
		p.noteTab.Importance, p.replyTab.Importance = widget.LowImportance, widget.HighImportance
		p.channel.Show()
		p.send.SetText(tr("Send"))
		p.send.SetIcon(theme.MailSendIcon())
		p.text.SetPlaceHolder(tr("Write an answer… (“/” for the answer library, Ctrl+Enter sends)"))
	}
	p.noteTab.Refresh()
	p.replyTab.Refresh()
	p.showAttachments()
	p.onRoute()
	p.box.Refresh()
}

// changed marks the draft dirty and saves it a moment after the last key.
func (p *composer) changed() {
	if p.quiet || !p.has {
		return
	}
	p.dirty = true
	p.updateLimit()
	if p.stopSave != nil {
		p.stopSave()
	}
	p.stopSave = p.later(draftDelay, p.flush)
}

// draft is what the box holds.
func (p *composer) draft() inbox.Draft {
	r := p.currentRoute()
	d := inbox.Draft{Text: p.text.Text, Note: p.note, Channel: r.ch, To: r.to, Attachments: slices.Clone(p.attachments)}
	if r.ch == inbox.ChannelEmail {
		d.Subject = p.subject.Text
	}
	return d
}

// flush saves the draft, when it changed, off the UI goroutine.
func (p *composer) flush() { p.flushWith(p.run) }

// flushNow saves the draft before it returns: the window is closing and
// the store with it.
func (p *composer) flushNow() { p.flushWith(inline) }

func (p *composer) flushWith(run runner) {
	if p.stopSave != nil {
		p.stopSave()
		p.stopSave = nil
	}
	if !p.has || !p.dirty {
		return
	}
	p.dirty = false
	id, d := p.cust.ID, p.draft()
	run(func() func() {
		err := p.desk.SaveDraft(id, d)
		return func() {
			if err != nil {
				p.onError(tr("save the draft"), err)
			}
		}
	})
}

// updateLimit measures the text against the channel's limits.
func (p *composer) updateLimit() {
	p.fix.Hide()
	p.blocked = false
	text := p.text.Text
	if p.note {
		p.setLimit(tr("Internal note: only your team sees it."), widget.MediumImportance)
		p.updateSend()
		return
	}
	r := p.currentRoute()
	if r.ch == "" {
		p.setLimit(tr("This customer has no address to answer on."), widget.WarningImportance)
		p.blocked = true
		p.updateSend()
		return
	}
	l, err := p.limits(r.ch, text, p.lastIn[r.ch], p.desk.Now())
	var (
		msg string
		imp = widget.MediumImportance
	)
	switch {
	case err != nil:
		p.blocked = true
		msg, imp = inbox.Explain(err), widget.DangerImportance
		if r.ch == inbox.ChannelWhatsApp && inbox.ErrorCode(err) == inbox.Conflict {
			p.offerSMS(r)
		}
	case l.Warning != "":
		msg, imp = joinParts(describeLimit(r.ch, l, p.lastIn[r.ch], p.desk.Now()), l.Warning), widget.WarningImportance
	default:
		msg = describeLimit(r.ch, l, p.lastIn[r.ch], p.desk.Now())
	}
	if files, ok := describeAttachments(r.ch, p.attachments); !ok {
		p.blocked = true
		msg, imp = joinParts(files, msg), widget.DangerImportance
	} else {
		msg = joinParts(msg, files)
	}
	p.setLimit(msg, imp)
	p.updateSend()
}

// offerSMS offers to answer on SMS, to the same number, when WhatsApp's
// window is closed: Couture cannot send WhatsApp templates itself.
func (p *composer) offerSMS(r route) {
	sms := route{inbox.ChannelSMS, r.to}
	i := slices.Index(p.routes, sms)
	if i < 0 {
		return
	}
	p.fix.SetText(tr("Answer by SMS instead"))
	p.fix.OnTapped = func() { p.channel.SetSelectedIndex(i) }
	p.fix.Show()
}

func (p *composer) setLimit(text string, imp widget.Importance) {
	p.limit.Text = text
	p.limit.Importance = imp
	p.limit.Refresh()
}

func (p *composer) updateSend() {
	if p.sending || p.blocked || p.attaching > 0 || !p.hasContent() {
		p.send.Disable()
	} else {
		p.send.Enable()
	}
}

// describeLimit says where the text stands on channel ch: "200 characters ·
// 2 SMS segments", "120 / 4,096", "WhatsApp window open for 5 h".
func describeLimit(ch inbox.ChannelKind, l Limit, last, now time.Time) string {
	chars := tr("{{.N}} characters", map[string]any{"N": formatInt(l.Chars)})
	if l.Chars == 0 && ch != inbox.ChannelWhatsApp {
		return "" // nothing typed yet: nothing to count
	}
	switch ch {
	case inbox.ChannelSMS:
		segs := tr("1 SMS segment")
		if l.Segments != 1 {
			segs = tr("{{.N}} SMS segments", map[string]any{"N": formatInt(l.Segments)})
		}
		parts := []string{chars, segs}
		if l.Encoding == inbox.UCS2 {
			parts = append(parts, tr("Unicode (UCS-2): 70 characters a segment"))
		}
		return joinParts(parts...)
	case inbox.ChannelTelegram, inbox.ChannelMatrix:
		if l.Max > 0 {
			return formatInt(l.Chars) + " / " + formatInt(l.Max)
		}
	case inbox.ChannelWhatsApp:
		if !last.IsZero() {
			left := last.Add(whatsAppWindow).Sub(now)
			window := tr("WhatsApp window open for {{.Left}}", map[string]any{"Left": shortWait(left)})
			if l.Chars == 0 {
				return window
			}
			return joinParts(chars, window)
		}
		if l.Chars == 0 {
			return ""
		}
	case inbox.ChannelEmail:
		return ""
	}
	return chars
}

func joinParts(parts ...string) string {
	out := parts[:0:0]
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " · ")
}

// hasContent reports whether there is something to send: text, or for an
// answer, files.
func (p *composer) hasContent() bool {
	return strings.TrimSpace(p.text.Text) != "" || (!p.note && len(p.attachments) > 0)
}

// onSend queues the answer (or adds the note). The message shows on the
// timeline at once, in state queued, with its files; the outbox sends it.
func (p *composer) onSend() {
	p.updateLimit()
	if !p.has || p.sending || p.blocked || p.attaching > 0 || !p.hasContent() {
		return
	}
	c, text, note := p.cust, p.text.Text, p.note
	reply := inbox.Reply{Customer: c.ID, Author: p.author, Text: text}
	// What stays in the draft once sent: nothing, or after a note the
	// files the answer is still to carry.
	var after inbox.Draft
	r := p.currentRoute()
	if note && len(p.attachments) > 0 {
		after = inbox.Draft{Channel: r.ch, To: r.to, Attachments: slices.Clone(p.attachments)}
	}
	if !note {
		reply.Channel, reply.To = r.ch, r.to
		reply.Attachments = slices.Clone(p.attachments)
		if r.ch == inbox.ChannelEmail {
			reply.Subject = p.subject.Text
			if p.html != "" && text == p.htmlFor {
				reply.HTML = p.html
			}
		}
	}
	p.sending = true
	p.updateSend()
	p.run(func() func() {
		var m inbox.Message
		var err error
		if note {
			m, err = p.desk.Note(c.ID, p.author, text)
		} else {
			m, err = p.desk.Reply(context.Background(), reply)
		}
		if err == nil {
			err = p.desk.SaveDraft(c.ID, after)
		}
		return func() {
			p.sending = false
			if err != nil {
				p.updateSend()
				p.setLimit(inbox.Explain(err), widget.DangerImportance)
				p.onError(tr("send the answer"), err)
				return
			}
			if p.has && p.cust.ID == c.ID {
				p.quiet = true
				p.text.SetText("")
				p.subject.SetText("")
				p.quiet = false
				p.dirty = false
				if p.stopSave != nil {
					p.stopSave()
					p.stopSave = nil
				}
				p.html, p.htmlFor = "", ""
				if !note {
					p.setAttachments(nil)
				}
				p.updateLimit()
			}
			if p.onSent != nil {
				p.onSent(m)
			}
		}
	})
}

// focus puts the keyboard in the text, in answer or note mode.
func (p *composer) focus(note bool) {
	if !p.has {
		return
	}
	p.setNote(note)
	if c := fyne.CurrentApp().Driver().CanvasForObject(p.text); c != nil {
		c.Focus(p.text)
	}
}

// typedShortcut handles Ctrl+Enter (send) in the text and subject, and
// hands the other shortcuts to the window.
func (p *composer) typedShortcut(s fyne.Shortcut) bool {
	if cs, ok := s.(*desktop.CustomShortcut); ok && (cs.KeyName == fyne.KeyReturn || cs.KeyName == fyne.KeyEnter) &&
		(cs.Modifier == fyne.KeyModifierShortcutDefault || cs.Modifier == fyne.KeyModifierControl || cs.Modifier == fyne.KeyModifierSuper) {
		p.onSend()
		return true
	}
	return p.onShortcut != nil && p.onShortcut(s)
}

// typedKey drives the answer picker from the keyboard and hands Escape to
// the window.
func (p *composer) typedKey(ev *fyne.KeyEvent) bool {
	if p.picker.visible() {
		switch ev.Name {
		case fyne.KeyDown:
			p.picker.move(1)
			return true
		case fyne.KeyUp:
			p.picker.move(-1)
			return true
		case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
			p.picker.choose()
			return true
		case fyne.KeyEscape:
			p.picker.hide()
			return true
		}
	}
	if ev.Name == fyne.KeyEscape && p.onEscape != nil {
		p.onEscape()
		return true
	}
	return false
}

// updatePicker shows the answer library while the text is "/word".
func (p *composer) updatePicker() {
	if p.quiet || len(p.answers) == 0 {
		p.picker.hide()
		return
	}
	t := p.text.Text
	if !strings.HasPrefix(t, "/") || strings.ContainsAny(t, " \n\t") && !strings.HasPrefix(t, "/ ") {
		p.picker.hide()
		return
	}
	items := matchAnswers(p.answers, strings.TrimSpace(t[1:]))
	if len(items) == 0 {
		p.picker.hide()
		return
	}
	p.picker.show(items, p.text)
}

// showAnswerMenu lists the whole library (the Answers button).
func (p *composer) showAnswerMenu() {
	if len(p.answers) > 0 {
		p.picker.show(p.answers, p.answersBtn)
	}
}

// matchAnswers keeps the answers whose id, title or tags contain q
// (accents and case aside), those whose id or title starts with it first.
func matchAnswers(list []inbox.Answer, q string) []inbox.Answer {
	q = inbox.Fold(q)
	var first, rest []inbox.Answer
	for _, a := range list {
		id, title := inbox.Fold(a.ID), inbox.Fold(a.Title)
		switch {
		case strings.HasPrefix(id, q) || strings.HasPrefix(title, q):
			first = append(first, a)
		case strings.Contains(id, q) || strings.Contains(title, q) || slices.ContainsFunc(a.Tags, func(t string) bool { return strings.Contains(inbox.Fold(t), q) }):
			rest = append(rest, a)
		}
	}
	return append(first, rest...)
}

// insertAnswer renders a library answer for the customer and the channel
// and puts it in the text: in place of "/word", else after what is there.
func (p *composer) insertAnswer(a inbox.Answer) {
	p.picker.hide()
	c, ch := p.cust, p.currentRoute().ch
	if p.note || ch == "" {
		ch = inbox.ChannelEmail // a plain-text rendering
	}
	p.run(func() func() {
		r, err := p.desk.RenderAnswer(a.ID, &c, ch)
		return func() {
			if err != nil {
				p.onError(tr("insert the answer"), err)
				return
			}
			if !p.has || p.cust.ID != c.ID {
				return
			}
			t := p.text.Text
			switch {
			case strings.HasPrefix(t, "/") && !strings.Contains(t, "\n"), strings.TrimSpace(t) == "":
				t = r.Text
			default:
				t = strings.TrimRight(t, "\n ") + "\n\n" + r.Text
			}
			p.text.SetText(t)
			p.text.CursorRow = strings.Count(t, "\n")
			p.text.Refresh()
			if ch == inbox.ChannelEmail && t == r.Text {
				p.html, p.htmlFor = r.HTML, r.Text
			}
			if cv := fyne.CurrentApp().Driver().CanvasForObject(p.text); cv != nil {
				cv.Focus(p.text)
			}
		}
	})
}

// composerEntry is an Entry that hands shortcuts and keys to the composer
// first (Ctrl+Enter, the answer picker, Escape, the window's shortcuts).
type composerEntry struct {
	widget.Entry
	onShortcut func(fyne.Shortcut) bool
	onKey      func(*fyne.KeyEvent) bool
}

func newComposerEntry(multiLine bool) *composerEntry {
	e := &composerEntry{}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut implements fyne.Shortcutable.
func (e *composerEntry) TypedShortcut(s fyne.Shortcut) {
	if e.onShortcut != nil && e.onShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// TypedKey implements fyne.Focusable.
func (e *composerEntry) TypedKey(ev *fyne.KeyEvent) {
	if e.onKey != nil && e.onKey(ev) {
		return
	}
	e.Entry.TypedKey(ev)
}

// answerPicker is the pop-up list of library answers.
type answerPicker struct {
	items    []inbox.Answer
	sel      int
	list     *widget.List
	pop      *widget.PopUp
	onChoose func(inbox.Answer)
}

func newAnswerPicker(onChoose func(inbox.Answer)) *answerPicker {
	k := &answerPicker{onChoose: onChoose}
	k.list = widget.NewList(
		func() int { return len(k.items) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("Answer title")
			t.TextStyle.Bold = true
			t.Truncation = fyne.TextTruncateEllipsis
			id := caption("/answer-id", widget.MediumImportance)
			return container.NewBorder(nil, nil, nil, id, t)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(k.items) {
				return
			}
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(k.items[i].Title)
			row.Objects[1].(*widget.Label).SetText("/" + k.items[i].ID)
		},
	)
	k.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(k.items) {
			k.sel = i
			k.choose()
		}
	}
	return k
}

func (k *answerPicker) visible() bool { return k.pop != nil && k.pop.Visible() }

// show lists items in a pop-up above anchor.
func (k *answerPicker) show(items []inbox.Answer, anchor fyne.CanvasObject) {
	k.items, k.sel = items, 0
	k.list.UnselectAll()
	k.list.Refresh()
	c := fyne.CurrentApp().Driver().CanvasForObject(anchor)
	if c == nil {
		return
	}
	if k.pop == nil || k.pop.Canvas != c {
		if k.pop != nil {
			k.pop.Hide()
		}
		title := caption(tr("Answer library · Up and Down to pick, Enter to insert"), widget.MediumImportance)
		k.pop = widget.NewPopUp(container.NewBorder(title, nil, nil, nil, k.list), c)
	}
	rows := min(len(items), 6)
	size := fyne.NewSize(max(anchor.Size().Width, 360), float32(rows)*40+36)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(anchor)
	k.pop.Resize(size)
	k.pop.ShowAtPosition(fyne.NewPos(pos.X, max(0, pos.Y-size.Height-theme.Padding())))
	k.highlight()
}

func (k *answerPicker) hide() {
	if k.pop != nil {
		k.pop.Hide()
	}
}

func (k *answerPicker) move(d int) {
	if len(k.items) == 0 {
		return
	}
	k.sel = min(max(k.sel+d, 0), len(k.items)-1)
	k.highlight()
}

// highlight marks the keyboard's pick without choosing it.
func (k *answerPicker) highlight() {
	k.list.ScrollTo(k.sel)
	onSel := k.list.OnSelected
	k.list.OnSelected = nil
	k.list.Select(k.sel)
	k.list.OnSelected = onSel
}

func (k *answerPicker) choose() {
	if k.sel < 0 || k.sel >= len(k.items) {
		return
	}
	a := k.items[k.sel]
	k.hide()
	k.onChoose(a)
}
