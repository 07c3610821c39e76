package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

var ginaPhone = inbox.Identity{Kind: inbox.KindPhone, Address: "+33655556666"}

// bubbles counts the messages laid out on the timeline.
func bubbles(v *mainView) int { return len(v.timeline.built) }

func TestTimelinePagesOlderMessages(t *testing.T) {
	desk := openDesk(t, false)
	var in []inbox.Incoming
	for i := range 120 {
		m := msg(fmt.Sprintf("g%d", i), inbox.ChannelSMS, inbox.In, ginaPhone, time.Duration(120-i)*time.Hour, fmt.Sprintf("Message number %d", i))
		in = append(in, inbox.Incoming{Message: m, Name: "Gina"})
	}
	ingestAll(t, desk, in...)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Gina")

	if n := bubbles(v); n != newestPage {
		t.Fatalf("%d messages laid out when Gina opens, want the newest page of %d", n, newestPage)
	}
	got := timelineTexts(t, v)
	if !hasText(got[len(got)-3:], "Message number 119") || !v.timeline.stick {
		t.Errorf("the timeline does not end on the newest message: %q", got[len(got)-3:])
	}
	if !v.timeline.older.Visible() {
		t.Fatal("no Load older messages")
	}

	// Scrolling to the top reads the page before.
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.timeline.scroll).AddXY(50, 50)
	test.Scroll(w.Canvas(), pos, 0, 100000)
	frame(w)
	if n := bubbles(v); n != newestPage+timelinePage {
		t.Errorf("%d messages after scrolling to the top, want %d", n, newestPage+timelinePage)
	}
	if v.timeline.scroll.Offset.Y <= 0 {
		t.Error("the view jumped to the top: the messages read before should stay where they were")
	}

	test.Tap(v.timeline.older)
	frame(w)
	if n := bubbles(v); n != 120 {
		t.Errorf("%d messages after Load older, want all 120", n)
	}
	if got := timelineTexts(t, v); got[0] != "Beginning of the timeline" || !hasText(got[:8], "Message number 0") {
		t.Errorf("the timeline starts %q", got[:8])
	}
}

func TestFailedAnswerRetry(t *testing.T) {
	desk := openDesk(t, false)
	failed := msg("bf", inbox.ChannelSMS, inbox.Out, bobPhone, 47*time.Hour, "Yes, from 8:00")
	failed.State, failed.Error = inbox.StateFailed, "Twilio refused the number (21610: unsubscribed recipient)"
	ingestAll(t, desk, inbox.Incoming{Message: failed})
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Bob")

	got := timelineTexts(t, v)
	for _, want := range []string{"failed", "21610: unsubscribed recipient", "Retry"} {
		if !hasText(got, want) {
			t.Errorf("timeline %q lacks %q", got, want)
		}
	}
	test.Tap(button(t, v.timeline.box, "Retry"))
	frame(w)
	out, _ := desk.Store().Outbox()
	if len(out) != 1 || out[0].Text != "Yes, from 8:00" || out[0].State != inbox.StateQueued {
		t.Errorf("outbox after Retry: %+v", out)
	}
	if got := timelineTexts(t, v); hasText(got, "Retry") || !hasText(got, "queued") {
		t.Errorf("timeline after Retry %q", got)
	}
}

