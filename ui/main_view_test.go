package ui

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

// Tests of the main window (Part A): a real store, the Desk's clock held
// at testNow, loads run inline (runner inline, later atOnce) so a test
// reads the view right after it acts. Widgets are driven as a person
// drives them: test.Tap, test.Type, typed keys and shortcuts.

func TestMain(m *testing.M) {
	// Days and times show in the local time zone; the goldens are UTC.
	time.Local = time.UTC
	os.Exit(m.Run())
}

var (
	aliceMail  = inbox.Identity{Kind: inbox.KindEmail, Address: "alice@example.com"}
	alicePhone = inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}
	bobPhone   = inbox.Identity{Kind: inbox.KindPhone, Address: "+33698765432"}
	carolTG    = inbox.Identity{Kind: inbox.KindTelegram, Address: "424242"}
)

// openDesk opens a real store (with the search index when index) holding
// three customers: Bob waiting two days by SMS, Alice writing by e-mail
// then SMS (one timeline), Carol resolved.
func openDesk(t *testing.T, index bool) *inbox.Desk {
	t.Helper()
	st, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: !index, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	desk := inbox.NewDesk(st, &inbox.Options{Clock: func() time.Time { return testNow }})
	ingestAll(t, desk,
		inbox.Incoming{Message: msg("a1", inbox.ChannelEmail, inbox.In, aliceMail, 3*time.Hour, "Where is my order?"), Name: "Alice", Links: []inbox.Identity{alicePhone}},
		inbox.Incoming{Message: msg("a2", inbox.ChannelEmail, inbox.Out, aliceMail, 2*time.Hour, "It left this morning.")},
		inbox.Incoming{Message: msg("a3", inbox.ChannelSMS, inbox.In, alicePhone, 30*time.Minute, "Still nothing.")},
		inbox.Incoming{Message: msg("b1", inbox.ChannelSMS, inbox.In, bobPhone, 48*time.Hour, "Do you deliver?"), Name: "Bob"},
		inbox.Incoming{Message: msg("c1", inbox.ChannelTelegram, inbox.In, carolTG, 5*time.Hour, "Thanks!"), Name: "Carol"},
	)
	if _, err := desk.Resolve(idOf(t, desk, carolTG), "test"); err != nil {
		t.Fatal(err)
	}
	return desk
}

func msg(id string, ch inbox.ChannelKind, dir inbox.Direction, party inbox.Identity, ago time.Duration, text string) inbox.Message {
	return inbox.Message{ExternalID: id, Channel: ch, Account: "shop-" + string(ch), Direction: dir, Party: party, SentAt: testNow.Add(-ago), Text: text}
}

func ingestAll(t *testing.T, desk *inbox.Desk, in ...inbox.Incoming) {
	t.Helper()
	if _, err := desk.Ingest(context.Background(), inbox.Batch{Account: "test", Messages: in}); err != nil {
		t.Fatal(err)
	}
}

func idOf(t *testing.T, desk *inbox.Desk, ident inbox.Identity) inbox.CustomerID {
	t.Helper()
	id, ok, err := desk.Store().Owner(ident)
	if err != nil || !ok {
		t.Fatalf("nobody owns %v (%v)", ident, err)
	}
	return id
}

// testAuthor signs the answers and notes of the tests.
const testAuthor = "Camille"

// showView shows the main view in a headless window of the app's size,
// in Couture's light theme, in English.
func showView(t *testing.T, desk *inbox.Desk, opts *Options) (*mainView, fyne.Window) {
	t.Helper()
	useEnglish(t)
	return newView(t, desk, opts)
}

// newView shows another main view in the running test app (a restart).
func newView(t *testing.T, desk *inbox.Desk, opts *Options) (*mainView, fyne.Window) {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Author == "" {
		opts.Author = testAuthor
	}
	v := newMainView(desk, inline, atOnce, opts)
	t.Cleanup(v.close)
	w := test.NewWindow(v.content)
	t.Cleanup(w.Close)
	v.window = w
	v.installKeys(w.Canvas())
	w.Resize(fyne.NewSize(1280, 800))
	v.reload()
	frame(w)
	return v, w
}

// frame lays the window out as a frame of the running app does (the
// driver's EnsureMinSize re-lays out what changed size or visibility; the
// test canvas does not): every container and widget top-down, twice, so
// wrapped text knows its width before its height is asked.
func frame(w fyne.Window) {
	for range 2 {
		settle(w.Canvas().Content())
		for _, o := range w.Canvas().Overlays().List() {
			settle(o)
		}
	}
}

