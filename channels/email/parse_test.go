package email

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/couture/couture/inbox"
)

// readVector returns testdata/<name>.eml.
func readVector(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name + ".eml")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseVectors(t *testing.T) {
	tests := []struct {
		file      string
		direction inbox.Direction
		party     string
		name      string
		other     bool
		text      []string // substrings Text must hold
		noText    []string // substrings Text must not hold
		warning   string   // substring of Warning; "" means no warning
		atts      int
	}{
		{file: "plain", direction: inbox.In, party: "claire.martin@example.fr", name: "Claire Martin",
			text: []string{"Je passerai jeudi", "prêt ?"}},
		{file: "html_only", direction: inbox.In, party: "marc@dubois.example",
			text:   []string{"left sleeve & the collar.\nCan you fix it", "- Sleeve\n- Collar", "> Earlier question"},
			noText: []string{"document.cookie", "Tracking title", "background", "<p>"}},
		{file: "alternative", direction: inbox.In, party: "sarah.j@example.org",
			text: []string{"Could we move the fitting to Saturday morning?"}, noText: []string{"<div>"}},
		{file: "attachment", direction: inbox.In, party: "helene.roux@example.fr", name: "Hélène Roux",
			text: []string{"tour de taille 68 cm", "Hélène"}, atts: 2},
		{file: "inline_cid", direction: inbox.In, party: "lin@studio.example", atts: 1},
		{file: "latin1", direction: inbox.In, party: "andre@vieux.example", name: "André Lefèvre",
			text: []string{"est à reprendre", "centimètre", "désolé pour le dérangement"}},
		{file: "windows1252", direction: inbox.In, party: "sophie@outlook.example",
			text: []string{"m’avez indiqué “environ 45 €", "confirmer\u00a0?"}},
		{file: "unknown_charset", direction: inbox.In, party: "client@weird.example",
			text: []string{"Caf\uFFFD stain"}, warning: `unknown charset "x-bogus"`},
		{file: "subject_fr", direction: inbox.In, party: "cecile@example.fr", name: "Cécile Müller",
			text: []string{"avant l'été"}},
		{file: "malformed_headers", direction: inbox.In, party: "jean.dupont@example.com", name: "Jean Dupont",
			text: []string{"commande n° 1234"}, warning: "header line 4 is not a field"},
		{file: "truncated_multipart", direction: inbox.In, party: "paul@example.net",
			text: []string{"robe abîmée"}, warning: "ends without its closing boundary after 2 parts", atts: 1},
		{file: "list", direction: inbox.In, party: "news@sewing.example", other: true},
		{file: "autoreply", direction: inbox.In, party: "julie.petit@example.fr", other: true},
		{file: "noreply", direction: inbox.In, party: "no-reply@carrier.example", other: true},
		{file: "outbound", direction: inbox.Out, party: "claire.martin@example.fr", name: "Claire Martin",
			text: []string{"attendons à 17 h  à l'atelier."}},
		{file: "forwarded", direction: inbox.In, party: "tom@example.org", atts: 1},
		{file: "no_message_id", direction: inbox.In, party: "lea@example.com", warning: "no Date header"},
		{file: "no_sender", direction: inbox.In, party: "", other: true, warning: "no usable sender"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readVector(t, tt.file)
			p, blobs := testParser()
			in, err := p.Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			m := in.Message
			if m.Direction != tt.direction || m.Party.Address != tt.party || in.Other != tt.other {
				t.Errorf("direction %s party %q other %v, want %s %q %v", m.Direction, m.Party.Address, in.Other, tt.direction, tt.party, tt.other)
			}
			if tt.party != "" && m.Party.Kind != inbox.KindEmail {
				t.Errorf("party kind %q", m.Party.Kind)
			}
			if tt.name != "" && in.Name != tt.name {
				t.Errorf("Name %q, want %q", in.Name, tt.name)
			}
			if m.Channel != inbox.ChannelEmail || m.Account != "atelier" {
				t.Errorf("channel %q account %q", m.Channel, m.Account)
			}
			for _, s := range tt.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tt.noText {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text holds %q:\n%s", s, m.Text)
				}
			}
			if tt.warning == "" && m.Warning != "" {
				t.Errorf("unexpected warning %q", m.Warning)
			}
			if !strings.Contains(m.Warning, tt.warning) {
				t.Errorf("Warning %q lacks %q", m.Warning, tt.warning)
			}
			if len(m.Attachments) != tt.atts {
				t.Errorf("%d attachments, want %d", len(m.Attachments), tt.atts)
			}
			if !bytes.Equal(blobs.get(m.Raw), raw) {
				t.Error("the raw blob is not the message")
			}
			if m.ExternalID == "" || !utf8.ValidString(m.Text) || !utf8.ValidString(m.Subject) {
				t.Errorf("external id %q, text or subject not UTF-8", m.ExternalID)
			}
		})
	}
}

