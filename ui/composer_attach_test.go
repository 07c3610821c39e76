package ui

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// writeFile writes a file for the composer to attach and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// picking makes Attach pick paths, as the file dialog would.
func picking(p *composer, paths ...string) {
	p.pick = func(done func([]string)) { done(paths) }
}

func TestAttachmentsFromPickToQueuedAnswer(t *testing.T) {
	desk := openDesk(t, false)
	blobs := desk.Store().(inbox.Blobs)
	v, w := showView(t, desk, &Options{Blobs: blobs})
	pdf := []byte("%PDF-1.7 the quote for Alice")
	quote := writeFile(t, "Devis été.pdf", pdf)
	photo := writeFile(t, "photo.png", []byte("\x89PNG\r\n\x1a\nnot really"))

	openCustomer(t, w, v, "Alice")
	p := v.composer
	if !p.attachBtn.Visible() || p.attachBtn.Text != "Attach" || p.chips.Visible() {
		t.Fatalf("before: Attach visible %v, chips visible %v", p.attachBtn.Visible(), p.chips.Visible())
	}

	// Alice's last message came by SMS: the file cannot go that way, and
	// the box says so before anything is sent.
	picking(p, quote)
	test.Tap(p.attachBtn)
	if !p.chips.Visible() || len(p.chipRemove) != 1 || !hasText(allTexts(p.chips), "Devis été.pdf · 28 B") {
		t.Fatalf("chips %q", allTexts(p.chips))
	}
	if !strings.Contains(p.limit.Text, "Twilio fetches media from a public URL") || !p.send.Disabled() {
		t.Errorf("on SMS: limit %q, Send disabled %v", p.limit.Text, p.send.Disabled())
	}
	test.Type(p.text, "Here is the quote.")
	if !p.send.Disabled() {
		t.Error("Send enabled on SMS with a file")
	}

	// By e-mail it goes; the limit counts it against 25 MB.
	p.channel.SetSelected("E-mail · alice@example.com")
	if !strings.Contains(p.limit.Text, "1 file · 28 B of 25 MB") || p.send.Disabled() {
		t.Errorf("on e-mail: limit %q, Send disabled %v", p.limit.Text, p.send.Disabled())
	}

	// A second file, then removed with its chip.
	picking(p, photo)
	test.Tap(p.attachBtn)
	if len(p.attachments) != 2 || !strings.Contains(p.limit.Text, "2 files") {
		t.Fatalf("after a second file: %d files, limit %q", len(p.attachments), p.limit.Text)
	}
	test.Tap(p.chipRemove[1])
	if len(p.attachments) != 1 || p.attachments[0].Name != "Devis été.pdf" || len(p.chips.Objects) != 1 {
		t.Fatalf("after removing: %+v", p.attachments)
	}

	// The draft keeps the file across a restart.
	v.close()
	v, w = newView(t, desk, &Options{Blobs: blobs})
	openCustomer(t, w, v, "Alice")
	p = v.composer
	if len(p.attachments) != 1 || p.attachments[0].Name != "Devis été.pdf" || !p.chips.Visible() ||
		p.channel.Selected != "E-mail · alice@example.com" || p.text.Text != "Here is the quote." {
		t.Fatalf("after a restart: files %+v, route %q, text %q", p.attachments, p.channel.Selected, p.text.Text)
	}

	// Send: the queued answer carries the file, the timeline shows it, the
	// box and the draft are empty.
	test.Tap(p.send)
	out, err := desk.Store().Outbox()
	if err != nil || len(out) != 1 || out[0].Channel != inbox.ChannelEmail || len(out[0].Attachments) != 1 {
		t.Fatalf("outbox %+v (%v)", out, err)
	}
	a := out[0].Attachments[0]
	if a.Name != "Devis été.pdf" || a.Type != "application/pdf" || a.Size != int64(len(pdf)) {
		t.Errorf("queued attachment %+v", a)
	}
	r, err := blobs.Open(a.Blob)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, pdf) {
		t.Errorf("stored %q", got)
	}
	if texts := timelineTexts(t, v); !hasText(texts, "Devis été.pdf") || !hasText(texts, "queued") {
		t.Errorf("the timeline %q lacks the queued file", texts)
	}
	if len(p.attachments) != 0 || p.chips.Visible() || p.text.Text != "" {
		t.Errorf("the box still holds %+v %q", p.attachments, p.text.Text)
	}
	if d, _ := desk.Draft(idOf(t, desk, aliceMail)); !d.Empty() {
		t.Errorf("the draft survived the send: %+v", d)
	}
}

func TestAttachmentsDroppedAndInNotes(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, &Options{Blobs: desk.Store().(inbox.Blobs)})
	openCustomer(t, w, v, "Carol") // Telegram
	p := v.composer
	path := writeFile(t, "menu.pdf", []byte("%PDF menu"))

	// A note carries no files: Attach hides; a drop switches to the answer.
	test.Tap(p.noteTab)
	if p.attachBtn.Visible() {
		t.Error("Attach shown in note mode")
	}
	web, err := storage.ParseURI("https://example.org/x.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p.drop([]fyne.URI{storage.NewFileURI(path), web})
	if p.note || len(p.attachments) != 1 || p.attachments[0].Name != "menu.pdf" {
		t.Fatalf("after the drop: note %v, files %+v", p.note, p.attachments)
	}
	if !strings.Contains(p.limit.Text, "1 file · 9 B (at most 50 MB each)") || p.send.Disabled() {
		t.Errorf("on Telegram: limit %q, Send disabled %v", p.limit.Text, p.send.Disabled())
	}

	// A note added meanwhile leaves the files for the answer.
	test.Tap(p.noteTab)
	if p.chips.Visible() {
		t.Error("chips shown in note mode")
	}
	test.Type(p.text, "Asked for the menu.")
	test.Tap(p.send)
	if d, _ := desk.Draft(idOf(t, desk, carolTG)); len(d.Attachments) != 1 || d.Note {
		t.Errorf("draft after the note: %+v", d)
	}
	test.Tap(p.replyTab)
	if !p.chips.Visible() || len(p.attachments) != 1 {
		t.Errorf("back to the answer: chips visible %v, files %d", p.chips.Visible(), len(p.attachments))
	}

	// Files alone are an answer.
	test.Tap(p.send)
	out, _ := desk.Store().Outbox()
	if len(out) != 1 || out[0].Text != "" || len(out[0].Attachments) != 1 {
		t.Errorf("outbox %+v", out)
	}

	// A folder is refused with a reason.
	p.addFiles([]string{t.TempDir()})
	if len(p.attachments) != 0 || !v.banner.Visible() || !strings.Contains(v.bannerText.Text, "is a folder") {
		t.Errorf("a folder: files %d, banner %q", len(p.attachments), v.bannerText.Text)
	}
}

func TestAttachHiddenWithoutBlobs(t *testing.T) {
	desk := openDesk(t, false)
	v, w := showView(t, desk, nil)
	openCustomer(t, w, v, "Alice")
	if v.composer.attachBtn.Visible() {
		t.Error("Attach shown with nowhere to store files")
	}
}
