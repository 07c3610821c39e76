package email

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	_ "github.com/emersion/go-message/charset" // charsets for bodies and RFC 2047 words
	"github.com/emersion/go-message/mail"

	"github.com/couture/couture/inbox"

	"github.com/emersion/go-message"
)

// Size limits of what a parsed message keeps in the store's records. The raw
// message blob always holds everything.
const (
	// MaxText is how much text Message.Text keeps.
	MaxText = 256 << 10
	// maxHTML is how much HTML is read for sanitizing.
	maxHTML = 2 << 20
	// maxDepth bounds the nesting of multiparts that are walked; deeper
	// parts are kept as attachments.
	maxDepth = 32
)

// Parser turns raw RFC 5322 messages into inbox.Incoming values. The zero
// value parses without storing anything; a Parser is safe for concurrent use
// when Blobs and Own are.
type Parser struct {
	// Blobs receives the raw message and every attachment. When nil,
	// nothing is stored: blob keys stay empty and attachment sizes are
	// still counted.
	Blobs inbox.Blobs
	// Own reports whether a normalized (lower-cased) address belongs to
	// the business; a message from such an address is outbound. Nil means
	// no address is ours.
	Own func(addr string) bool
	// Account names the account the messages are read from.
	Account string
}

// Parse reads one message. Raw must hold the whole message; Parse does not
// keep it after returning.
//
// Parse never rejects a message for its content: malformed headers, unknown
// charsets, undecodable transfer encodings and broken or truncated MIME
// structures yield an Incoming holding what could be read, with the raw
// message stored, a best-effort Text and a Message.Warning saying what went
// wrong. A message without any usable sender address is returned too, with
// Other set (it cannot name a customer) and a warning.
//
// Parse returns an error only when p.Blobs fails to store the raw message or
// an attachment. The error has code inbox.Unavailable; the message itself
// was fine, so the caller keeps it at its source (the IMAP server, the mbox
// file) and tries again later, instead of recording a message whose raw
// source was lost.
func (p *Parser) Parse(raw []byte) (inbox.Incoming, error) {
	s := &parse{blobs: p.Blobs}
	rawKey, _, err := s.put(bytes.NewReader(raw), "the raw message")
	if err != nil {
		return inbox.Incoming{}, err
	}
	hdr, body, problems := readHeader(raw)
	s.warn(problems...)
	h := mail.Header{Header: message.Header{Header: hdr}}
	s.walk(h.Header, bytes.NewReader(body))
	if s.err != nil {
		return inbox.Incoming{}, s.err
	}
	in := p.incoming(s, h, body)
	in.Message.Raw = rawKey
	in.Message.ExternalID = ExternalID(h, in.Message.Text, raw)
	in.Message.Warning = s.warning()
	return in, nil
}

// incoming builds the Incoming from the header and the walked parts.
func (p *Parser) incoming(s *parse, h mail.Header, body []byte) inbox.Incoming {
	m := inbox.Message{
		Channel:     inbox.ChannelEmail,
		Account:     p.Account,
		ThreadRefs:  threadRefs(h),
		Attachments: s.atts,
	}
	var problem string
	m.Subject, problem = headerText(h.Header, "Subject")
	m.Subject = strings.Join(strings.Fields(m.Subject), " ")
	s.warn(problem)
	m.SentAt, problem = sentAt(h)
	s.warn(problem)
	m.Text, m.HTML = s.bodies(body)
	in := inbox.Incoming{}
	p.direct(s, h, &m, &in)
	in.Message = m
	return in
}

// direct sets the direction, the addresses and the party (RFC 5322 section
// 3.6.2 and 3.6.3). A message from one of our addresses is outbound and its
// party is the first To, else Cc, else Bcc recipient that is not ours; any
// other message is inbound from the first From address. Reply-To never
// names the party: it is where the sender wants answers, not who they are.
func (p *Parser) direct(s *parse, h mail.Header, m *inbox.Message, in *inbox.Incoming) {
	from := s.sender(h)
	rcpts, to := s.recipients(h)
	m.To = joinAddrs(to)
	m.Direction = inbox.In
	if len(from) == 0 {
		s.warn("no usable sender address")
		in.Other = true
		return
	}
	m.From, m.FromName = normalize(from[0].Addr), from[0].Name
	party := from[0]
	if p.own(m.From) {
		m.Direction = inbox.Out
		i := slices.IndexFunc(rcpts, func(a address) bool { return !p.own(normalize(a.Addr)) })
		if i < 0 {
			s.warn("sent message has no recipient outside the business")
			in.Other = true
			return
		}
		party = rcpts[i]
		in.Other, _ = isBulk(h)
	} else {
		in.Other, _ = IsAutomated(h)
	}
	m.Party = inbox.Identity{Kind: inbox.KindEmail, Address: normalize(party.Addr)}
	in.Name = party.Name
}

