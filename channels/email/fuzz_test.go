package email

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and, with a working blob store,
// always returns an Incoming (never an error) whose text fields are valid
// UTF-8, whose HTML carries no script or remote image, and whose raw blob
// is the input.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: a@x\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nFrom: b@y\n\nx\n--b--\n"))
	f.Add([]byte("Content-Type: text/html\n\n<img src=x><script>x</script><a href=//x>y</a>"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, blobs := testParser()
		in, err := p.Parse(raw)
		if err != nil {
			t.Fatalf("Parse returned an error with a working blob store: %v", err)
		}
		m := in.Message
		for name, s := range map[string]string{"Text": m.Text, "Subject": m.Subject, "From": m.From,
			"FromName": m.FromName, "To": m.To, "Name": in.Name, "Warning": m.Warning, "HTML": m.HTML} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if len(m.Text) > MaxText {
			t.Errorf("Text has %d bytes", len(m.Text))
		}
		low := strings.ToLower(m.HTML)
		if strings.Contains(low, "<script") || strings.Contains(low, " onerror=") {
			t.Errorf("unsafe HTML %q", m.HTML)
		}
		for _, tag := range imgTag.FindAllString(m.HTML, -1) {
			if src := imgSrc.FindStringSubmatch(tag); src == nil || !safeSrc.MatchString(src[1]) {
				t.Errorf("remote image left in %q", m.HTML)
			}
		}
		if m.ExternalID == "" || !bytes.Equal(blobs.get(m.Raw), raw) {
			t.Errorf("external id %q, raw blob lost", m.ExternalID)
		}
		for _, a := range m.Attachments {
			if int64(len(blobs.get(a.Blob))) != a.Size || a.Name == "" || strings.ContainsAny(a.Name, "/\\") {
				t.Errorf("attachment %+v", a)
			}
		}
	})
}

// FuzzReadMbox checks that ReadMbox never panics, and that whatever it
// reads survives a WriteMbox and ReadMbox round trip.
func FuzzReadMbox(f *testing.F) {
	f.Add([]byte("From a@x Mon Jun  3 10:00:00 2024\nS: 1\n\n>From x\n\nFrom b@x Mon Jun  3 10:00:00 2024\nS: 2\n\nb\n"))
	f.Add([]byte("From a\r\n\r\nFrom b Mon Jun  3 10:00:00 2024\r\n>>From c\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		var first [][]byte
		if err := ReadMbox(bytes.NewReader(data), func(raw []byte) error {
			first = append(first, raw)
			return nil
		}); err != nil {
			return
		}
		var out bytes.Buffer
		for _, raw := range first {
			if err := WriteMbox(&out, raw, "a@x", time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
		}
		var second [][]byte
		if err := ReadMbox(&out, func(raw []byte) error {
			second = append(second, raw)
			return nil
		}); err != nil {
			t.Fatalf("reading our own mbox: %v", err)
		}
		if len(second) != len(first) {
			t.Fatalf("%d messages became %d", len(first), len(second))
		}
		for i := range first {
			want := first[i]
			if len(want) == 0 || want[len(want)-1] != '\n' {
				want = append(want, '\n')
			}
			if !bytes.Equal(second[i], want) {
				t.Fatalf("message %d: %q became %q", i, want, second[i])
			}
		}
	})
}
