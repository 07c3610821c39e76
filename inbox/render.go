package inbox

import (
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rendered is a light-Markdown text (an answer body) made ready for one
// channel: the same words everywhere, the markup each channel understands.
type Rendered struct {
	Channel ChannelKind `json:"channel"`
	// Text goes into Message.Text: plain text for e-mail (the text/plain
	// part) and SMS, WhatsApp's own markup (*bold*, _italic_) for
	// WhatsApp, Markdown for Matrix and Telegram (their channels turn it
	// into formatted_body / message entities).
	Text string `json:"text"`
	// HTML is the e-mail's text/html part: a fragment (paragraphs, lists,
	// links) with every character of the text escaped; "" for the other
	// channels.
	HTML string `json:"html,omitempty"`
	// SMS is the segment count of Text (SMS only).
	SMS *SMSCount `json:"sms,omitempty"`
	// Missing lists the placeholders that had no value; they were left out.
	Missing []string `json:"missing,omitempty"`
}

// Render fills the placeholders of a light-Markdown body with vars (name →
// value, plain text) and renders it for channel ch. Unknown placeholders
// stay as written; a placeholder with an empty value is removed with the
// space before it ("Bonjour {first_name}," → "Bonjour,").
func Render(body string, ch ChannelKind, vars map[string]string) Rendered {
	filled, missing := fill(body, vars)
	blocks := parseBlocks(filled)
	r := Rendered{Channel: ch, Missing: missing}
	switch ch {
	case ChannelEmail:
		r.Text = renderBlocks(blocks, plainStyle)
		r.HTML = renderHTML(blocks)
	case ChannelSMS:
		r.Text = renderBlocks(blocks, plainStyle)
		c := CountSMS(r.Text)
		r.SMS = &c
	case ChannelWhatsApp:
		r.Text = renderBlocks(blocks, whatsappStyle)
	default: // Matrix, Telegram
		r.Text = renderBlocks(blocks, markdownStyle)
	}
	return r
}

// fill substitutes {name} placeholders; values are escaped so that their
// characters are never read as markup.
func fill(body string, vars map[string]string) (string, []string) {
	var missing []string
	var b strings.Builder
	for {
		i := strings.IndexByte(body, '{')
		if i < 0 {
			b.WriteString(body)
			break
		}
		j := strings.IndexByte(body[i:], '}')
		if j < 0 {
			b.WriteString(body)
			break
		}
		name := body[i+1 : i+j]
		v, known := vars[name]
		if !known {
			b.WriteString(body[:i+j+1])
			body = body[i+j+1:]
			continue
		}
		pre := body[:i]
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
			pre = strings.TrimRight(pre, " ")
			b.WriteString(pre)
		} else {
			b.WriteString(pre)
			b.WriteString(escapeMarkdown(v))
		}
		body = body[i+j+1:]
	}
	return b.String(), missing
}

// escapeMarkdown backslash-escapes the characters light Markdown reads as
// markup.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\*_[]`", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Blocks of light Markdown.
type blockKind int

const (
	paragraph blockKind = iota
	bullets
	numbers
)

type block struct {
	kind  blockKind
	lines []string // paragraph lines, or list items
	first int      // first number of a numbered list
}

// parseBlocks cuts text into paragraphs (blank-line separated; single line
// breaks kept) and lists ("- ", "* ", "+ " or "1. ", "1) " items; an
// indented line continues the item).
func parseBlocks(text string) []block {
	var out []block
	var cur *block
	flush := func() {
		if cur != nil && len(cur.lines) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			flush()
			continue
		}
		if item, ok := bulletItem(trimmed); ok {
			if cur == nil || cur.kind != bullets {
				flush()
				cur = &block{kind: bullets}
			}
			cur.lines = append(cur.lines, item)
			continue
		}
		if n, item, ok := numberItem(trimmed); ok {
			if cur == nil || cur.kind != numbers {
				flush()
				cur = &block{kind: numbers, first: n}
			}
			cur.lines = append(cur.lines, item)
			continue
		}
		if cur != nil && cur.kind != paragraph && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			cur.lines[len(cur.lines)-1] += " " + trimmed
			continue
		}
		if cur == nil || cur.kind != paragraph {
			flush()
			cur = &block{kind: paragraph}
		}
		cur.lines = append(cur.lines, trimmed)
	}
	flush()
	return out
}

