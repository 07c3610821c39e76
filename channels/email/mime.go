package email

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/couture/couture/inbox"
)

// walk reads the top-level entity: its body is streamed through a reader
// that turns CRLF into LF, so boundaries are found whatever line ends a
// sender (or a mailbox file) used.
func (s *parse) walk(h message.Header, body io.Reader) {
	s.entity(h, &lfReader{r: bufio.NewReader(body)}, 0)
}

// entity dispatches one MIME entity (RFC 2045, RFC 2046): multiparts are
// walked, text/plain and text/html parts that are not attachments become
// the body, everything else is stored as an attachment.
func (s *parse) entity(h message.Header, body io.Reader, depth int) {
	t, params := s.contentType(h)
	disp, dparams := disposition(h)
	switch {
	case strings.HasPrefix(t, "multipart/") && depth < maxDepth:
		s.multipart(t, params["boundary"], body, depth)
	case isBodyText(t, disp, dparams, params):
		s.textPart(h, t, params, body)
	default:
		s.attachment(h, t, params, disp, dparams, body)
	}
}

// multipart walks the parts of a multipart entity (RFC 2046 section 5.1).
// A missing boundary makes the body plain text; a missing closing boundary
// or a broken part header ends the walk with a warning, keeping the parts
// read so far.
func (s *parse) multipart(t, boundary string, body io.Reader, depth int) {
	if boundary == "" {
		s.broken = true
		s.warn(t + " has no boundary; read as text")
		s.textPart(message.Header{}, "text/plain", nil, body)
		return
	}
	mr := textproto.NewMultipartReader(body, boundary)
	n := 0
	for s.err == nil {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.broken = true
			if strings.HasSuffix(err.Error(), "EOF") {
				s.warn(fmt.Sprintf("%s ends without its closing boundary after %d parts (truncated?)", t, n))
			} else {
				s.warn(fmt.Sprintf("%s structure broken after %d parts: %v", t, n, err))
			}
			break
		}
		n++
		s.entity(message.Header{Header: part.Header}, part, depth+1)
	}
	if n == 0 && s.err == nil {
		s.broken = true
		s.warn(t + " has no parts")
	}
}