func TestParseHTMLIsSafe(t *testing.T) {
	p, _ := testParser()
	in, err := p.Parse(readVector(t, "html_only"))
	if err != nil {
		t.Fatal(err)
	}
	h := in.Message.HTML
	for _, bad := range []string{"<script", "document.cookie", "<style", "style=", "onload", "onclick",
		"track.example", "javascript:", "<iframe", "<form", "<input", "evil.example", "<title"} {
		if strings.Contains(strings.ToLower(h), bad) {
			t.Errorf("sanitized HTML holds %q:\n%s", bad, h)
		}
	}
	for _, good := range []string{`<img src="data:image/png;base64,`, `rel="nofollow noopener"`, `target="_blank"`, "<b>left sleeve</b>"} {
		if !strings.Contains(h, good) {
			t.Errorf("sanitized HTML lacks %q:\n%s", good, h)
		}
	}
}

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"remote image", `<p>a<img src="https://x.example/p.gif">b</p>`, `<p>ab</p>`},
		{"scheme-relative image", `<img src="//x.example/p.gif" alt="x">`, ``},
		{"relative image", `<img src="p.gif">`, ``},
		{"image without source", `<img alt="x">`, ``},
		{"cid image", `<img src="cid:part1@x" alt="logo">`, `<img src="cid:part1@x" alt="logo">`},
		{"uppercase remote image", `<IMG SRC="HTTPS://x.example/p.gif">`, ``},
		{"entity-hidden remote image", `<img src="&#104;ttps://x.example/p.gif">`, ``},
		{"script", `<script>alert(1)</script>ok`, `ok`},
		{"style element", `<style>p{color:red}</style>ok`, `ok`},
		{"style attribute", `<p style="background:url(https://x.example/)">ok</p>`, `<p>ok</p>`},
		{"link", `<a href="https://x.example/">x</a>`, `<a href="https://x.example/" rel="nofollow noopener" target="_blank">x</a>`},
		{"mailto link", `<a href="mailto:a@x.example">a</a>`, `<a href="mailto:a@x.example" rel="nofollow">a</a>`},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, `x`},
		{"event handler", `<b onmouseover="x()">b</b>`, `<b>b</b>`},
		{"srcset", `<img src="cid:a" srcset="https://x.example/a.png 2x">`, `<img src="cid:a">`},
		{"table background", `<table background="https://x.example/bg.png"><tr><td>x</td></tr></table>`, `<table><tr><td>x</td></tr></table>`},
		{"video", `<video src="https://x.example/v.mp4" autoplay></video>ok`, `ok`},
		{"link element", `<link rel="stylesheet" href="https://x.example/s.css">ok`, `ok`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitizeHTML(tt.in); got != tt.want {
				t.Errorf("sanitizeHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs", `<p>One</p><p>Two</p>`, "One\n\nTwo"},
		{"line breaks", `a<br>b<br/>c`, "a\nb\nc"},
		{"double line break", `a<br><br>b`, "a\n\nb"},
		{"gmail empty line", `<div>a</div><div><br></div><div>b</div>`, "a\n\nb"},
		{"break before a paragraph end", `<p>a<br></p><p>b</p>`, "a\n\nb"},
		{"divs", `<div>a</div><div>b</div>`, "a\nb"},
		{"entities", `Tom &amp; Jerry &lt;3 &eacute;t&eacute; &#8364;`, "Tom & Jerry <3 été €"},
		{"whitespace collapses", "a   b\n\n c", "a b c"},
		{"nbsp", "a&nbsp;b", "a b"},
		{"list", `<ul><li>x</li><li>y</li></ul>`, "- x\n- y"},
		{"blockquote", `<p>New</p><blockquote><p>Old</p><p>Older</p></blockquote>`, "New\n\n> Old\n>\n> Older"},
		{"pre", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"table", `<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>`, "a b\nc"},
		{"headings", `<h1>Title</h1>text`, "Title\n\ntext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(sanitizeHTML(tt.in)); got != tt.want {
				t.Errorf("htmlToText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseAttachmentsAreStored(t *testing.T) {
	p, blobs := testParser()
	in, err := p.Parse(readVector(t, "attachment"))
	if err != nil {
		t.Fatal(err)
	}
	pdf, csv := in.Message.Attachments[0], in.Message.Attachments[1]
	if pdf.Name != "facture été.pdf" || pdf.Type != "application/pdf" || pdf.Inline || pdf.ContentID != "" {
		t.Errorf("pdf attachment %+v", pdf)
	}
	if data := blobs.get(pdf.Blob); !bytes.HasPrefix(data, []byte("%PDF-1.4\n")) || int64(len(data)) != pdf.Size {
		t.Errorf("pdf blob: %d bytes, size %d", len(data), pdf.Size)
	}
	// A path in a file name is reduced to its base; text attachments keep
	// their bytes (ISO-8859-1 here), only transfer-decoded.
	if csv.Name != "mesures.csv" || csv.Type != "text/csv" {
		t.Errorf("csv attachment %+v", csv)
	}
	if got := string(blobs.get(csv.Blob)); got != "taille;68\r\n\xe9paules;40" && got != "taille;68\n\xe9paules;40" {
		t.Errorf("csv blob %q", got)
	}

	in, err = p.Parse(readVector(t, "inline_cid"))
	if err != nil {
		t.Fatal(err)
	}
	img := in.Message.Attachments[0]
	if img.ContentID != "sample@studio.example" || !img.Inline || img.Type != "image/png" || img.Name != "sample.png" {
		t.Errorf("inline image %+v", img)
	}
	if data := blobs.get(img.Blob); !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("inline image blob %q", data)
	}
	if !strings.Contains(in.Message.HTML, `src="cid:sample@studio.example"`) || strings.Contains(in.Message.HTML, "logo.png") {
		t.Errorf("HTML %s", in.Message.HTML)
	}
}

func TestParseForwardedMessage(t *testing.T) {
	p, blobs := testParser()
	in, err := p.Parse(readVector(t, "forwarded"))
	if err != nil {
		t.Fatal(err)
	}
	a := in.Message.Attachments[0]
	if a.Type != "message/rfc822" || a.Name != "Order confirmation #1001.eml" {
		t.Errorf("forwarded attachment %+v", a)
	}
	inner, err := p.Parse(blobs.get(a.Blob))
	if err != nil || inner.Message.Subject != "Order confirmation #1001" || !strings.Contains(inner.Message.Text, "Size: M") {
		t.Errorf("inner message %+v, %v", inner.Message, err)
	}
}

// rawMessage builds a raw message from header lines and a body.
func rawMessage(body string, header ...string) []byte {
	return []byte(strings.Join(header, "\r\n") + "\r\n\r\n" + body)
}

func TestParseTextLimit(t *testing.T) {
	long := strings.Repeat("Une ligne de texte assez longue pour remplir la limite, encore é.\n", 6000)
	raw := rawMessage(long, "From: a@example.com", "Message-ID: <big@x>", "Content-Type: text/plain; charset=utf-8")
	p, blobs := testParser()
	in, err := p.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := in.Message
	if len(m.Text) > MaxText || len(m.Text) < MaxText-10 || !utf8.ValidString(m.Text) {
		t.Errorf("text of %d bytes (valid UTF-8 %v), want just under %d", len(m.Text), utf8.ValidString(m.Text), MaxText)
	}
	if !strings.Contains(m.Warning, "text cut at 256 KiB; full body in the raw message") {
		t.Errorf("warning %q", m.Warning)
	}
	if !bytes.Equal(blobs.get(m.Raw), raw) {
		t.Error("raw blob lost")
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		text    string // substring of Text
		warning string // substring of Warning
		party   string
	}{
		{"no header at all", "just some text\nwithout headers\n", "just some text", "no usable sender", ""},
		{"missing empty line", "From: a@example.com\nSubject: hi\nHello there\nsecond line\n", "Hello there\nsecond line", "header ended without an empty line", "a@example.com"},
		{"leading space", " broken: start\nFrom: a@example.com\n\nbody\n", "body", "continuation of nothing", "a@example.com"},
		{"multipart without boundary", "From: a@example.com\nContent-Type: multipart/mixed\n\nplain words\n", "plain words", "has no boundary", "a@example.com"},
		{"multipart without parts", "From: a@example.com\nContent-Type: multipart/mixed; boundary=zz\n\nno parts here\n", "no parts here", "has no parts", "a@example.com"},
		{"bad content type", "From: a@example.com\nContent-Type: text/plain; charset=\"utf-8; format\n\nhello\n", "hello", "bad Content-Type", "a@example.com"},
		{"unknown transfer encoding", "From: a@example.com\nContent-Transfer-Encoding: x-uuencode\n\nhello\n", "hello", "unknown Content-Transfer-Encoding", "a@example.com"},
		{"damaged base64", "From: a@example.com\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29y!!!bGQ=\n", "hello wor", "damaged", "a@example.com"},
		{"8-bit header", "From: =?utf-8?q?x?= <a@example.com>\nSubject: Caf\xe9\n\nx\n", "x", "Subject has 8-bit bytes", "a@example.com"},
		{"unlabelled latin-1 body", "From: a@example.com\n\nd\xe9j\xe0\n", "déjà", "without a charset", "a@example.com"},
		{"broken utf-8 body", "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\nok \xff\n", "ok \uFFFD", "not valid UTF-8", "a@example.com"},
		{"unreadable from", "From: nobody here\nSender: Real Sender <real@example.com>\n\nx\n", "x", "used Sender", "real@example.com"},
		{"bad dates", "From: a@example.com\nDate: 32 Foo 2024\n\nx\n", "x", "bad Date header", "a@example.com"},
		{"deep nesting", "From: a@example.com\n" + nested(40), "", "", "a@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, blobs := testParser()
			in, err := p.Parse([]byte(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			m := in.Message
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("Text %q lacks %q", m.Text, tt.text)
			}
			if !strings.Contains(m.Warning, tt.warning) {
				t.Errorf("Warning %q lacks %q", m.Warning, tt.warning)
			}
			if m.Party.Address != tt.party {
				t.Errorf("party %q, want %q", m.Party.Address, tt.party)
			}
			if string(blobs.get(m.Raw)) != tt.raw {
				t.Error("raw blob lost")
			}
		})
	}
}

// nested returns a Content-Type and body of depth multiparts nested in
// each other around one text part.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b0\n\n")
	for i := range depth {
		fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
	}
	fmt.Fprintf(&b, "--b%d\nContent-Type: text/plain\n\ndeep\n", depth)
	for i := depth; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.String()
}

func TestParseDirection(t *testing.T) {
	tests := []struct {
		name      string
		header    []string
		direction inbox.Direction
		party     string
		partyName string
		other     bool
	}{
		{"inbound", []string{"From: A <a@x.example>", "To: support@atelier.example"}, inbox.In, "a@x.example", "A", false},
		{"reply-to is not the party", []string{"From: A <a@x.example>", "Reply-To: b@x.example", "To: support@atelier.example"}, inbox.In, "a@x.example", "A", false},
		{"outbound to", []string{"From: support@atelier.example", "To: C <c@x.example>, d@x.example"}, inbox.Out, "c@x.example", "C", false},
		{"outbound cc only", []string{"From: hello@atelier.example", "Cc: E <e@x.example>"}, inbox.Out, "e@x.example", "E", false},
		{"outbound bcc only", []string{"From: hello@atelier.example", "Bcc: f@x.example"}, inbox.Out, "f@x.example", "", false},
		{"outbound without recipient", []string{"From: hello@atelier.example"}, inbox.Out, "", "", true},
		{"outbound skips our own recipients", []string{"From: hello@atelier.example", "To: support@atelier.example", "Cc: I <i@x.example>"}, inbox.Out, "i@x.example", "I", false},
		{"between our own addresses", []string{"From: hello@atelier.example", "To: support@atelier.example"}, inbox.Out, "", "", true},
		{"outbound auto-reply stays on the timeline", []string{"From: hello@atelier.example", "To: g@x.example", "Auto-Submitted: auto-replied"}, inbox.Out, "g@x.example", "", false},
		{"outbound newsletter", []string{"From: hello@atelier.example", "To: g@x.example", "List-Unsubscribe: <mailto:u@atelier.example>"}, inbox.Out, "g@x.example", "", true},
		{"upper-case own address", []string{"From: SUPPORT@Atelier.Example", "To: h@x.example"}, inbox.Out, "h@x.example", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := testParser()
			in, err := p.Parse(rawMessage("hi\r\n", tt.header...))
			if err != nil {
				t.Fatal(err)
			}
			m := in.Message
			if m.Direction != tt.direction || m.Party.Address != tt.party || in.Name != tt.partyName || in.Other != tt.other {
				t.Errorf("got %s %q %q other=%v, want %s %q %q other=%v", m.Direction, m.Party.Address, in.Name, in.Other, tt.direction, tt.party, tt.partyName, tt.other)
			}
		})
	}
}

