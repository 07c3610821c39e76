package email

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// readHeader splits raw into its header fields and body (RFC 5322 section
// 2.1: fields, an empty line, the body). It never fails: when the strict
// reader rejects the header, a lenient pass keeps every well-formed field,
// drops the broken lines and reports them in problems. An mbox "From " line
// at the very top is skipped.
func readHeader(raw []byte) (h textproto.Header, body []byte, problems []string) {
	raw = skipMboxLine(raw)
	r := bytes.NewReader(raw)
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	switch {
	case err == nil:
		off := len(raw) - r.Len() - br.Buffered()
		return h, raw[off:], nil
	case errors.Is(err, io.EOF):
		// A header without a body: legal, nothing was dropped.
		return h, nil, nil
	}
	return readHeaderLeniently(raw)
}

// skipMboxLine drops a leading mbox "From " separator line, which some tools
// leave on single messages.
func skipMboxLine(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("From ")) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return nil
}

// readHeaderLeniently keeps the well-formed fields (and their continuation
// lines) of a header the strict reader refused. A line that is not a field is
// dropped when a field follows it before the empty line; otherwise the body
// starts there (a message that forgot the empty line).
func readHeaderLeniently(raw []byte) (textproto.Header, []byte, []string) {
	var clean bytes.Buffer
	var problems []string
	lines := splitLines(raw)
	follows := fieldsFollow(lines)
	body := []byte(nil)
	dropped := 0
	for i, l := range lines {
		text := bytes.TrimRight(l.text, "\r")
		switch {
		case len(text) == 0:
			body = raw[l.next:]
		case text[0] == ' ' || text[0] == '\t':
			if clean.Len() == 0 {
				dropped++
				if dropped <= maxLineProblems {
					problems = append(problems, fmt.Sprintf("header line %d is a continuation of nothing", i+1))
				}
				continue
			}
			clean.Write(text)
			clean.WriteString("\r\n")
			continue
		case isField(text):
			clean.Write(text)
			clean.WriteString("\r\n")
			continue
		case follows[i]:
			dropped++
			if dropped <= maxLineProblems {
				problems = append(problems, fmt.Sprintf("header line %d is not a field: %q", i+1, clip(string(text), 60)))
			}
			continue
		default:
			problems = append(problems, fmt.Sprintf("header ended without an empty line at line %d", i+1))
			body = raw[l.start:]
		}
		break
	}
	if dropped > maxLineProblems {
		problems = append(problems, fmt.Sprintf("%d more broken header lines dropped", dropped-maxLineProblems))
	}
	clean.WriteString("\r\n")
	h, err := textproto.ReadHeader(bufio.NewReader(&clean))
	if err != nil {
		problems = append(problems, "header unreadable: "+err.Error())
	}
	return h, body, problems
}

// maxLineProblems is how many broken header lines are named in a warning;
// the others are counted.
const maxLineProblems = 5

// line is one line of a byte slice: text without its '\n', where it starts
// and where the next line starts.
type line struct {
	text        []byte
	start, next int
}

// splitLines cuts b into lines ending in '\n' (the last may lack it).
func splitLines(b []byte) []line {
	var out []line
	for start := 0; start < len(b); {
		end := bytes.IndexByte(b[start:], '\n')
		if end < 0 {
			out = append(out, line{b[start:], start, len(b)})
			break
		}
		out = append(out, line{b[start : start+end], start, start + end + 1})
		start += end + 1
	}
	return out
}

// isField reports whether l looks like "Name: value" with a field name made
// of printable US-ASCII other than the colon (RFC 5322 section 2.2).
func isField(l []byte) bool {
	i := bytes.IndexByte(l, ':')
	if i <= 0 {
		return false
	}
	name := bytes.TrimRight(l[:i], " \t")
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// fieldsFollow reports, for every line, whether a header field comes after
// it before the next empty line. One backward pass keeps the lenient
// reader linear however many broken lines a header has.
func fieldsFollow(lines []line) []bool {
	follows := make([]bool, len(lines))
	seen := false
	for i := len(lines) - 1; i >= 0; i-- {
		follows[i] = seen
		text := bytes.TrimRight(lines[i].text, "\r")
		switch {
		case len(text) == 0:
			seen = false
		case isField(text):
			seen = true
		}
	}
	return follows
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// headerText decodes an unstructured field (RFC 2047 encoded words). Raw
// 8-bit bytes that are not UTF-8 are read as windows-1252, the usual
// culprit; an unknown charset leaves the field as it is, made valid UTF-8.
func headerText(h message.Header, key string) (string, string) {
	v, err := h.Text(key)
	problem := ""
	if err != nil {
		v, problem = wordsAsUTF8(h.Get(key)), key+" uses an unknown charset; shown as UTF-8"
	}
	if !utf8.ValidString(v) {
		v = legacyText([]byte(v))
		problem = key + " has 8-bit bytes that are not UTF-8; read as windows-1252"
	}
	return v, problem
}

// wordsAsUTF8 decodes the encoded words of v (RFC 2047) whatever charset
// they name, taking their bytes as UTF-8 with replacement characters.
func wordsAsUTF8(v string) string {
	d := mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil }}
	out, err := d.DecodeHeader(v)
	if err != nil {
		return strings.ToValidUTF8(v, "\uFFFD")
	}
	return strings.ToValidUTF8(out, "\uFFFD")
}