func bulletItem(s string) (string, bool) {
	for _, p := range []string{"- ", "* ", "+ "} {
		if strings.HasPrefix(s, p) {
			return strings.TrimSpace(s[len(p):]), true
		}
	}
	return "", false
}

func numberItem(s string) (int, string, bool) {
	i := 0
	for i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(s) || (s[i] != '.' && s[i] != ')') || s[i+1] != ' ' {
		return 0, "", false
	}
	n, _ := strconv.Atoi(s[:i])
	return n, strings.TrimSpace(s[i+2:]), true
}

// Inline nodes.
type nodeKind int

const (
	textNode nodeKind = iota
	boldNode
	italicNode
	linkNode
)

type node struct {
	kind nodeKind
	text string // textNode
	kids []node // bold, italic, link text
	url  string // linkNode
}

// parseInline reads **bold**, *italic*, _italic_, [text](url) and
// backslash escapes. Markup that does not close is text.
func parseInline(s string) []node {
	var out []node
	var text strings.Builder
	flushText := func() {
		if text.Len() > 0 {
			out = append(out, node{kind: textNode, text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			text.WriteByte(s[i+1])
			i += 2
			continue
		case strings.HasPrefix(s[i:], "**"):
			if j := findClose(s, i+2, "**"); j > i+2 {
				flushText()
				out = append(out, node{kind: boldNode, kids: parseInline(s[i+2 : j])})
				i = j + 2
				continue
			}
		case c == '*' || c == '_':
			if c == '_' && i > 0 && isWordByte(s[i-1]) {
				break // snake_case
			}
			if j := findClose(s, i+1, string(c)); j > i+1 && (c == '*' || j+1 >= len(s) || !isWordByte(s[j+1])) && s[i+1] != ' ' {
				flushText()
				out = append(out, node{kind: italicNode, kids: parseInline(s[i+1 : j])})
				i = j + 1
				continue
			}
		case c == '[':
			if j := findClose(s, i+1, "]("); j > i+1 {
				if k := findClose(s, j+2, ")"); k > j+2 {
					flushText()
					out = append(out, node{kind: linkNode, kids: parseInline(s[i+1 : j]), url: strings.TrimSpace(s[j+2 : k])})
					i = k + 1
					continue
				}
			}
		}
		text.WriteByte(c)
		i++
	}
	flushText()
	return out
}

// findClose returns the index of the first unescaped delim at or after
// from, -1 if none.
func findClose(s string, from int, delim string) int {
	for i := from; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if strings.HasPrefix(s[i:], delim) {
			if delim == "*" && strings.HasPrefix(s[i:], "**") {
				i++ // a bold marker inside italic text
				continue
			}
			return i
		}
	}
	return -1
}

func isASCIIPunct(b byte) bool {
	return b < utf8.RuneSelf && unicode.IsPunct(rune(b)) || strings.IndexByte("`^|~<>=+$", b) >= 0
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= utf8.RuneSelf
}

// style writes inline nodes in one target syntax.
type style struct {
	text                           func(string) string
	boldOpen, boldClose            string
	italicOpen, italicClose        string
	link                           func(text, url string) string
	bullet                         string
	number                         func(n int) string
	paragraphSep, lineSep, itemSep string
	// markupInLinks keeps bold and italic inside a link's text.
	markupInLinks bool
}

var plainStyle = style{
	text:   func(s string) string { return s },
	link:   plainLink,
	bullet: "- ", number: func(n int) string { return strconv.Itoa(n) + ". " },
	paragraphSep: "\n\n", lineSep: "\n", itemSep: "\n",
}

var whatsappStyle = style{
	text:     func(s string) string { return s },
	boldOpen: "*", boldClose: "*", italicOpen: "_", italicClose: "_",
	link:   plainLink,
	bullet: "- ", number: func(n int) string { return strconv.Itoa(n) + ". " },
	paragraphSep: "\n\n", lineSep: "\n", itemSep: "\n",
}

var markdownStyle = style{
	text:     escapeMarkdown,
	boldOpen: "**", boldClose: "**", italicOpen: "*", italicClose: "*",
	link:   func(text, url string) string { return "[" + text + "](" + url + ")" },
	bullet: "- ", number: func(n int) string { return strconv.Itoa(n) + ". " },
	paragraphSep: "\n\n", lineSep: "\n", itemSep: "\n",
	markupInLinks: true,
}

// plainLink writes a link as its text and address: "our map
// (https://…)", or the address alone when the text is the address.
func plainLink(text, url string) string {
	bare := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(url, "mailto:"), "https://"), "http://")
	if text == url || text == bare || text == "" {
		return url
	}
	return text + " (" + url + ")"
}