func TestParseStorage(t *testing.T) {
	raw := readVector(t, "attachment")
	t.Run("failing blob store", func(t *testing.T) {
		p := &Parser{Blobs: failingBlobs{}}
		_, err := p.Parse(raw)
		if err == nil || inbox.ErrorCode(err) != inbox.Unavailable {
			t.Fatalf("err %v, want an Unavailable error", err)
		}
	})
	t.Run("no blob store", func(t *testing.T) {
		p := &Parser{}
		in, err := p.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if in.Message.Raw != "" || in.Message.Attachments[0].Blob != "" || in.Message.Attachments[0].Size != 2840 {
			t.Errorf("raw %q attachment %+v", in.Message.Raw, in.Message.Attachments[0])
		}
	})
	t.Run("attachment store fails after the raw message", func(t *testing.T) {
		p := &Parser{Blobs: &failAfter{n: 1, b: newMemBlobs()}}
		if _, err := p.Parse(raw); inbox.ErrorCode(err) != inbox.Unavailable {
			t.Fatalf("err %v, want an Unavailable error", err)
		}
	})
}

// failAfter stores n blobs, then fails.
type failAfter struct {
	n int
	b *memBlobs
}

func (f *failAfter) Put(r io.Reader) (string, int64, error) {
	if f.n == 0 {
		return failingBlobs{}.Put(r)
	}
	f.n--
	return f.b.Put(r)
}