func settle(o fyne.CanvasObject) {
	if o == nil || !o.Visible() {
		return
	}
	switch x := o.(type) {
	case *fyne.Container:
		if x.Layout != nil {
			x.Layout.Layout(x.Objects, x.Size())
		}
		for _, c := range x.Objects {
			settle(c)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		r.Layout(x.Size())
		for _, c := range r.Objects() {
			settle(c)
		}
	}
}

// rowNames are the names of the list's rows, top to bottom.
func rowNames(v *mainView) []string {
	var out []string
	for i := range v.customers.length() {
		if v.customers.otherMode() {
			out = append(out, v.customers.other[i].From)
		} else {
			out = append(out, v.customers.rows[i].Name)
		}
	}
	return out
}

// rowTexts renders row i as the list does: its labels and badges.
func rowTexts(v *mainView, i int) []string {
	r := newCustomerRow()
	v.customers.updateRow(i, r)
	out := []string{r.nameText, r.when.Text}
	for b := range r.nb {
		out = append(out, r.badges[b].text)
	}
	return append(out, r.previewText)
}

// tapRow clicks on row i of the customer list, where the list draws it.
func tapRow(t *testing.T, w fyne.Window, v *mainView, i int) {
	t.Helper()
	v.customers.list.ScrollTo(i)
	frame(w)
	want := rowTexts(v, i)
	var hit *customerRow
	walk(w.Canvas().Content(), func(o fyne.CanvasObject) bool {
		if r, ok := o.(*customerRow); ok && r.Visible() && r.nameText == want[0] && r.previewText == want[len(want)-1] {
			hit = r
		}
		return hit == nil
	})
	if hit == nil {
		t.Fatalf("row %d (%q) is not drawn", i, want[0])
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(hit)
	test.TapCanvas(w.Canvas(), pos.AddXY(hit.Size().Width/2, hit.Size().Height/2))
	frame(w)
}

// walk visits the visible objects under o, depth first; visit returns
// whether to look inside o.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) {
	if o == nil || !o.Visible() || !visit(o) {
		return
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, visit)
		}
	}
}

// allTexts are the visible texts under o, labels and rich texts, in order.
func allTexts(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
			return false
		case *widget.RichText:
			out = append(out, x.String())
			return false
		case *widget.Button:
			out = append(out, x.Text)
			return false
		case *canvas.Text:
			out = append(out, x.Text)
		case *badge:
			out = append(out, x.text)
			return false
		}
		return true
	})
	return out
}

// timelineTexts are the visible texts of the timeline, top to bottom.
func timelineTexts(t *testing.T, v *mainView) []string {
	t.Helper()
	return allTexts(v.timeline.box)
}

// hasText reports whether one of texts contains s.
func hasText(texts []string, s string) bool {
	return slices.ContainsFunc(texts, func(x string) bool { return strings.Contains(x, s) })
}

// typeKey sends a key to a focusable widget.
func typeKey(f fyne.Focusable, name fyne.KeyName) {
	f.TypedKey(&fyne.KeyEvent{Name: name})
}

func TestListOrdersCustomersByWaitingTime(t *testing.T) {
	v, _ := showView(t, openDesk(t, false), nil)
	if got, want := rowNames(v), []string{"Bob", "Alice"}; !slices.Equal(got, want) {
		t.Errorf("open customers %q, want %q", got, want)
	}
	tests := []struct {
		row  int
		want []string
	}{
		{0, []string{"Bob", "2 d", "SMS", "Do you deliver?"}},
		{1, []string{"Alice", "30 min", "✉", "SMS", "Still nothing."}},
	}
	for _, tt := range tests {
		if got := rowTexts(v, tt.row); !slices.Equal(got, tt.want) {
			t.Errorf("row %d = %q, want %q", tt.row, got, tt.want)
		}
	}
	if v.timeline.showing {
		t.Error("a timeline shows before any customer is opened")
	}
}

func TestListFilters(t *testing.T) {
	desk := openDesk(t, false)
	ingestAll(t, desk, inbox.Incoming{
		Message: inbox.Message{ExternalID: "news", Channel: inbox.ChannelEmail, Direction: inbox.In, From: "news@mill.example",
			Party: inbox.Identity{Kind: inbox.KindEmail, Address: "news@mill.example"}, SentAt: testNow.Add(-time.Hour), Text: "Flour prices"},
		Other: true,
	})
	v, w := showView(t, desk, nil)
	l := v.customers

	tests := []struct {
		name   string
		act    func()
		want   []string
		counts map[inbox.Status]int
	}{
		{"open", func() {}, []string{"Bob", "Alice"}, map[inbox.Status]int{inbox.Open: 2, inbox.Resolved: 1, "": 3}},
		{"resolved", func() { l.status.SetSelectedIndex(3) }, []string{"Carol"}, nil},
		{"all", func() { l.status.SetSelectedIndex(4) }, []string{"Bob", "Alice", "Carol"}, nil},
		{"e-mail channel", func() { l.channel.SetSelectedIndex(1) }, []string{"Alice"}, map[inbox.Status]int{inbox.Open: 1, "": 1}},
		{"any channel, by name", func() { l.channel.SetSelectedIndex(0); test.Type(l.query, "car") }, []string{"Carol"}, nil},
		{"unread", func() { l.query.SetText(""); test.Tap(l.unread) }, []string{"Bob", "Alice", "Carol"}, nil},
		{"other", func() { l.status.SetSelectedIndex(5) }, []string{"news@mill.example"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.act()
			if got := rowNames(v); !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
			for s, n := range tt.counts {
				if l.counts[s] != n {
					t.Errorf("count of %q = %d, want %d", s, l.counts[s], n)
				}
			}
		})
	}
	// A row of Other opens the Other timeline at that message, read only.
	tapRow(t, w, v, 0)
	if v.timeline.header.Text != "Other" || v.composer.content.Visible() {
		t.Errorf("Other: header %q, composer visible %v", v.timeline.header.Text, v.composer.content.Visible())
	}
}

