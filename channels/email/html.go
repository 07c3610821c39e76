package email

import (
	"html"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// policy is bluemonday's UGC policy (no scripts, no styles, no forms, no
// event handlers) plus: cid: and data: image sources, links that open
// outside the app with rel="nofollow noopener". Remote images are removed
// after sanitizing by dropRemoteImages.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("cid")
	p.AllowDataURIImages()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// sanitizeHTML returns the HTML of a message made safe to show: bluemonday
// removes scripts, styles, event handlers and everything not in its UGC
// allow-list, then every image that would load remote content goes.
func sanitizeHTML(s string) string {
	return strings.TrimSpace(dropRemoteImages(policy().Sanitize(s)))
}

// imgTag matches an img tag in bluemonday's output. The sanitizer writes
// attribute values quoted with '<', '>' and '"' escaped, and text with '<'
// escaped, so a '<' always opens a tag and '>' always closes it.
var (
	imgTag  = regexp.MustCompile(`(?i)<img\b[^>]*>`)
	imgSrc  = regexp.MustCompile(`(?i)\ssrc="([^"]*)"`)
	safeSrc = regexp.MustCompile(`(?i)^\s*(cid:|data:image/)`)
)

// dropRemoteImages removes every img whose source is not cid: (a part of
// the message, RFC 2392) or data:, so that opening a message never tells a
// sender it was read.
func dropRemoteImages(s string) string {
	return imgTag.ReplaceAllStringFunc(s, func(tag string) string {
		m := imgSrc.FindStringSubmatch(tag)
		if m == nil || !safeSrc.MatchString(html.UnescapeString(m[1])) {
			return ""
		}
		return tag
	})
}

// blockTags end a line of text; paraTags also leave an empty line around them.
var (
	blockTags = map[string]bool{
		"div": true, "li": true, "tr": true, "dt": true, "dd": true, "dl": true,
		"section": true, "article": true, "aside": true, "header": true, "footer": true,
		"address": true, "figure": true, "figcaption": true, "details": true, "summary": true,
		"caption": true, "center": true, "hr": true,
	}
	paraTags = map[string]bool{
		"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"ul": true, "ol": true, "table": true, "blockquote": true, "pre": true,
	}
)

// htmlToText renders sanitized HTML as plain text: tags are removed, block
// elements end lines, <br> breaks them, list items start with "- ", quoted
// blocks are prefixed with "> " (so Fold finds them) and entities are
// decoded. Whitespace collapses as a browser would, except inside <pre>.
func htmlToText(s string) string {
	var t textWriter
	for s != "" {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			t.text(s)
			break
		}
		t.text(s[:lt])
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break
		}
		t.tag(s[lt+1 : lt+gt])
		s = s[lt+gt+1:]
	}
	return t.String()
}

// textWriter accumulates the text of htmlToText. Line breaks are owed
// until the next visible text, so trailing breaks and quote prefixes never
// pile up.
type textWriter struct {
	b         strings.Builder
	quote     int  // blockquote depth, shown up to maxQuote
	pre       int  // pre depth
	lastQuote int  // quote depth of the last written line
	breaks    int  // line breaks owed before the next text
	space     bool // a collapsed space is pending
}

// tag handles one tag given without its angle brackets.
func (t *textWriter) tag(raw string) {
	end := strings.HasPrefix(raw, "/")
	name := strings.ToLower(strings.TrimPrefix(raw, "/"))
	if i := strings.IndexAny(name, " \t\r\n/"); i >= 0 {
		name = name[:i]
	}
	switch {
	case name == "br":
		// Each <br> is one more line break: "a<br><br>b" leaves an
		// empty line, as Gmail's "<div><br></div>" does.
		t.space = false
		if t.b.Len() > 0 {
			t.breaks++
		}
	case name == "blockquote":
		if end {
			t.quote = max(t.quote-1, 0)
			t.newline(2)
		} else {
			t.newline(2)
			t.quote++
		}
	case name == "pre":
		t.newline(2)
		if end {
			t.pre = max(t.pre-1, 0)
		} else {
			t.pre++
		}
	case paraTags[name]:
		t.newline(2)
	case blockTags[name]:
		t.newline(1)
		if name == "li" && !end {
			t.write("- ")
		}
	case name == "td" || name == "th":
		if end {
			t.space = true
		}
	}
}

// text writes character data, collapsing whitespace outside <pre>.
func (t *textWriter) text(s string) {
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if t.pre > 0 {
		for i, l := range strings.Split(s, "\n") {
			if i > 0 {
				t.newline(1)
			}
			t.write(l)
		}
		return
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			t.space = true
		default:
			t.write(string(r))
		}
	}
}

// write puts visible text on the current line, first paying the owed line
// breaks; empty lines between quoted lines keep the quote marker.
func (t *textWriter) write(s string) {
	if s == "" || t.b.Len() > MaxText {
		return // the caller cuts at MaxText anyway
	}
	switch {
	case t.breaks > 0:
		t.b.WriteByte('\n')
		for range t.breaks - 1 {
			t.b.WriteString(strings.TrimSpace(quotePrefix(min(t.quote, t.lastQuote))))
			t.b.WriteByte('\n')
		}
		t.b.WriteString(quotePrefix(t.quote))
	case t.b.Len() == 0:
		t.b.WriteString(quotePrefix(t.quote))
	case t.space:
		t.b.WriteByte(' ')
	}
	t.breaks, t.space, t.lastQuote = 0, false, t.quote
	t.b.WriteString(s)
}

// maxQuote is the deepest quoting htmlToText shows.
const maxQuote = 8

// quotePrefix returns the "> " marks of a quote depth.
func quotePrefix(depth int) string { return strings.Repeat("> ", min(depth, maxQuote)) }

// newline ends the current line so that at least n line breaks separate it
// from what comes next (n == 2 leaves an empty line).
func (t *textWriter) newline(n int) {
	t.space = false
	if t.b.Len() > 0 {
		t.breaks = max(t.breaks, n)
	}
}

// String returns the text with trailing spaces removed.
func (t *textWriter) String() string {
	lines := strings.Split(t.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