func (f *failAfter) Open(key string) (io.ReadCloser, error) { return f.b.Open(key) }

func TestExternalID(t *testing.T) {
	base := []string{"From: a@x.example", "Date: Mon, 3 Jun 2024 10:00:00 +0000", "Subject: hello", "Message-ID: <id-1@x.example>"}
	key := func(body string, header ...string) string {
		t.Helper()
		p, _ := testParser()
		in, err := p.Parse(rawMessage(body, header...))
		if err != nil {
			t.Fatal(err)
		}
		return in.Message.ExternalID
	}
	first := key("same text\r\n", base...)
	if !strings.HasPrefix(first, "id-1@x.example#") || len(first) != len("id-1@x.example#")+12 {
		t.Fatalf("external id %q", first)
	}
	if MessageIDOf(first) != "id-1@x.example" {
		t.Errorf("MessageIDOf(%q) = %q", first, MessageIDOf(first))
	}
	tests := []struct {
		name   string
		id     string
		sameAs bool
	}{
		{"same message again", key("same text\r\n", base...), true},
		{"same message, other transport headers", key("same text\r\n", append([]string{"Received: from a by b; Mon, 3 Jun 2024 10:00:01 +0000", "X-Spam: no"}, base...)...), true},
		{"same message, LF line ends", key("same text\n", base...), true},
		{"reused Message-ID, other text", key("other text\r\n", base...), false},
		{"reused Message-ID, other subject", key("same text\r\n", append(base[:2:2], "Subject: other", base[3])...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.id == first) != tt.sameAs {
				t.Errorf("id %q vs %q: same %v, want %v", tt.id, first, tt.id == first, tt.sameAs)
			}
		})
	}
	raw := rawMessage("x", "From: a@x.example")
	p, _ := testParser()
	in, _ := p.Parse(raw)
	sum := sha256.Sum256(raw)
	if want := "sha256:" + hex.EncodeToString(sum[:]); in.Message.ExternalID != want || MessageIDOf(want) != "" {
		t.Errorf("id without Message-ID %q, want %q", in.Message.ExternalID, want)
	}
}