func TestOpeningShowsOneTimelineAcrossChannels(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	tapRow(t, w, v, 1) // Alice
	if v.timeline.header.Text != "Alice" {
		t.Fatalf("header %q after a click on Alice", v.timeline.header.Text)
	}
	got := timelineTexts(t, v)
	for _, want := range []string{"Where is my order?", "It left this morning.", "Still nothing.", "Today", "via shop-email", "via shop-sms"} {
		if !hasText(got, want) {
			t.Errorf("timeline lacks %q: %q", want, got)
		}
	}
	// A click reads the customer.
	c, err := desk.Customer(idOf(t, desk, aliceMail))
	if err != nil || c.Unread != 0 {
		t.Errorf("after the click Alice has %d unread (%v)", c.Unread, err)
	}
}

func TestViewFollowsDeskChanges(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	tapRow(t, w, v, 1) // Alice
	alice := idOf(t, desk, aliceMail)

	tests := []struct {
		name     string
		act      func() error
		wantRows []string
		wantLast string // in the timeline
	}{
		{"a note appears on the open timeline", func() error {
			_, err := desk.Note(alice, "Hugo", "Called her back")
			return err
		}, []string{"Bob", "Alice"}, "Called her back"},
		{"the open customer stays open when Bob moves", func() error {
			_, err := desk.Resolve(idOf(t, desk, bobPhone), "Hugo")
			return err
		}, []string{"Alice"}, "Called her back"},
		{"resolving Alice adds the event; she stays open in the middle", func() error {
			_, err := desk.Resolve(alice, "Hugo")
			return err
		}, nil, "Resolved by Hugo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.act(); err != nil {
				t.Fatal(err)
			}
			v.pump()
			if got := rowNames(v); !slices.Equal(got, tt.wantRows) {
				t.Errorf("rows %q, want %q", got, tt.wantRows)
			}
			if v.timeline.header.Text != "Alice" {
				t.Errorf("timeline header %q, want Alice", v.timeline.header.Text)
			}
			if got := timelineTexts(t, v); !hasText(got[len(got)-3:], tt.wantLast) {
				t.Errorf("timeline ends %q, want %q", got[len(got)-3:], tt.wantLast)
			}
			if v.banner.Visible() {
				t.Errorf("error banner: %q", v.bannerText.Text)
			}
		})
	}
}

// A sync of 10,000 messages publishes 10,000 changes: the view reloads
// once for the burst, not 10,000 times.
func TestChangesAreCoalesced(t *testing.T) {
	desk := openDesk(t, false)
	v, _ := showView(t, desk, nil)
	before := v.loads
	bob := idOf(t, desk, bobPhone)
	for i := range 10000 {
		desk.Publish(inbox.Change{Kind: inbox.CustomerChanged, Customer: bob, Message: inbox.MessageID(i)})
	}
	v.pump()
	v.pump() // nothing new: no load
	if got := v.loads - before; got != 1 {
		t.Errorf("%d loads for a burst of 10,000 changes, want 1", got)
	}
	if got := rowNames(v); !slices.Equal(got, []string{"Bob", "Alice"}) {
		t.Errorf("rows after the burst %q", got)
	}
}

func TestMainWindowGolden(t *testing.T) {
	for _, l := range looks {
		t.Run(l.name, func(t *testing.T) {
			useLook(t, l)
			desk := newDemoDesk(t) // each look opens the same unread customers
			v := newMainView(desk, inline, atOnce, &Options{Author: testAuthor})
			t.Cleanup(v.close)
			w := test.NewWindow(v.content)
			t.Cleanup(w.Close)
			v.window = w
			v.installKeys(w.Canvas())
			w.Resize(fyne.NewSize(1280, 800))
			v.reload()
			frame(w)
			tapRow(t, w, v, 0)
			assertGolden(t, "main_window_"+l.name+".png", w)

			// A story with every kind of entry: answers on two
			// channels, a failed SMS, a note, a merge.
			v.customers.status.SetSelectedIndex(4)
			i := slices.Index(rowNames(v), "Olivia Brown")
			if i < 0 {
				t.Fatalf("no Olivia Brown in %q", rowNames(v))
			}
			tapRow(t, w, v, i)
			for _, m := range v.timeline.msgs {
				if m.State == inbox.StateFailed {
					v.timeline.scrollToMessage(m.ID)
				}
			}
			frame(w)
			assertGolden(t, "main_window_story_"+l.name+".png", w)
		})
	}
}
