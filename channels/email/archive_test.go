package email

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
)

// readAll returns the messages ReadMbox finds in s.
func readAll(t *testing.T, s string) ([]string, error) {
	t.Helper()
	var out []string
	err := ReadMbox(strings.NewReader(s), func(raw []byte) error {
		out = append(out, string(raw))
		return nil
	})
	return out, err
}

func TestReadMbox(t *testing.T) {
	tests := []struct {
		name string
		mbox string
		want []string
		err  error
	}{
		{"empty file", "", nil, nil},
		{"one message", "From a@x Mon Jun  3 10:00:00 2024\nSubject: a\n\nbody\n\n", []string{"Subject: a\n\nbody\n"}, nil},
		{"two messages", "From a@x Mon Jun  3 10:00:00 2024\nSubject: a\n\none\n\nFrom b@x Tue Jun  4 10:00:00 2024\nSubject: b\n\ntwo\n\n",
			[]string{"Subject: a\n\none\n", "Subject: b\n\ntwo\n"}, nil},
		{"mboxrd unescaping", "From a@x Mon Jun  3 10:00:00 2024\n\n>From the start\n>>From quoted\n>Fromage\n\n",
			[]string{"\nFrom the start\n>From quoted\n>Fromage\n"}, nil},
		{"unescaped From inside a paragraph is text", "From a@x Mon Jun  3 10:00:00 2024\n\nline\nFrom here on, text\n\n",
			[]string{"\nline\nFrom here on, text\n"}, nil},
		{"From after an empty line without a time is text", "From a@x Mon Jun  3 10:00:00 2024\n\npara\n\nFrom me to you\n\n",
			[]string{"\npara\n\nFrom me to you\n"}, nil},
		{"separator without the empty line", "From a@x Mon Jun  3 10:00:00 2024\nS: 1\n\na\nFrom b@x Tue Jun  4 10:00:00 2024\nS: 2\n\nb\n",
			[]string{"S: 1\n\na\n", "S: 2\n\nb\n"}, nil},
		{"thunderbird separator", "From - Mon Jun  3 10:00:00 2024\nS: 1\n\na\n\nFrom - Tue Jun  4 10:00:00 2024\nS: 2\n\nb\n",
			[]string{"S: 1\n\na\n", "S: 2\n\nb\n"}, nil},
		{"CRLF file", "From a@x Mon Jun  3 10:00:00 2024\r\nS: 1\r\n\r\na\r\n\r\nFrom b@x Tue Jun  4 10:00:00 2024\r\nS: 2\r\n\r\nb\r\n\r\n",
			[]string{"S: 1\r\n\r\na\r\n", "S: 2\r\n\r\nb\r\n"}, nil},
		{"no final line end", "From a@x Mon Jun  3 10:00:00 2024\nS: 1\n\na", []string{"S: 1\n\na"}, nil},
		{"leading empty lines", "\n\nFrom a@x Mon Jun  3 10:00:00 2024\nS: 1\n\n", []string{"S: 1\n"}, nil},
		{"not an mbox", "Subject: a\n\nbody\n", nil, ErrNotMbox},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.mbox)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("messages\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReadMboxLongLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	got, err := readAll(t, "From a@x Mon Jun  3 10:00:00 2024\n\n"+long+"\n\n")
	if err != nil || len(got) != 1 || got[0] != "\n"+long+"\n" {
		t.Fatalf("long line lost: %v, %d messages", err, len(got))
	}
}

func TestReadMboxStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadMbox(strings.NewReader("From a Mon Jun  3 10:00:00 2024\n\na\n\nFrom b Mon Jun  3 10:00:00 2024\n\nb\n"), func([]byte) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d calls", err, n)
	}
}

func TestMboxRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if raw[len(raw)-1] != '\n' {
			raw = append(raw, '\n') // the round trip is exact for messages ending in a line end
		}
		msgs = append(msgs, raw)
	}
	msgs = append(msgs,
		[]byte("Subject: tricky\n\nFrom the start\n>From one\n>>From two\nFrom\n\nFrom x Mon Jun  3 10:00:00 2024\n"),
		[]byte("Subject: ends with an empty line\n\nbody\n\n"),
		[]byte("Subject: crlf\r\n\r\nFrom crlf\r\n"),
	)
	var mbox bytes.Buffer
	date := time.Date(2024, 6, 3, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, m := range msgs {
		if err := WriteMbox(&mbox, m, "sender@example.com", date); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(mbox.String(), "From sender@example.com Mon Jun  3 08:00:00 2024\n") {
		t.Errorf("separator line %q", strings.SplitN(mbox.String(), "\n", 2)[0])
	}
	var got [][]byte
	err := ReadMbox(&mbox, func(raw []byte) error {
		got = append(got, raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("%d messages back, want %d", len(got), len(msgs))
	}
	for i := range msgs {
		if !bytes.Equal(got[i], msgs[i]) {
			t.Errorf("message %d changed:\n got %q\nwant %q", i, got[i], msgs[i])
		}
	}
}

func TestWriteMbox(t *testing.T) {
	tests := []struct {
		name, raw, from, want string
	}{
		{"escapes", "A: b\n\nFrom x\n>From y\nFromage\n", "a@x", "From a@x Thu Jan  1 00:00:00 1970\nA: b\n\n>From x\n>>From y\nFromage\n\n"},
		{"adds the line end", "A: b\n\nx", "a@x", "From a@x Thu Jan  1 00:00:00 1970\nA: b\n\nx\n\n"},
		{"empty sender", "A: b\n", "", "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nA: b\n\n"},
		{"sender with spaces", "A: b\n", "a b@x", "From ab@x Thu Jan  1 00:00:00 1970\nA: b\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteMbox(&b, []byte(tt.raw), tt.from, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q\nwant %q", b.String(), tt.want)
			}
		})
	}
}