func (st *style) inline(ns []node) string {
	var b strings.Builder
	for _, n := range ns {
		switch n.kind {
		case textNode:
			b.WriteString(st.text(n.text))
		case boldNode:
			b.WriteString(st.boldOpen + st.inline(n.kids) + st.boldClose)
		case italicNode:
			b.WriteString(st.italicOpen + st.inline(n.kids) + st.italicClose)
		case linkNode:
			if !safeURL(n.url) {
				// javascript: and the like stay visible text, never a link.
				b.WriteString(st.text(plainText(n.kids) + " (" + n.url + ")"))
				continue
			}
			if st.markupInLinks {
				b.WriteString(st.link(st.inline(n.kids), n.url))
			} else {
				b.WriteString(st.link(plainText(n.kids), n.url))
			}
		}
	}
	return b.String()
}

// plainText is the text of nodes without any markup.
func plainText(ns []node) string { return plainStyle.inline(ns) }

func renderBlocks(blocks []block, st style) string {
	parts := make([]string, 0, len(blocks))
	for _, bl := range blocks {
		lines := make([]string, len(bl.lines))
		for i, l := range bl.lines {
			s := st.inline(parseInline(l))
			switch bl.kind {
			case bullets:
				s = st.bullet + s
			case numbers:
				s = st.number(bl.first+i) + s
			}
			lines[i] = s
		}
		sep := st.lineSep
		if bl.kind != paragraph {
			sep = st.itemSep
		}
		parts = append(parts, strings.Join(lines, sep))
	}
	return strings.Join(parts, st.paragraphSep)
}

// safeURL reports whether a link target may become an HTML link: http,
// https, mailto and tel only.
func safeURL(u string) bool {
	l := strings.ToLower(u)
	for _, p := range []string{"https://", "http://", "mailto:", "tel:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func htmlInline(ns []node) string {
	var b strings.Builder
	for _, n := range ns {
		switch n.kind {
		case textNode:
			b.WriteString(html.EscapeString(n.text))
		case boldNode:
			b.WriteString("<strong>" + htmlInline(n.kids) + "</strong>")
		case italicNode:
			b.WriteString("<em>" + htmlInline(n.kids) + "</em>")
		case linkNode:
			if safeURL(n.url) {
				b.WriteString(`<a href="` + html.EscapeString(n.url) + `">` + htmlInline(n.kids) + "</a>")
			} else {
				b.WriteString(htmlInline(n.kids) + " (" + html.EscapeString(n.url) + ")")
			}
		}
	}
	return b.String()
}

func renderHTML(blocks []block) string {
	var b strings.Builder
	for _, bl := range blocks {
		switch bl.kind {
		case paragraph:
			b.WriteString("<p>")
			for i, l := range bl.lines {
				if i > 0 {
					b.WriteString("<br>\n")
				}
				b.WriteString(htmlInline(parseInline(l)))
			}
			b.WriteString("</p>\n")
		case bullets, numbers:
			tag := "ul"
			open := "<ul>\n"
			if bl.kind == numbers {
				tag = "ol"
				open = "<ol>\n"
				if bl.first != 1 {
					open = `<ol start="` + strconv.Itoa(bl.first) + `">` + "\n"
				}
			}
			b.WriteString(open)
			for _, l := range bl.lines {
				b.WriteString("<li>" + htmlInline(parseInline(l)) + "</li>\n")
			}
			b.WriteString("</" + tag + ">\n")
		}
	}
	return b.String()
}