// header builds a mail.Header from "Key: value" lines.
func header(fields ...string) mail.Header {
	var h textproto.Header
	for i := len(fields) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(fields[i], ":")
		h.Add(k, strings.TrimSpace(v))
	}
	return mail.Header{Header: message.Header{Header: h}}
}

func TestIsAutomated(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   bool
		reason string
	}{
		{"person", []string{"From: Anna <anna@x.example>"}, false, ""},
		{"list id", []string{"From: a@x.example", "List-Id: <l.x.example>"}, true, "List-Id present"},
		{"list unsubscribe", []string{"From: a@x.example", "List-Unsubscribe: <mailto:u@x.example>"}, true, "List-Unsubscribe present"},
		{"list post", []string{"From: a@x.example", "List-Post: <mailto:l@x.example>"}, true, "List-Post present"},
		{"precedence bulk", []string{"From: a@x.example", "Precedence: Bulk"}, true, "Precedence: bulk"},
		{"precedence junk", []string{"From: a@x.example", "Precedence: junk"}, true, "Precedence: junk"},
		{"precedence first-class", []string{"From: a@x.example", "Precedence: first-class"}, false, ""},
		{"auto-submitted no", []string{"From: a@x.example", "Auto-Submitted: no"}, false, ""},
		{"auto-replied", []string{"From: a@x.example", "Auto-Submitted: auto-replied"}, true, "Auto-Submitted: auto-replied"},
		{"auto-generated with comment", []string{"From: a@x.example", "Auto-Submitted: auto-generated (vacation)"}, true, "Auto-Submitted: auto-generated (vacation)"},
		{"x-autoreply", []string{"From: a@x.example", "X-Autoreply: yes"}, true, "X-Autoreply present"},
		{"x-autorespond", []string{"From: a@x.example", "X-Autorespond: on"}, true, "X-Autorespond present"},
		{"delivery report", []string{"From: a@x.example", "Content-Type: multipart/report; report-type=delivery-status; boundary=x"}, true, "delivery report"},
		{"null return path", []string{"Return-Path: <>", "From: a@x.example"}, true, "null Return-Path"},
		{"noreply", []string{"From: Shop <noreply@shop.example>"}, true, "no-reply sender noreply@shop.example"},
		{"no-reply", []string{"From: No-Reply@Shop.Example"}, true, "no-reply sender no-reply@shop.example"},
		{"no_reply", []string{"From: no_reply@shop.example"}, true, "no-reply sender"},
		{"donotreply", []string{"From: DoNotReply@shop.example"}, true, "no-reply sender"},
		{"do-not-reply", []string{"From: do-not-reply@shop.example"}, true, "no-reply sender"},
		{"mailer-daemon", []string{"From: MAILER-DAEMON@mx.example"}, true, "no-reply sender"},
		{"postmaster", []string{"From: postmaster@mx.example"}, true, "no-reply sender"},
		{"bounces", []string{"From: bounces+123@mail.example"}, true, "no-reply sender"},
		{"notifications", []string{"From: GitHub <notifications@github.example>"}, true, "no-reply sender"},
		{"person named reply", []string{"From: replyall@x.example"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := IsAutomated(header(tt.fields...))
			if got != tt.want || !strings.HasPrefix(why, tt.reason) {
				t.Errorf("IsAutomated = %v %q, want %v %q", got, why, tt.want, tt.reason)
			}
		})
	}
}