// writeFile creates path (and its folders) holding data.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadMaildir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"cur/1700000001.M1P1.host,S=10:2,S":      "Subject: seen\n\n",
		"cur/1700000002.M2P1.host:2,FRS":         "Subject: flagged\n\n",
		"new/1700000003.M3P1.host":               "Subject: new\n\n",
		"tmp/1700000004.M4P1.host":               "Subject: being written\n\n",
		"cur/.hidden":                            "Subject: hidden\n\n",
		".Sent/cur/1700000005.M5P1.host:2,S":     "Subject: sent\n\n",
		".Sent/tmp/1700000006.M6P1.host":         "Subject: sent tmp\n\n",
		".Archive.2020/new/1700000007.M7P1.host": "Subject: archived\n\n",
		"Nested/Deeper/cur/1700000008.M8P1!2,T":  "Subject: nested windows\n\n",
		"dovecot-uidlist":                        "3 V1 N9\n",
		"courierimapkeywords/x":                  "junk",
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	var got []string
	err := ReadMaildir(dir, func(raw []byte, flags string) error {
		got = append(got, strings.TrimSpace(strings.TrimPrefix(string(raw), "Subject: "))+"|"+flags)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"archived|", "flagged|FRS", "nested windows|T", "new|", "seen|S", "sent|S"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestReadMaildirErrors(t *testing.T) {
	if err := ReadMaildir(filepath.Join(t.TempDir(), "missing"), func([]byte, string) error { return nil }); err == nil {
		t.Error("a missing maildir gave no error")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cur", "a:2,S"), "Subject: a\n\n")
	writeFile(t, filepath.Join(dir, "cur", "b:2,S"), "Subject: b\n\n")
	stop := errors.New("stop")
	n := 0
	err := ReadMaildir(dir, func([]byte, string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d calls", err, n)
	}
}

func TestMaildirFlags(t *testing.T) {
	tests := []struct{ name, want string }{
		{"1700000000.M1P2.host,S=1234:2,RS", "RS"},
		{"1700000000.M1P2.host:2,", ""},
		{"1700000000.M1P2.host", ""},
		{"1700000000.M1P2.host!2,S", "S"},
		{"1700000000.M1P2.host;2,ST", "ST"},
	}
	for _, tt := range tests {
		if got := maildirFlags(tt.name); got != tt.want {
			t.Errorf("maildirFlags(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestMaildirImport reads a Maildir through the Parser, as `couture import
// maildir` will.
func TestMaildirImport(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"plain", "outbound"} {
		writeFile(t, filepath.Join(dir, "cur", name+":2,S"), string(readVector(t, name)))
	}
	p, _ := testParser()
	var dirs []inbox.Direction
	err := ReadMaildir(dir, func(raw []byte, flags string) error {
		in, err := p.Parse(raw)
		dirs = append(dirs, in.Message.Direction)
		return err
	})
	if err != nil || !slices.Equal(dirs, []inbox.Direction{inbox.Out, inbox.In}) {
		t.Errorf("directions %v, err %v", dirs, err)
	}
}

func TestCompose(t *testing.T) {
	at := time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		m       inbox.Message
		from    string
		to      string
		subject string
		channel string
		text    string
	}{
		{
			name: "inbound SMS",
			m: inbox.Message{ID: 7, Channel: inbox.ChannelSMS, Direction: inbox.In, ExternalID: "SM123",
				Party: inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}, From: "+33612345678",
				Text: "Bonjour, ma robe est-elle prête ? Je peux passer à 18 h.", SentAt: at},
			from: "+33612345678@sms.invalid", to: "hello@atelier.example",
			subject: "SMS: Bonjour, ma robe est-elle prête ? Je peux passer à 18 h.", channel: "sms",
			text: "Bonjour, ma robe est-elle prête ? Je peux passer à 18 h.",
		},
		{
			name: "outbound WhatsApp",
			m: inbox.Message{ID: 8, Channel: inbox.ChannelWhatsApp, Direction: inbox.Out, ExternalID: "SM124",
				Party: inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}, Text: "Oui, elle est prête.", SentAt: at},
			from: "hello@atelier.example", to: "+33612345678@whatsapp.invalid",
			subject: "WhatsApp: Oui, elle est prête.", channel: "whatsapp", text: "Oui, elle est prête.",
		},
		{
			name: "matrix user id",
			m: inbox.Message{ID: 9, Channel: inbox.ChannelMatrix, Direction: inbox.In, ExternalID: "$ev:matrix.example",
				Party: inbox.Identity{Kind: inbox.KindMatrix, Address: "@anna:matrix.example"}, Text: "hi", SentAt: at},
			from: "@anna:matrix.example@matrix.invalid", to: "hello@atelier.example",
			subject: "Matrix: hi", channel: "matrix", text: "hi",
		},
		{
			name: "note",
			m:    inbox.Message{ID: 10, Direction: inbox.Note, Author: "Marie", Text: "Client fidèle,\nprévoir une remise.", SentAt: at},
			from: "hello@atelier.example", to: "hello@atelier.example",
			subject: "Note: Client fidèle, prévoir une remise.", channel: "note", text: "Client fidèle,\nprévoir une remise.",
		},
		{
			name: "event",
			m:    inbox.Message{ID: 11, Direction: inbox.Event, Event: inbox.EventResolved, Text: "resolved", SentAt: at},
			from: "hello@atelier.example", to: "hello@atelier.example",
			subject: "Event: resolved", channel: "event", text: "resolved",
		},
		{
			name: "e-mail without raw keeps its Message-ID and subject",
			m: inbox.Message{ID: 12, Channel: inbox.ChannelEmail, Direction: inbox.Out, ExternalID: "abc@atelier.example#0123456789ab",
				Party: inbox.Identity{Kind: inbox.KindEmail, Address: "claire@example.fr"}, Subject: "Re: Retouche",
				ThreadRefs: []string{"a@x", "b@x#0123456789ab", "sha256:00ff"}, Text: "À jeudi.", SentAt: at},
			from: "hello@atelier.example", to: "claire@example.fr", subject: "Re: Retouche", channel: "email", text: "À jeudi.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := Compose(tt.m, "Atelier Couture <hello@atelier.example>")
			if !bytes.Contains(raw, []byte("\r\n\r\n")) || !bytes.Contains(raw, []byte("Content-Transfer-Encoding: quoted-printable\r\n")) {
				t.Fatalf("not a CRLF quoted-printable message:\n%s", raw)
			}
			if !bytes.Equal(raw, Compose(tt.m, "Atelier Couture <hello@atelier.example>")) {
				t.Error("Compose is not deterministic")
			}
			in, err := (&Parser{}).Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			h, _, _ := readHeader(raw)
			m := in.Message
			if m.Warning != "" {
				t.Errorf("warning %q", m.Warning)
			}
			if m.From != tt.from || m.To != tt.to || m.Subject != tt.subject || m.Text != tt.text {
				t.Errorf("read back from %q to %q subject %q text %q", m.From, m.To, m.Subject, m.Text)
			}
			if got := h.Get("X-Couture-Channel"); got != tt.channel {
				t.Errorf("X-Couture-Channel %q, want %q", got, tt.channel)
			}
			if !m.SentAt.Equal(at) || !strings.HasSuffix(h.Get("Message-Id"), ">") {
				t.Errorf("date %v message-id %q", m.SentAt, h.Get("Message-Id"))
			}
			if tt.m.Channel == inbox.ChannelEmail {
				if MessageIDOf(m.ExternalID) != "abc@atelier.example" || !slices.Equal(m.ThreadRefs, []string{"a@x", "b@x"}) {
					t.Errorf("e-mail ids %q %q", m.ExternalID, m.ThreadRefs)
				}
			}
		})
	}
}

// TestExportTimeline writes a timeline mixing e-mail (raw) and SMS
// (composed) to an mbox and reads it back, as `couture export --format
// mbox` and `couture import mbox` will.
func TestExportTimeline(t *testing.T) {
	var mbox bytes.Buffer
	raws := [][]byte{readVector(t, "plain"), Compose(inbox.Message{Channel: inbox.ChannelSMS, Direction: inbox.In,
		Party: inbox.Identity{Kind: inbox.KindPhone, Address: "+33612345678"}, Text: "From now on, text me.", SentAt: time.Unix(1717400000, 0)}, "hello@atelier.example")}
	for _, raw := range raws {
		if err := WriteMbox(&mbox, raw, "hello@atelier.example", time.Unix(1717400000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := testParser()
	var texts []string
	err := ReadMbox(&mbox, func(raw []byte) error {
		in, err := p.Parse(raw)
		texts = append(texts, in.Message.Text)
		return err
	})
	if err != nil || len(texts) != 2 || !strings.HasPrefix(texts[1], "From now on") {
		t.Fatalf("texts %q, err %v", texts, err)
	}
}
