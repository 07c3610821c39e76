package inbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// memBlobs is an in-memory Blobs.
type memBlobs map[string][]byte

func (m memBlobs) Put(r io.Reader) (string, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(b)
	key := hex.EncodeToString(sum[:])
	m[key] = b
	return key, int64(len(b)), nil
}

func (m memBlobs) Open(key string) (io.ReadCloser, error) {
	b, ok := m[key]
	if !ok {
		return nil, errors.New("no blob " + key)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func file(name string, size int64) Attachment {
	return Attachment{Name: name, Type: "application/pdf", Size: size, Blob: "k-" + name}
}

func TestCheckAttachments(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name string
		ch   ChannelKind
		atts []Attachment
		want string // "" for no error, else part of the message
	}{
		{"no files anywhere", ChannelSMS, nil, ""},
		{"e-mail under 25 MB", ChannelEmail, []Attachment{file("a.pdf", 10*mb), file("b.pdf", 15*mb)}, ""},
		{"e-mail over 25 MB in total", ChannelEmail, []Attachment{file("a.pdf", 10*mb), file("b.pdf", 15*mb+1)}, "the attachments make 25.0 MB; an e-mail carries at most 25 MB"},
		{"e-mail one file over 25 MB", ChannelEmail, []Attachment{file("video.mp4", 30*mb)}, "an e-mail carries at most 25 MB"},
		{"Telegram 50 MB each", ChannelTelegram, []Attachment{file("a.pdf", 50*mb), file("b.pdf", 50*mb)}, ""},
		{"Telegram over 50 MB", ChannelTelegram, []Attachment{file("big.zip", 50*mb+1)}, "big.zip is 50.0 MB; Telegram takes files of at most 50 MB"},
		{"Matrix under its limit", ChannelMatrix, []Attachment{file("a.pdf", 25*mb)}, ""},
		{"Matrix over its limit", ChannelMatrix, []Attachment{file("b.pdf", 26*mb)}, "Matrix takes files of at most 25 MB"},
		{"SMS refuses files", ChannelSMS, []Attachment{file("a.pdf", 10)}, "Twilio fetches media from a public URL"},
		{"WhatsApp refuses files", ChannelWhatsApp, []Attachment{file("a.pdf", 10)}, "SMS and WhatsApp through Twilio cannot carry attachments from Couture"},
		{"not stored", ChannelEmail, []Attachment{{Name: "lost.pdf", Size: 3}}, "has no stored content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAttachments(tt.ch, tt.atts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (ErrorCode(err) != Invalid || !strings.Contains(Explain(err), tt.want)):
				t.Errorf("error %v (code %q), want Invalid saying %q", err, ErrorCode(err), tt.want)
			}
		})
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1 KB", 1536: "2 KB", 3 << 20: "3 MB",
		25 << 20: "25 MB", 3<<20 + 400<<10: "3.4 MB",
	} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPutAttachment(t *testing.T) {
	blobs := memBlobs{}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1000)...)
	tests := []struct {
		path, name, typ string
		data            []byte
	}{
		{"/home/anna/Devis été.pdf", "Devis été.pdf", "application/pdf", []byte("%PDF-1.7 ...")},
		{`C:\Users\anna\photo.PNG`, "photo.PNG", "image/png", png},
		{"/tmp/scan", "scan", "image/png", png},
		{"/tmp/notes", "notes", "text/plain", []byte(strings.Repeat("é", 300))},
		{"/tmp/blob", "blob", "application/octet-stream", []byte{0, 1, 2, 3}},
		{"/tmp/\r\nevil\x00.txt", "evil.txt", "text/plain", []byte("x")},
	}
	for _, tt := range tests {
		a, err := PutAttachment(blobs, tt.path, bytes.NewReader(tt.data))
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if a.Name != tt.name || a.Type != tt.typ || a.Size != int64(len(tt.data)) || !bytes.Equal(blobs[a.Blob], tt.data) {
			t.Errorf("%s: %+v, want %s %s %d bytes", tt.path, a, tt.name, tt.typ, len(tt.data))
		}
	}
	// One byte over the limit is refused.
	_, err := PutAttachment(blobs, "huge.bin", io.LimitReader(zeros{}, MaxAttachment+1))
	if ErrorCode(err) != Invalid || !errors.Is(err, ErrTooLarge) || !strings.Contains(Explain(err), "larger than 50 MB") {
		t.Errorf("a file over the limit: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