// contentType parses Content-Type (RFC 2045 section 5), text/plain when
// absent (section 5.2). A value mime.ParseMediaType refuses keeps its type
// and whatever boundary and charset can be found.
func (s *parse) contentType(h message.Header) (string, map[string]string) {
	t, params, err := h.ContentType()
	if err == nil {
		return strings.ToLower(t), params
	}
	v := h.Get("Content-Type")
	s.warn(fmt.Sprintf("bad Content-Type %q", clip(validText(v), 80)))
	t, _, _ = strings.Cut(v, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if !validMediaType(t) {
		t = "text/plain"
	}
	params = map[string]string{}
	for _, m := range paramPattern.FindAllStringSubmatch(v, -1) {
		params[strings.ToLower(m[1])] = m[2]
	}
	return t, params
}

// paramPattern finds name=value parameters in a Content-Type that
// mime.ParseMediaType refused.
var (
	paramPattern     = regexp.MustCompile(`(?i)\b(boundary|charset|name|format|delsp)\s*=\s*"?([^";]+)"?`)
	mediaTypePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
)

// validMediaType reports whether t is type/subtype.
func validMediaType(t string) bool { return mediaTypePattern.MatchString(t) }

// disposition parses Content-Disposition (RFC 2183); broken values count as
// absent.
func disposition(h message.Header) (string, map[string]string) {
	if h.Get("Content-Disposition") == "" {
		return "", nil
	}
	d, params, err := h.ContentDisposition()
	if err != nil {
		d, _, _ = strings.Cut(h.Get("Content-Disposition"), ";")
		return strings.ToLower(strings.TrimSpace(d)), nil
	}
	return strings.ToLower(d), params
}

// isBodyText reports whether a part is message text rather than a file:
// text/plain or text/html, not marked as an attachment and not named.
func isBodyText(t, disp string, dparams, params map[string]string) bool {
	if t != "text/plain" && t != "text/html" {
		return false
	}
	return disp != "attachment" && dparams["filename"] == "" && params["name"] == ""
}

// textPart reads a text/plain or text/html part into the body, within the
// size limits; the rest of a longer part is skipped (the raw blob has it).
func (s *parse) textPart(h message.Header, t string, params map[string]string, body io.Reader) {
	r := s.decodeTransfer(h, body)
	limit := MaxText - s.textLen
	if t == "text/html" {
		limit = maxHTML - s.htmlLen
	}
	c := &catcher{r: r}
	data, _ := io.ReadAll(io.LimitReader(c, int64(max(limit, 0))+1))
	if n, _ := io.Copy(io.Discard, c); n > 0 || len(data) > limit {
		data = data[:max(limit, 0)]
		if t == "text/html" {
			s.warn("HTML cut at 2 MiB; full body in the raw message")
		} else {
			s.warn("text cut at 256 KiB; full body in the raw message")
		}
	}
	if c.err != nil {
		s.broken = true
		s.warn(fmt.Sprintf("%s part is damaged: %v", t, c.err))
	}
	text, problem := decodeCharset(data, params["charset"])
	s.warn(problem)
	if t == "text/html" {
		s.html = append(s.html, text)
		s.htmlLen += len(data)
		return
	}
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	s.texts = append(s.texts, text)
	s.textLen += len(data)
}

// decodeTransfer undoes the Content-Transfer-Encoding (RFC 2045 section 6):
// base64, quoted-printable or identity. An unknown encoding leaves the body
// as it is, with a warning.
func (s *parse) decodeTransfer(h message.Header, body io.Reader) io.Reader {
	var only message.Header
	if enc := strings.TrimSpace(h.Get("Content-Transfer-Encoding")); enc != "" {
		only.Set("Content-Transfer-Encoding", enc)
	}
	e, err := message.New(only, body)
	if err != nil {
		s.warn(fmt.Sprintf("unknown Content-Transfer-Encoding %q; body kept as is", clip(validText(h.Get("Content-Transfer-Encoding")), 40)))
	}
	return e.Body
}

// decodeCharset converts text in the given charset to UTF-8 (RFC 2046
// section 4.1.2). Unlabelled or US-ASCII text that is not valid UTF-8 and
// ISO-8859-1 text are read as windows-1252, as the WHATWG Encoding standard
// does; an unknown charset keeps the bytes as UTF-8 with replacement
// characters and a warning. It never fails.
func decodeCharset(data []byte, charset string) (string, string) {
	cs := strings.ToLower(strings.Trim(charset, "\" "))
	switch cs {
	case "", "us-ascii", "ascii", "utf-8", "utf8":
		if utf8.Valid(data) {
			return string(data), ""
		}
		if cs == "utf-8" || cs == "utf8" {
			return strings.ToValidUTF8(string(data), "\uFFFD"), "text is not valid UTF-8; bad bytes replaced"
		}
		return legacyText(data), "8-bit text without a charset; read as windows-1252"
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819":
		return legacyText(data), ""
	}
	if message.CharsetReader != nil {
		if r, err := message.CharsetReader(cs, bytes.NewReader(data)); err == nil && r != nil {
			if out, err := io.ReadAll(r); err == nil {
				return strings.ToValidUTF8(string(out), "\uFFFD"), ""
			}
		}
	}
	return strings.ToValidUTF8(string(data), "\uFFFD"),
		fmt.Sprintf("unknown charset %q; text shown as UTF-8", clip(validText(charset), 40))
}

// decodeText is decodeCharset without the warning.
func decodeText(data []byte, charset string) string {
	s, _ := decodeCharset(data, charset)
	return s
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676 section
// 4): a line ending in a space continues on the next line of the same quote
// depth; space-stuffing is removed; with DelSp=yes the trailing space goes.
func unflow(text string, delsp bool) string {
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	for _, l := range strings.Split(text, "\n") {
		depth := len(l) - len(strings.TrimLeft(l, ">"))
		content := strings.TrimPrefix(l[depth:], " ")
		if open && depth != curDepth {
			out = append(out, cur.String())
			cur.Reset()
			open = false
		}
		if !open && depth > 0 {
			cur.WriteString(strings.Repeat(">", depth) + " ")
		}
		curDepth = depth
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		open = flowed
		if !flowed {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if open {
		out = append(out, cur.String())
	}
	return strings.Join(out, "\n")
}

// attachment stores a part as a blob and records it. Inline parts with a
// Content-ID (RFC 2392) are the images an HTML body shows.
func (s *parse) attachment(h message.Header, t string, params map[string]string, disp string, dparams map[string]string, body io.Reader) {
	r := s.decodeTransfer(h, body)
	name := fileName(dparams["filename"], params["name"])
	if name == "" && t == "message/rfc822" {
		br := bufio.NewReaderSize(r, 64<<10)
		name = forwardedName(br)
		r = br
	}
	if name == "" {
		name = fmt.Sprintf("attachment-%d%s", len(s.atts)+1, extension(t))
	}
	cid := strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>")
	key, size, err := s.put(r, fmt.Sprintf("attachment %q", name))
	if err != nil {
		return
	}
	s.atts = append(s.atts, inbox.Attachment{
		Name: name, Type: t, Size: size, Blob: key,
		ContentID: validText(cid), Inline: cid != "" && disp != "attachment",
	})
}

// fileName picks the attachment's name (RFC 2183 filename, decoded from RFC
// 2231 and RFC 2047 by the header reader, else the Content-Type name),
// reduced to a base name without control characters, so that saving it can
// never write outside the chosen folder.
func fileName(candidates ...string) string {
	for _, n := range candidates {
		n = validText(n)
		n = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, n)
		n = path.Base(strings.ReplaceAll(n, `\`, "/"))
		n = strings.TrimSpace(n)
		if n == "." || n == "/" || n == ".." {
			n = ""
		}
		if n != "" {
			return clip(n, 200)
		}
	}
	return ""
}

// forwardedName names an attached message after its subject, peeking at its
// header without consuming it.
func forwardedName(br *bufio.Reader) string {
	head, _ := br.Peek(64 << 10)
	h, _, _ := readHeader(head)
	subject, _ := headerText(message.Header{Header: h}, "Subject")
	subject = fileName(strings.Join(strings.Fields(subject), " "))
	if subject == "" {
		return "message.eml"
	}
	return clip(subject, 120) + ".eml"
}

// extensions names unnamed attachments of common types; mime.ExtensionsByType
// depends on the system's tables and would make names differ between
// machines.
var extensions = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf", "text/calendar": ".ics", "text/plain": ".txt", "text/html": ".html",
	"message/rfc822": ".eml", "message/delivery-status": ".txt", "text/csv": ".csv",
	"application/zip": ".zip",
}

// extension returns a file extension for t, "" when unknown.
func extension(t string) string { return extensions[t] }

// lfReader turns CRLF line ends into LF while streaming.
type lfReader struct {
	r       *bufio.Reader
	pending bool // a '\r' was held back at the end of the last read
}

// Read implements io.Reader.
func (l *lfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if l.pending {
		l.pending = false
		if b, err := l.r.Peek(1); err == nil && b[0] == '\n' {
			// dropped: CRLF becomes LF
		} else {
			p[0] = '\r'
			n = 1
		}
	}
	m, err := l.r.Read(p[n:])
	chunk := p[n : n+m]
	w := n
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if c == '\r' {
			if i+1 < len(chunk) {
				if chunk[i+1] == '\n' {
					continue
				}
			} else if err == nil {
				l.pending = true
				continue
			}
		}
		p[w] = c
		w++
	}
	if w == 0 && err == nil {
		return l.Read(p)
	}
	return w, err
}
