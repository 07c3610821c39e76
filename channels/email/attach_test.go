package email

import (
	"bytes"
	"context"
	"io"
	"iter"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
	"github.com/couture/couture/internal/dovecot"
)

// longName is a file name whose RFC 2231 form needs continuations.
const longName = "Devis été 2024 — version finale pour Madame Dupont-Lefèvre (signé).pdf"

// offlineChannel is an e-mail channel that never connects: enough to
// compose.
func offlineChannel(t *testing.T, blobs inbox.Blobs) *Channel {
	t.Helper()
	c, err := New(channels.Account{Name: "shop", Kind: channels.KindEmail, Settings: map[string]string{
		channels.SetAddress: "hello@atelier.example", channels.SetIMAP: "127.0.0.1:993", channels.SetSMTP: "127.0.0.1:465",
	}}, "secret", channels.Deps{Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withFiles returns answer m carrying the files, stored in blobs.
func withFiles(t *testing.T, m inbox.Message, blobs inbox.Blobs, files map[string][]byte, order ...string) inbox.Message {
	t.Helper()
	for _, name := range order {
		a, err := inbox.PutAttachment(blobs, name, bytes.NewReader(files[name]))
		if err != nil {
			t.Fatal(err)
		}
		m.Attachments = append(m.Attachments, a)
	}
	return m
}

// parts yields the parts next reads (a NextPart method) until io.EOF; any
// other error fails the test.
func parts[P any](t *testing.T, next func() (P, error)) iter.Seq[P] {
	return func(yield func(P) bool) {
		for {
			p, err := next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !yield(p) {
				return
			}
		}
	}
}

// shape renders a MIME tree as "multipart/mixed[multipart/alternative[…],…]".
func shape(t *testing.T, e *message.Entity) string {
	t.Helper()
	ct, _, _ := e.Header.ContentType()
	mr := e.MultipartReader()
	if mr == nil {
		io.Copy(io.Discard, e.Body)
		return ct
	}
	var kids []string
	for p := range parts(t, mr.NextPart) {
		kids = append(kids, shape(t, p))
	}
	return ct + "[" + strings.Join(kids, ",") + "]"
}

func TestComposeWithAttachments(t *testing.T) {
	blobs := newMemBlobs()
	pdf := bytes.Repeat([]byte("%PDF-1.7 devis\x00\xff\n"), 5000)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 100)...)
	files := map[string][]byte{longName: pdf, "photo.png": png}
	m := withFiles(t, answer(7, "bob@customer.example"), blobs, files, longName, "photo.png")
	raw, _, err := offlineChannel(t, blobs).compose(m)
	if err != nil {
		t.Fatal(err)
	}

	// The tree: the text and its HTML as alternatives, then the files.
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := shape(t, e), "multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf,image/png]"; got != want {
		t.Errorf("structure %s, want %s", got, want)
	}

	// Names in RFC 2231 form, lines kept short.
	for _, want := range []string{
		"Content-Disposition: attachment; filename=photo.png\r\n",
		"filename*0*=utf-8''Devis%20%C3%A9t%C3%A9%202024%20%E2%80%94",
		"Content-Transfer-Encoding: base64\r\n",
	} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("message lacks %q", want)
		}
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}

	// Read back with go-message: the text, and each file by name and bytes.
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	var text string
	for p := range parts(t, mr.NextPart) {
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, err := h.Filename()
			if err != nil {
				t.Errorf("filename: %v", err)
			}
			got[name] = body
			if _, params, err := h.ContentType(); err != nil || params["name"] != name {
				t.Errorf("Content-Type name %q (%v), want %q", params["name"], err, name)
			}
		case *mail.InlineHeader:
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				text = string(body)
			}
		}
	}
	if !strings.Contains(text, "Your suit is ready") {
		t.Errorf("text part %q", text)
	}
	for name, data := range files {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%q: %d bytes back, want %d", name, len(got[name]), len(data))
		}
	}
	if len(got) != len(files) {
		t.Errorf("files %d, want %d", len(got), len(files))
	}

	// The store reads it back with the same files.
	in, err := (&Parser{Blobs: newMemBlobs(), Own: func(a string) bool { return a == "hello@atelier.example" }}).Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if as := in.Message.Attachments; len(as) != 2 || as[0].Name != longName || as[0].Type != "application/pdf" || as[0].Size != int64(len(pdf)) ||
		as[1].Name != "photo.png" || as[1].Type != "image/png" {
		t.Errorf("parsed attachments %+v", as)
	}
}