// own reports whether a normalized address is the business's.
func (p *Parser) own(addr string) bool { return p.Own != nil && p.Own(addr) }

// sender returns the From addresses, else the Sender (RFC 5322 section
// 3.6.2: the agent that sent a message written by someone else).
func (s *parse) sender(h mail.Header) []address {
	from, problem := addresses(h, "From")
	s.warn(problem)
	if len(from) == 0 {
		if from, _ = addresses(h, "Sender"); len(from) > 0 {
			s.warn("no From address; used Sender")
		}
	}
	return from
}

// recipients returns every recipient, To then Cc then Bcc, and the first of
// those fields that is not empty (Message.To).
func (s *parse) recipients(h mail.Header) (all, first []address) {
	for _, key := range []string{"To", "Cc", "Bcc"} {
		list, problem := addresses(h, key)
		s.warn(problem)
		if len(first) == 0 {
			first = list
		}
		all = append(all, list...)
	}
	return all, first
}

// normalize lower-cases an address as inbox.NormalizeEmail does, keeping
// addresses it refuses as they were written, lower-cased.
func normalize(addr string) string {
	if n, err := inbox.NormalizeEmail(addr); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSpace(addr))
}

// joinAddrs returns the normalized addresses, comma-separated.
func joinAddrs(list []address) string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, normalize(a.Addr))
	}
	return strings.Join(out, ", ")
}

// parse is the state of one Parse call.
type parse struct {
	blobs    inbox.Blobs
	problems []string
	more     int // problems beyond maxProblems
	texts    []string
	textLen  int
	html     []string
	htmlLen  int
	atts     []inbox.Attachment
	broken   bool  // part of the structure could not be read
	err      error // a blob could not be stored
}

// maxProblems is how many distinct problems a warning names.
const maxProblems = 20

// warn records problems, once each; empty strings are ignored. Problems
// quoting the message (a library error holding a broken line) are made
// valid UTF-8 and kept short.
func (s *parse) warn(problems ...string) {
	for _, p := range problems {
		p = clip(strings.ToValidUTF8(p, "\uFFFD"), 200)
		switch {
		case p == "" || slices.Contains(s.problems, p):
		case len(s.problems) < maxProblems:
			s.problems = append(s.problems, p)
		default:
			s.more++
		}
	}
}

// warning returns the recorded problems as one line.
func (s *parse) warning() string {
	w := strings.Join(s.problems, "; ")
	if s.more > 0 {
		w += fmt.Sprintf("; and %d more problems", s.more)
	}
	return w
}

// put stores r as a blob. Read errors of r (a damaged base64 body, a
// truncated part) end the blob where they happen and become warnings; only
// the blob store's own failures are returned.
func (s *parse) put(r io.Reader, what string) (key string, size int64, err error) {
	c := &catcher{r: r}
	if s.blobs == nil {
		size, _ = io.Copy(io.Discard, c)
	} else {
		key, size, err = s.blobs.Put(c)
		if err != nil {
			err = inbox.Wrap(inbox.Unavailable, err, "could not store "+what)
			s.err = err
			return "", 0, err
		}
	}
	if c.err != nil {
		s.broken = true
		s.warn(fmt.Sprintf("%s is damaged: %v", what, c.err))
	}
	return key, size, nil
}

// catcher turns a read error into the end of the stream and remembers it.
type catcher struct {
	r   io.Reader
	err error
}

// Read implements io.Reader.
func (c *catcher) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, io.EOF
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
		return n, io.EOF
	}
	return n, err
}

// bodies returns the text and the sanitized HTML. Text comes from the
// text/plain parts, else from the HTML; when nothing could be read from a
// broken structure, it is the raw body, so the agent still sees something.
func (s *parse) bodies(body []byte) (text, html string) {
	if len(s.html) > 0 {
		html = sanitizeHTML(strings.Join(s.html, "\n"))
	}
	text = normalizeText(strings.Join(s.texts, "\n\n"))
	if text == "" && html != "" {
		text = htmlToText(html)
	}
	if text == "" && html == "" && s.broken {
		text = normalizeText(decodeText(body, ""))
		if text != "" {
			s.warn("no readable part; the text is the raw body")
		}
	}
	if len(text) > MaxText {
		text = clip(text, MaxText)
		text = strings.TrimSuffix(text, "…")
		s.warn("text cut at 256 KiB; full body in the raw message")
	}
	return text, html
}

// normalizeText uses LF line ends and drops trailing white space.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, " \t\r\n")
}
