package telegram

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// attach stores data and returns it as an attachment named name.
func (e *env) attach(name string, data []byte) inbox.Attachment {
	e.TB.Helper()
	a, err := inbox.PutAttachment(e.Store, name, bytes.NewReader(data))
	if err != nil {
		e.TB.Fatal(err)
	}
	return a
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSendAttachments(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.7 quote\n"), 30000) // ~450 KB
	photo := pngImage(t, 64, 48)
	wide := pngImage(t, 3000, 100)                // a ratio over 20: not a photo for Telegram
	long := strings.Repeat("Bonjour Anna. ", 100) // over a caption's 1024

	tests := []struct {
		name  string
		text  string
		files map[string][]byte
		order []string
		// want is what arrives, in order: method and, for files, name.
		want []string
	}{
		{"a document with its caption", "Here is your quote.", map[string][]byte{"Devis été.pdf": pdf}, []string{"Devis été.pdf"},
			[]string{"sendDocument Devis été.pdf"}},
		{"a photo", "", map[string][]byte{"tarte.png": photo}, []string{"tarte.png"}, []string{"sendPhoto tarte.png"}},
		{"a long text, then the file", long, map[string][]byte{"tarte.png": photo}, []string{"tarte.png"},
			[]string{"sendMessage", "sendPhoto tarte.png"}},
		{"two files after the text", "Both files.", map[string][]byte{"a.pdf": pdf, "bannière.png": wide}, []string{"a.pdf", "bannière.png"},
			[]string{"sendMessage", "sendDocument a.pdf", "sendDocument bannière.png"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.SendText(anna, "hello")
			m := reply(anna.ID, tc.text)
			for _, name := range tc.order {
				m.Attachments = append(m.Attachments, e.attach(name, tc.files[name]))
			}
			r, err := e.ch.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			sent := e.fake.Sent()
			var got []string
			for _, s := range sent {
				if s.Method == "sendMessage" {
					got = append(got, s.Method)
					continue
				}
				got = append(got, s.Method+" "+s.FileName)
				if data := tc.files[s.FileName]; !bytes.Equal(s.Data, data) {
					t.Errorf("%s arrived with %d bytes, want %d", s.FileName, len(s.Data), len(data))
				}
				if s.ChatID != anna.ID {
					t.Errorf("%s went to %d", s.FileName, s.ChatID)
				}
			}
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("arrived %q, want %q", got, tc.want)
			}
			if len(sent) == 1 && tc.text != "" && sent[0].Caption != tc.text {
				t.Errorf("caption %q, want the text", sent[0].Caption)
			}
			if want := itoa(anna.ID) + "/" + itoa(sent[0].Message.MessageID); r.ExternalID != want || r.State != inbox.StateSent {
				t.Errorf("receipt %+v, want %s", r, want)
			}
			if d := sent[len(sent)-1].Message.Document; d != nil && (d.FileName != tc.order[len(tc.order)-1] || d.MimeType == "") {
				t.Errorf("document %+v", d)
			}
			if v := e.fake.Violations(); len(v) > 0 {
				t.Errorf("violations: %v", v)
			}
		})
	}
}

func TestSendAttachmentErrors(t *testing.T) {
	e := newEnv(t)
	e.fake.SendText(anna, "hello")
	pdf := e.attach("a.pdf", []byte("%PDF-1.7"))

	// Refused before any request.
	big := pdf
	big.Size = inbox.MaxTelegramFile + 1
	gone := inbox.Attachment{Name: "gone.pdf", Type: "application/pdf", Size: 3, Blob: strings.Repeat("0", 64)}
	for _, tc := range []struct {
		name string
		m    inbox.Message
		want string
	}{
		{"over 50 MB", func() inbox.Message { m := reply(anna.ID, "x"); m.Attachments = []inbox.Attachment{big}; return m }(), "at most 50 MB"},
		{"not in the store", func() inbox.Message { m := reply(anna.ID, "x"); m.Attachments = []inbox.Attachment{gone}; return m }(), "no longer in the store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.ch.Send(context.Background(), tc.m)
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(inbox.Explain(err), tc.want) {
				t.Errorf("Send = %v, want Invalid saying %q", err, tc.want)
			}
		})
	}
	if n := len(e.fake.Sent()); n != 0 {
		t.Fatalf("%d messages left", n)
	}

	// The text went, the file failed: sending again would repeat the
	// text, so a person decides.
	e.fake.FailMethod("sendDocument", 400, "")
	m := reply(anna.ID, strings.Repeat("long ", 300))
	m.Attachments = []inbox.Attachment{pdf}
	_, err := e.ch.Send(context.Background(), m)
	var unsure *channels.Uncertain
	if !errors.As(err, &unsure) || !strings.Contains(inbox.Explain(err), "1 of the 2 parts of the answer reached Telegram") {
		t.Errorf("Send = %v, want uncertain after the text", err)
	}

	// A file Telegram refuses as a photo goes as a document.
	e.fake.FailMethod("sendPhoto", 400, `{"ok":false,"error_code":400,"description":"Bad Request: PHOTO_INVALID_DIMENSIONS"}`)
	m = reply(anna.ID, "")
	m.Attachments = []inbox.Attachment{e.attach("p.png", pngImage(t, 10, 10))}
	if _, err := e.ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if s := e.fake.Sent(); s[len(s)-1].Method != "sendDocument" || s[len(s)-1].FileName != "p.png" {
		t.Errorf("last sent %+v", s[len(s)-1])
	}
}