func TestThreadRefs(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   []string
	}{
		{"none", nil, nil},
		{"in-reply-to only", []string{"In-Reply-To: <a@x>"}, []string{"a@x"}},
		{"references then parent", []string{"References: <a@x> <b@x>", "In-Reply-To: <c@x>"}, []string{"a@x", "b@x", "c@x"}},
		{"de-duplicated", []string{"References: <a@x> <b@x> <a@x>", "In-Reply-To: <b@x>"}, []string{"a@x", "b@x"}},
		{"comments and commas", []string{"References: <a@x>, <b@x> (old)", "In-Reply-To: <b@x> (Anna's message)"}, []string{"a@x", "b@x"}},
		{"no brackets", []string{"In-Reply-To: a@x"}, []string{"a@x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := threadRefs(header(tt.fields...))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("threadRefs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		name, in, charset, want string
		warns                   bool
	}{
		{"utf-8", "déjà", "utf-8", "déjà", false},
		{"unlabelled utf-8", "déjà", "", "déjà", false},
		{"iso-8859-1 read as windows-1252", "d\xe9j\xe0 \x80", "ISO-8859-1", "déjà €", false},
		{"windows-1252", "\x93ok\x94", "windows-1252", "“ok”", false},
		{"iso-8859-15", "\xa4", "iso-8859-15", "€", false},
		{"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r", "Привет", false},
		{"shift_jis", "\x82\xa0", "shift_jis", "あ", false},
		{"quoted charset name", "ok", `"utf-8"`, "ok", false},
		{"unknown charset", "caf\xe9", "x-bogus", "caf\uFFFD", true},
		{"us-ascii with 8-bit", "caf\xe9", "us-ascii", "café", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := decodeCharset([]byte(tt.in), tt.charset)
			if got != tt.want || (problem != "") != tt.warns {
				t.Errorf("decodeCharset = %q, %q; want %q, warning %v", got, problem, tt.want, tt.warns)
			}
		})
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		name, in string
		delsp    bool
		want     string
	}{
		{"joins soft breaks", "a long \nline\nnext", false, "a long line\nnext"},
		{"delsp", "a long \nline", true, "a longline"},
		{"space-stuffed", " From here\n >not a quote", false, "From here\n>not a quote"},
		{"quotes", "> quoted \n> more\nnew", false, "> quoted more\nnew"},
		{"signature separator is fixed", "text\n-- \nsig", false, "text\n-- \nsig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unflow(tt.in, tt.delsp); got != tt.want {
				t.Errorf("unflow(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLFReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\rb", "a\rb"},
		{"\r\n\r\n", "\n\n"},
		{"end\r", "end\r"},
		{"\r\r\n", "\r\n"},
	}
	for _, tt := range tests {
		// A one-byte reader splits every CRLF across reads.
		for _, r := range []io.Reader{strings.NewReader(tt.in), &oneByte{strings.NewReader(tt.in)}} {
			got, err := io.ReadAll(&lfReader{r: bufioReader(r)})
			if err != nil || string(got) != tt.want {
				t.Errorf("lfReader(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		}
	}
}

// bufioReader wraps r with a small buffer.
func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 16) }

// oneByte reads one byte at a time.
type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// TestParseStreamsAttachments parses a message with a 30 MB attachment into
// a blob store that keeps nothing, and checks that Parse itself allocated
// far less than one more copy of the attachment.
func TestParseStreamsAttachments(t *testing.T) {
	if testing.Short() {
		t.Skip("large message")
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 30<<20/16)
	var b bytes.Buffer
	b.Grow(len(data)*14/10 + 1024)
	b.WriteString("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhere\r\n")
	b.WriteString("--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b--\r\n")
	raw := b.Bytes()
	blobs := &countingBlobs{}
	p := &Parser{Blobs: blobs}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	in, err := p.Parse(raw)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if a := in.Message.Attachments; len(a) != 1 || a[0].Size != int64(len(data)) {
		t.Fatalf("attachments %+v", a)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Parse allocated %d MB for a %d MB attachment", alloc>>20, len(data)>>20)
	}
}

// countingBlobs hashes and discards what it is given.
type countingBlobs struct{}

func (countingBlobs) Put(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func (countingBlobs) Open(string) (io.ReadCloser, error) { return nil, io.EOF }

// TestParseLargeInputs feeds inputs that once made the parser quadratic
// (thousands of broken header lines) or that could blow up its output.
func TestParseLargeInputs(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, m inbox.Message)
	}{
		{"broken header lines", "From: a@x.example\n" + strings.Repeat("junk line\n", 50000) + "To: b@x.example\n\nbody",
			func(t *testing.T, m inbox.Message) {
				if m.Text != "body" || m.To != "b@x.example" || !strings.Contains(m.Warning, "49995 more broken header lines dropped") {
					t.Errorf("text %q to %q warning %q", m.Text, m.To, m.Warning)
				}
			}},
		{"many references", "From: a@x.example\nReferences: <root@x> " + strings.Repeat("<a@b> ", 1000) + "<c@d> <e@f>\n\nx",
			func(t *testing.T, m inbox.Message) {
				if !slices.Equal(m.ThreadRefs, []string{"root@x", "a@b", "c@d", "e@f"}) {
					t.Errorf("refs %q", m.ThreadRefs)
				}
			}},
		{"many distinct references", "From: a@x.example\nReferences: " + manyRefs(500) + "\n\nx",
			func(t *testing.T, m inbox.Message) {
				if len(m.ThreadRefs) != maxRefs || m.ThreadRefs[0] != "r0@x" || m.ThreadRefs[maxRefs-1] != "r499@x" {
					t.Errorf("%d refs, first %q", len(m.ThreadRefs), m.ThreadRefs[0])
				}
			}},
		{"deeply quoted HTML", "From: a@x.example\nContent-Type: text/html\n\n" + strings.Repeat("<blockquote>", 5000) + strings.Repeat("x<br>", 5000),
			func(t *testing.T, m inbox.Message) {
				if len(m.Text) > MaxText || !strings.HasPrefix(m.Text, strings.Repeat("> ", maxQuote)+"x") {
					t.Errorf("text of %d bytes starts %q", len(m.Text), clip(m.Text, 40))
				}
			}},
		{"many parts", "From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\nContent-Type: application/octet-stream\n\nx\n", 5000) + "--b--\n",
			func(t *testing.T, m inbox.Message) {
				if len(m.Attachments) != 5000 {
					t.Errorf("%d attachments", len(m.Attachments))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := testParser()
			in, err := p.Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in.Message)
		})
	}
}

// manyRefs returns n distinct msg-ids r0@x … r<n-1>@x.
func manyRefs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<r%d@x> ", i)
	}
	return b.String()
}