func TestLongBodiesAndQuotedHistoryFold(t *testing.T) {
	desk := openDesk(t, false)
	long := strings.Repeat("We would like forty croissants every Friday morning. ", 60)
	ingestAll(t, desk,
		inbox.Incoming{Message: msg("a4", inbox.ChannelEmail, inbox.In, aliceMail, 20*time.Minute,
			"Thanks, found it!\n\nOn Mon, 2 Mar 2026 at 09:00, Fournil & Café <bonjour@fournil-cafe.example> wrote:\n> It left this morning.\n> Camille")},
		inbox.Incoming{Message: msg("a5", inbox.ChannelEmail, inbox.In, aliceMail, 10*time.Minute, long)},
	)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	got := timelineTexts(t, v)
	if !hasText(got, "Thanks, found it!") || hasText(got, "> It left this morning.") {
		t.Errorf("the quote is not folded: %q", got)
	}
	test.Tap(button(t, v.timeline.box, "··· Show quoted text"))
	frame(w)
	if got := timelineTexts(t, v); !hasText(got, "> It left this morning.") {
		t.Errorf("Show quoted text shows no quote: %q", got)
	}
	test.Tap(button(t, v.timeline.box, "Hide quoted text"))

	got = timelineTexts(t, v)
	if hasText(got, long[:len(long)-2]) {
		t.Error("a 3,000-character body is laid out whole")
	}
	test.Tap(button(t, v.timeline.box, "Show more"))
	frame(w)
	if got := timelineTexts(t, v); !hasText(got, strings.TrimSpace(long)) {
		t.Error("Show more does not show the whole body")
	}
}

func TestAttachmentsOpenSaveAndShowImagesInline(t *testing.T) {
	st, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	desk := inbox.NewDesk(st, &inbox.Options{Clock: func() time.Time { return testNow }})

	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 0xc0
	}
	img.Set(1, 1, color.Black)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	key, size, err := st.Put(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	pdf, pdfSize, err := st.Put(strings.NewReader("%PDF-1.4 order form"))
	if err != nil {
		t.Fatal(err)
	}
	m := msg("att", inbox.ChannelEmail, inbox.In, aliceMail, time.Hour, "The cake we would like, and the form.")
	m.Attachments = []inbox.Attachment{
		{Name: "cake.png", Type: "image/png", Size: size, Blob: key},
		{Name: "order.pdf", Type: "application/pdf", Size: pdfSize, Blob: pdf},
	}
	ingestAll(t, desk, inbox.Incoming{Message: m, Name: "Alice"})

	v, w := showView(t, desk, &Options{Blobs: st})
	openCustomer(t, w, v, "Alice")
	got := timelineTexts(t, v)
	for _, want := range []string{"cake.png · " + sizeText(size), "order.pdf · 19 B", "Open", "Save"} {
		if !hasText(got, want) {
			t.Errorf("timeline %q lacks %q", got, want)
		}
	}
	var shown *canvas.Image
	walk(v.timeline.box, func(o fyne.CanvasObject) bool {
		if im, ok := o.(*canvas.Image); ok && im.Resource != nil && im.Resource.Name() == "cake.png" {
			shown = im
		}
		return true
	})
	if shown == nil || shown.MinSize() != fyne.NewSize(64, 48) {
		t.Errorf("the image is not inline at its size: %v", shown)
	}
}

func TestOtherViewIsReadOnly(t *testing.T) {
	desk := openDesk(t, false)
	ingestAll(t, desk, inbox.Incoming{
		Message: inbox.Message{ExternalID: "n1", Channel: inbox.ChannelEmail, Direction: inbox.In, From: "news@mill.example", FromName: "Minoterie",
			Party: inbox.Identity{Kind: inbox.KindEmail, Address: "news@mill.example"}, SentAt: testNow.Add(-time.Hour), Subject: "March prices", Text: "Flour prices"},
		Other: true,
	})
	v, w := showView(t, desk, nil)
	v.customers.status.SetSelectedIndex(5)
	frame(w)
	if got := rowTexts(v, 0); got[0] != "Minoterie" || got[len(got)-1] != "Flour prices" {
		t.Errorf("Other row %q", got)
	}
	tapRow(t, w, v, 0)
	if v.timeline.header.Text != "Other" || v.composer.content.Visible() || v.pane.details.Visible() || !v.pane.other.Visible() {
		t.Errorf("Other: header %q, composer %v, pane details %v", v.timeline.header.Text, v.composer.content.Visible(), v.pane.details.Visible())
	}
	if got := timelineTexts(t, v); !hasText(got, "March prices") || !hasText(got, "Minoterie") {
		t.Errorf("Other timeline %q", got)
	}
}