// legacyText reads b as windows-1252 (WHATWG's reading of unlabelled and
// Latin-1 text), falling back to UTF-8 with replacement characters.
func legacyText(b []byte) string {
	if message.CharsetReader != nil {
		if r, err := message.CharsetReader("windows-1252", bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// address is one mailbox of an address field.
type address struct {
	Name string
	Addr string
}

// addresses parses an address-list field (RFC 5322 section 3.4). When the
// strict parser refuses it, every token that looks like local@domain is
// taken, with the display name written before its angle bracket.
func addresses(h mail.Header, key string) ([]address, string) {
	list, err := h.AddressList(key)
	if err == nil {
		out := make([]address, 0, len(list))
		for _, a := range list {
			out = append(out, address{Name: validText(a.Name), Addr: validText(a.Address)})
		}
		return out, ""
	}
	v := h.Get(key)
	out := scanAddresses(v)
	if len(out) == 0 {
		return nil, fmt.Sprintf("%s has no readable address: %q", key, clip(validText(v), 80))
	}
	return out, fmt.Sprintf("%s is malformed (%q); read leniently", key, clip(validText(v), 80))
}

// addrPattern matches something shaped like an addr-spec.
var addrPattern = regexp.MustCompile(`[^\s<>()",;:\[\]\\]+@[^\s<>()",;:\[\]\\]+`)

// scanAddresses is the lenient fallback of addresses: every token shaped
// like local@domain, named by the text before it up to the previous
// address or comma ("Jean Dupont <jean@x>", "Jean Dupont jean@x").
func scanAddresses(v string) []address {
	var out []address
	prev := 0
	for _, m := range addrPattern.FindAllStringIndex(v, 20) {
		before := v[prev:m[0]]
		if i := strings.LastIndexAny(before, ",;"); i >= 0 {
			before = before[i+1:]
		}
		name := decodeWords(strings.Trim(strings.TrimSpace(before), `"'<> `))
		out = append(out, address{Name: validText(name), Addr: validText(v[m[0]:m[1]])})
		prev = m[1]
	}
	return out
}

// decodeWords decodes RFC 2047 encoded words in a phrase, keeping the input
// when it cannot.
func decodeWords(s string) string {
	var h message.Header
	h.Set("X", s)
	if v, err := h.Text("X"); err == nil {
		return v
	}
	return s
}

// validText returns s as valid UTF-8.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return legacyText([]byte(s))
}

// msgIDPattern matches one msg-id in angle brackets (RFC 5322 section 3.6.4).
var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs returns the message ids of a field such as References, without
// their angle brackets. Broken fields are read leniently: ids without
// brackets are taken when they contain an "@".
func msgIDs(v string) []string {
	if m := msgIDPattern.FindAllStringSubmatch(v, -1); len(m) > 0 {
		out := make([]string, 0, len(m))
		for _, x := range m {
			out = append(out, validText(x[1]))
		}
		return out
	}
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if strings.Contains(f, "@") {
			out = append(out, validText(strings.Trim(f, "<>")))
		}
	}
	return out
}

// threadRefs returns the ids of References followed by those of In-Reply-To
// it did not already hold, de-duplicated, in order. With the message's own
// Message-ID appended it is a valid References field for an answer (RFC 5322
// section 3.6.4).
func threadRefs(h mail.Header) []string {
	seen := map[string]bool{}
	var out []string
	for _, key := range []string{"References", "In-Reply-To"} {
		for _, id := range msgIDs(h.Get(key)) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	if len(out) > maxRefs {
		out = append(out[:1], out[len(out)-maxRefs+1:]...)
	}
	return out
}

// maxRefs bounds ThreadRefs; like RFC 5322 section 3.6.4 suggests for a
// long References field, the first (the thread's root) and the latest ids
// are kept.
const maxRefs = 50

// sentAt returns the origination date (RFC 5322 section 3.6.1), else the
// date of the first Received field (RFC 5321 section 4.4), else zero.
func sentAt(h mail.Header) (time.Time, string) {
	v := h.Get("Date")
	if t, err := parseDate(v); err == nil {
		return t, ""
	}
	problem := "no Date header"
	if v != "" {
		problem = fmt.Sprintf("bad Date header %q", clip(validText(v), 60))
	}
	if rcv := h.Get("Received"); rcv != "" {
		if i := strings.LastIndexByte(rcv, ';'); i >= 0 {
			if t, err := parseDate(rcv[i+1:]); err == nil {
				return t, problem + "; used the Received date"
			}
		}
	}
	return time.Time{}, problem
}

// dateLayouts are forms seen in the wild that net/mail refuses.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 MST",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	time.RFC3339,
}

// parseDate parses an RFC 5322 date-time, then a few common broken forms.
func parseDate(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("empty date")
	}
	if t, err := netmail.ParseDate(v); err == nil {
		return t, nil
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q", v)
}
