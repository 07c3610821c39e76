package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
)

// searchDelay is how long the search waits after the last key before it
// asks the index: typing "croissant" asks once, not nine times.
const searchDelay = 250 * time.Millisecond

// searchLimit is how many hits a search shows.
const searchLimit = 50

// searchView is the full-text search (Ctrl+K, Ctrl+F): a pop-up over the
// window with results as you type, each opening the customer at that
// message. Searches run off the UI goroutine; a result that arrives after
// the text changed again is dropped. It lives on the UI goroutine.
type searchView struct {
	desk   *inbox.Desk
	run    runner
	later  later
	onOpen func(inbox.Hit)

	entry   *composerEntry
	info    *widget.Label
	list    *widget.List
	content fyne.CanvasObject
	pop     *widget.PopUp

	hits   []searchHit
	sel    int
	seq    int
	stop   func()
	cancel context.CancelFunc
}

// searchHit is a hit with the name of its customer.
type searchHit struct {
	inbox.Hit
	Name string
}

func newSearchView(desk *inbox.Desk, run runner, later later, onOpen func(inbox.Hit)) *searchView {
	s := &searchView{desk: desk, run: run, later: later, onOpen: onOpen}
	s.entry = newComposerEntry(false)
	s.entry.SetPlaceHolder(tr("Search every message: words, a name, an order number…"))
	s.entry.OnChanged = s.onChanged
	s.entry.OnSubmitted = func(string) { s.open(s.sel) }
	s.entry.onKey = s.typedKey
	s.info = caption(tr("Type to search. Up and Down to pick, Enter to open, Esc to close."), widget.MediumImportance)
	s.list = widget.NewList(
		func() int { return len(s.hits) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("Customer name")
			name.TextStyle.Bold = true
			name.Truncation = fyne.TextTruncateEllipsis
			when := caption("2 Mar", widget.MediumImportance)
			snip := caption("snippet", widget.MediumImportance)
			snip.Truncation = fyne.TextTruncateEllipsis
			b := newChannelBadge(inbox.ChannelEmail)
			return container.NewVBox(
				container.NewBorder(nil, nil, container.NewCenter(b), when, name),
				snip,
			)
		},
		s.updateRow,
	)
	s.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(s.hits) && i != s.sel {
			s.open(i)
		}
	}
	s.content = container.NewBorder(container.NewVBox(s.entry, s.info), nil, nil, nil, s.list)
	return s
}

func (s *searchView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(s.hits) {
		return
	}
	h := &s.hits[i]
	box := o.(*fyne.Container)
	top := box.Objects[0].(*fyne.Container)
	top.Objects[0].(*widget.Label).SetText(h.Name)
	top.Objects[1].(*fyne.Container).Objects[0].(*badge).setChannel(h.Channel)
	top.Objects[2].(*widget.Label).SetText(whenShort(h.SentAt, s.desk.Now()))
	box.Objects[1].(*widget.Label).SetText(strings.TrimPrefix(h.Snippet, "— ")) // no subject
}

// show opens the search over canvas c, the previous text selected.
func (s *searchView) show(c fyne.Canvas) {
	if s.pop == nil || s.pop.Canvas != c {
		s.pop = widget.NewModalPopUp(container.New(&fixedLayout{fyne.NewSize(640, 440)}, s.content), c)
	}
	s.pop.Show()
	c.Focus(s.entry)
	s.entry.TypedShortcut(&fyne.ShortcutSelectAll{})
}

func (s *searchView) visible() bool { return s.pop != nil && s.pop.Visible() }

func (s *searchView) hide() {
	if s.pop != nil {
		s.pop.Hide()
	}
	if s.stop != nil {
		s.stop()
	}
}

// onChanged waits for a pause in the typing, then searches.
func (s *searchView) onChanged(q string) {
	s.seq++
	seq := s.seq
	if s.stop != nil {
		s.stop()
	}
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	if strings.TrimSpace(q) == "" {
		s.hits = nil
		s.info.SetText(tr("Type to search. Up and Down to pick, Enter to open, Esc to close."))
		s.list.Refresh()
		return
	}
	s.stop = s.later(searchDelay, func() { s.search(q, seq) })
}

// search asks the index and names each hit's customer, off the UI
// goroutine.
func (s *searchView) search(q string, seq int) {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.info.SetText(tr("Searching…"))
	s.run(func() func() {
		hits, err := s.desk.Search(ctx, q, searchLimit)
		named := make([]searchHit, 0, len(hits))
		names := map[inbox.CustomerID]string{inbox.OtherID: tr("Other")}
		for _, h := range hits {
			name, ok := names[h.CustomerID]
			if !ok {
				if c, err := s.desk.Customer(h.CustomerID); err == nil {
					name = c.Name
				}
				names[h.CustomerID] = name
			}
			named = append(named, searchHit{Hit: h, Name: name})
		}
		return func() {
			cancel()
			if seq != s.seq {
				return // the text changed since
			}
			if err != nil {
				s.hits = nil
				s.info.SetText(inbox.Explain(err))
				s.list.Refresh()
				return
			}
			s.hits, s.sel = named, 0
			switch len(named) {
			case 0:
				s.info.SetText(tr("Nothing found for “{{.Query}}”.", map[string]any{"Query": q}))
			case 1:
				s.info.SetText(tr("1 message found"))
			default:
				s.info.SetText(tr("{{.Count}} messages found", map[string]any{"Count": formatInt(len(named))}))
			}
			s.list.UnselectAll()
			s.list.Refresh()
			if len(named) > 0 {
				s.list.ScrollToTop()
				s.highlight()
			}
		}
	})
}

func (s *searchView) typedKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyDown:
		s.move(1)
	case fyne.KeyUp:
		s.move(-1)
	case fyne.KeyEscape:
		s.hide()
	default:
		return false
	}
	return true
}

func (s *searchView) move(d int) {
	if len(s.hits) == 0 {
		return
	}
	s.sel = min(max(s.sel+d, 0), len(s.hits)-1)
	s.highlight()
}

// highlight marks the keyboard's pick without opening it.
func (s *searchView) highlight() {
	s.list.ScrollTo(s.sel)
	onSel := s.list.OnSelected
	s.list.OnSelected = nil
	s.list.Select(s.sel)
	s.list.OnSelected = onSel
}

// open closes the search and opens hit i.
func (s *searchView) open(i int) {
	if i < 0 || i >= len(s.hits) {
		return
	}
	s.sel = i
	h := s.hits[i].Hit
	s.hide()
	s.onOpen(h)
}

// fixedLayout gives its objects one size.
type fixedLayout struct{ size fyne.Size }

func (l *fixedLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *fixedLayout) MinSize([]fyne.CanvasObject) fyne.Size { return l.size }