func TestContentDispositionRoundTrip(t *testing.T) {
	for _, name := range []string{
		"photo.png", "rapport annuel.pdf", `devis "final".pdf`, "été.txt", "😀.png", "a;b=c.txt",
		strings.Repeat("long-name-", 12) + ".pdf", strings.Repeat("é", 80) + ".pdf", longName,
		"100% sûr.pdf", "l'atelier*.doc",
	} {
		v := contentDisposition("attachment", "filename", name)
		disp, params, err := mime.ParseMediaType(v)
		if err != nil || disp != "attachment" || params["filename"] != name {
			t.Errorf("%q → %q → %q %q (%v)", name, v, disp, params["filename"], err)
		}
		for _, p := range strings.Split(v, "; ") {
			if len(p) > rfc2231Chunk+len("filename*10*=") {
				t.Errorf("%q: parameter %q too long to fold", name, p)
			}
		}
	}
}

func TestComposeRefusesFilesItCannotSend(t *testing.T) {
	blobs := newMemBlobs()
	ok := withFiles(t, answer(8, "bob@customer.example"), blobs, map[string][]byte{"a.txt": []byte("hi")}, "a.txt")
	tests := []struct {
		name  string
		c     *Channel
		m     inbox.Message
		wants string
	}{
		{"over 25 MB", offlineChannel(t, blobs), func() inbox.Message {
			m := ok
			m.Attachments = []inbox.Attachment{{Name: "a.mov", Size: 26 << 20, Blob: ok.Attachments[0].Blob}}
			return m
		}(), "at most 25 MB"},
		{"file gone from the store", offlineChannel(t, newMemBlobs()), ok, "no longer in the store"},
		{"no store", offlineChannel(t, nil), ok, "no attachment store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.c.compose(tt.m)
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), tt.wants) {
				t.Errorf("compose = %v, want Invalid saying %q", err, tt.wants)
			}
		})
	}
}

// TestSendWithAttachments sends an answer with files through the SMTP
// sink into Dovecot; bob's mailbox and alice's Sent read back the files.
func TestSendWithAttachments(t *testing.T) {
	t.Parallel()
	s := newSendSetup(t, dovecot.SMTPOptions{})
	pdf := bytes.Repeat([]byte("%PDF-1.7 quote for Bob\n"), 20000) // ~460 KB: a blob outside bbolt
	m := withFiles(t, answer(44, dovecot.Address("bob")), s.k.store, map[string][]byte{longName: pdf}, longName)
	rc, err := s.c.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	mails, err := s.smtp.WaitMails(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := message.Read(bytes.NewReader(mails[0].Data)); err != nil || shape(t, e) != "multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf]" {
		t.Errorf("sent message: %v", err)
	}

	kb := newDeskSink(t, "bob")
	syncOnce(t, newChannel(t, kb, account(s.srv, "bob"), s.srv.Password("bob")), kb)
	in, ok := kb.byMessageID()[MessageIDOf(rc.ExternalID)]
	if !ok || len(in.Attachments) != 1 {
		t.Fatalf("bob's copy %+v (found %v)", in, ok)
	}
	a := in.Attachments[0]
	if a.Name != longName || a.Type != "application/pdf" || a.Size != int64(len(pdf)) {
		t.Errorf("bob's attachment %+v", a)
	}
	r, err := kb.store.Open(a.Blob)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, pdf) {
		t.Errorf("bob's file: %d bytes, want the %d sent", len(got), len(pdf))
	}
	if !strings.Contains(in.Text, "Your suit is ready") {
		t.Errorf("bob's text %q", in.Text)
	}
}
