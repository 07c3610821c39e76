package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/couture/couture/channels"
	"github.com/couture/couture/inbox"
)

// Send submits m over SMTP (RFC 5321, RFC 6409) and files a copy in the
// Sent folder, then returns the receipt: ExternalID is the key the Sent
// copy gets when Sync reads it back (see ExternalID), so the store never
// shows the answer twice.
//
// The message is multipart/alternative, plain text and HTML made from it
// (RFC 2046 section 5.1.4); with attachments, that alternative is the first
// part of a multipart/mixed (RFC 2046 section 5.1.3) followed by one base64
// part per file, its name in Content-Disposition encoded per RFC 2231 (see
// attachmentHeader). It goes From the account's address, To the party, with
// a Message-ID derived from the store id and time of m (so Delivered can
// find it after a crash), In-Reply-To and References from m.ThreadRefs
// (RFC 5322 section 3.6.4) and the Date of m.SentAt.
//
// Errors: inbox.Auth when the SMTP login is refused, inbox.Invalid when the
// server refuses the sender, a recipient or the message for good (5xx), or
// when the files exceed inbox.MaxEmailAttachments or cannot be read,
// *channels.Uncertain when the connection broke after the message was
// handed over and before the server confirmed it; anything else is
// temporary. A failure to file the Sent copy is logged, not returned: the
// message has left.
func (c *Channel) Send(ctx context.Context, m inbox.Message) (channels.Receipt, error) {
	raw, id, err := c.compose(m)
	if err != nil {
		return channels.Receipt{}, err
	}
	to, err := recipient(m)
	if err != nil {
		return channels.Receipt{}, err
	}
	if err := c.submit(ctx, to, raw); err != nil {
		return channels.Receipt{}, err
	}
	rc := channels.Receipt{ExternalID: c.externalID(raw), State: inbox.StateSent, SentAt: dateOf(m)}
	if err := c.fileSent(ctx, id, raw); err != nil {
		c.log.Warn("sent, but not copied to the Sent folder", "message", m.ID, "err", err)
	}
	return rc, nil
}

// Delivered reports whether m has already left: whether the Sent folder
// holds a message with its Message-ID. It implements channels.Idempotent;
// the Outbox asks it after a crash before sending again. The one case it
// cannot see is a crash between the SMTP submission and the Sent copy.
func (c *Channel) Delivered(ctx context.Context, m inbox.Message) (channels.Receipt, bool, error) {
	id := c.messageID(m)
	s, err := c.connect(ctx)
	if err != nil {
		return channels.Receipt{}, false, err
	}
	defer s.close()
	sent, err := s.sentFolder()
	if err != nil {
		return channels.Receipt{}, false, connError("IMAP", c.imap, err)
	}
	raw, err := s.findSent(sent, id, true)
	if err != nil || raw == nil {
		return channels.Receipt{}, false, err
	}
	return channels.Receipt{ExternalID: c.externalID(raw), State: inbox.StateSent, SentAt: dateOf(m)}, true, nil
}

// dateOf is the Date of an outbound message m.
func dateOf(m inbox.Message) time.Time {
	if m.SentAt.IsZero() {
		return time.Now().Truncate(time.Second)
	}
	return m.SentAt.Truncate(time.Second)
}

// externalID returns the store key of a message Couture wrote, the same
// that Sync computes when it reads the Sent copy.
func (c *Channel) externalID(raw []byte) string {
	in, err := (&Parser{Own: c.own}).Parse(raw)
	if err != nil {
		return ""
	}
	return in.Message.ExternalID
}

// messageID returns the Message-ID of an outbound message, without angle
// brackets: the one it already has, else one made from the account, the
// store id and the time of m, the same at every try.
func (c *Channel) messageID(m inbox.Message) string {
	if id := MessageIDOf(m.ExternalID); id != "" && !strings.ContainsAny(id, " <>\r\n") && strings.Contains(id, "@") {
		return id
	}
	sum := sha256.Sum256([]byte(c.name + "\x00" + strconv.FormatUint(uint64(m.ID), 10) + "\x00" + dateOf(m).Format(time.RFC3339)))
	local := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
	_, domain, _ := strings.Cut(c.address, "@")
	return "couture." + local + "@" + domain
}

// recipient returns the address m goes to.
func recipient(m inbox.Message) (string, error) {
	to := m.Party.Address
	if m.Party.Kind != inbox.KindEmail || to == "" {
		to, _, _ = strings.Cut(m.To, ",")
	}
	a, err := inbox.NormalizeEmail(strings.TrimSpace(to))
	if err != nil {
		return "", inbox.Errorf(inbox.Invalid, "the answer has no e-mail address to go to (%q)", to)
	}
	return a, nil
}

// refs returns the thread of m as Message-IDs: ThreadRefs holds
// Message-IDs and the external ids of earlier messages.
func refs(m inbox.Message) []string {
	var out []string
	for _, r := range m.ThreadRefs {
		id := strings.Trim(strings.TrimSpace(MessageIDOf(r)), "<>")
		if id != "" && !strings.ContainsAny(id, " <>\r\n") && !containsString(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compose writes m as an RFC 5322 message and returns it with its
// Message-ID.
func (c *Channel) compose(m inbox.Message) ([]byte, string, error) {
	to, err := recipient(m)
	if err != nil {
		return nil, "", err
	}
	if err := inbox.CheckAttachments(inbox.ChannelEmail, m.Attachments); err != nil {
		return nil, "", err
	}
	if len(m.Attachments) > 0 && c.blobs == nil {
		return nil, "", inbox.Errorf(inbox.Invalid, "account %s has no attachment store: the answer's files cannot be read", c.name)
	}
	id := c.messageID(m)
	var h mail.Header
	// The header writer emits fields last-added first: add them bottom-up.
	if r := refs(m); len(r) > 0 {
		h.SetMsgIDList("References", r)
		h.SetMsgIDList("In-Reply-To", r[len(r)-1:])
	}
	h.SetMessageID(id)
	h.SetSubject(oneLine(m.Subject))
	h.SetAddressList("To", []*mail.Address{{Address: to}})
	h.SetAddressList("From", []*mail.Address{{Address: c.address}})
	h.SetDate(dateOf(m))

	text := strings.ReplaceAll(strings.ToValidUTF8(m.Text, "\uFFFD"), "\r\n", "\n")
	var buf bytes.Buffer
	var alt *mail.InlineWriter
	var mixed *mail.Writer
	if len(m.Attachments) > 0 {
		if mixed, err = mail.CreateWriter(&buf, h); err == nil {
			alt, err = mixed.CreateInline()
		}
	} else {
		alt, err = mail.CreateInlineWriter(&buf, h)
	}
	if err != nil {
		return nil, "", fmt.Errorf("compose: %w", err)
	}
	for _, part := range []struct{ typ, body string }{{"text/plain", crlf(text)}, {"text/html", crlf(htmlOf(text))}} {
		var ph mail.InlineHeader
		ph.SetContentType(part.typ, map[string]string{"charset": "utf-8"})
		w, err := alt.CreatePart(ph)
		if err != nil {
			return nil, "", fmt.Errorf("compose: %w", err)
		}
		io.WriteString(w, part.body)
		w.Close()
	}
	if err := alt.Close(); err != nil {
		return nil, "", fmt.Errorf("compose: %w", err)
	}
	if mixed != nil {
		for _, a := range m.Attachments {
			if err := c.attach(mixed, a); err != nil {
				return nil, "", err
			}
		}
		if err := mixed.Close(); err != nil {
			return nil, "", fmt.Errorf("compose: %w", err)
		}
	}
	return buf.Bytes(), id, nil
}

// attach adds a stored attachment to a message being written. A file the
// blob store no longer has fails the message for good (inbox.Invalid).
func (c *Channel) attach(w *mail.Writer, a inbox.Attachment) error {
	r, err := c.blobs.Open(a.Blob)
	if err != nil {
		return inbox.Wrap(inbox.Invalid, fmt.Errorf("open attachment %s: %w", a.Blob, err),
			fmt.Sprintf("the attached file %s is no longer in the store: attach it again", a.Name))
	}
	defer r.Close()
	aw, err := w.CreateAttachment(attachmentHeader(a))
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if _, err := io.Copy(aw, r); err != nil {
		return fmt.Errorf("compose: attachment %s: %w", a.Name, err)
	}
	return aw.Close()
}

// attachmentHeader is the header of a file's part: its media type, base64,
// and its name in Content-Disposition as RFC 2231 parameters (RFC 2183
// section 2.3): filename="…" when the name is short ASCII, else
// filename*=utf-8”… percent-encoded, split into numbered continuations
// (filename*0*, filename*1*…) so no header line grows past the 78
// characters RFC 5322 recommends. Content-Type carries the name too, as an
// RFC 2047 word, for the clients that only read that.
func attachmentHeader(a inbox.Attachment) mail.AttachmentHeader {
	name := oneLine(a.Name)
	if name == "" {
		name = "attachment"
	}
	typ := a.Type
	if t, _, err := mime.ParseMediaType(typ); err != nil || !strings.Contains(t, "/") {
		typ = "application/octet-stream"
	} else {
		typ = t
	}
	var h mail.AttachmentHeader
	h.Set("Content-Transfer-Encoding", "base64")
	h.Set("Content-Disposition", contentDisposition("attachment", "filename", name))
	h.Set("Content-Type", mime.FormatMediaType(typ, map[string]string{"name": encodedWords(name)}))
	return h
}

// encodedWords encodes s as RFC 2047 "Q" words of at most about 40
// characters each, separated by spaces, so a header line holding them can
// be folded between words; plain ASCII is returned as is.
func encodedWords(s string) string {
	if mime.QEncoding.Encode("utf-8", s) == s {
		return s
	}
	var words []string
	var cur strings.Builder
	for _, r := range s {
		enc := qEncode(string(r))
		if cur.Len() > 0 && cur.Len()+len(enc) > 40-len("=?utf-8?q??=") {
			words = append(words, "=?utf-8?q?"+cur.String()+"?=")
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 {
		words = append(words, "=?utf-8?q?"+cur.String()+"?=")
	}
	return strings.Join(words, " ")
}

// qEncode is the "Q" encoding of RFC 2047 section 4.2, with only letters,
// digits and "-.!*+/" left as they are (section 5, rule 3).
func qEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-.!*+/", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// contentDisposition formats "attachment; filename=…" with the value
// encoded per RFC 2231: quoted when it is short printable ASCII, else
// charset'language'percent-encoded, in continuations of at most
// rfc2231Chunk characters, each on a line of its own once folded.
func contentDisposition(disp, param, value string) string {
	if plain := mime.FormatMediaType(disp, map[string]string{param: value}); plain != "" &&
		!strings.Contains(plain, "*=") && len(plain) <= 70 {
		return plain
	}
	var enc strings.Builder
	for _, b := range []byte(value) {
		if attributeChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	v := enc.String()
	var chunks []string
	for first := true; len(v) > 0; first = false {
		n := rfc2231Chunk
		if first {
			n -= len("utf-8''")
		}
		if n >= len(v) {
			n = len(v)
		} else if i := strings.LastIndexByte(v[max(0, n-2):n], '%'); i >= 0 {
			n = n - 2 + i // never split a %XX triplet
		}
		chunks = append(chunks, v[:n])
		v = v[n:]
	}
	if len(chunks) == 1 {
		return disp + "; " + param + "*=utf-8''" + chunks[0]
	}
	var b strings.Builder
	b.WriteString(disp)
	for i, ch := range chunks {
		if i == 0 {
			ch = "utf-8''" + ch
		}
		fmt.Fprintf(&b, "; %s*%d*=%s", param, i, ch)
	}
	return b.String()
}

// rfc2231Chunk is the longest continuation value contentDisposition writes.
const rfc2231Chunk = 60

// attributeChar reports whether b may stand unencoded in an RFC 2231
// extended value (RFC 2231 section 7: attribute-char, any CHAR except
// SPACE, CTLs, "*", "'", "%" and the tspecials of RFC 2045).
func attributeChar(b byte) bool {
	switch {
	case b <= ' ' || b >= 0x7f:
		return false
	case strings.IndexByte("*'%()<>@,;:\\\"/[]?=", b) >= 0:
		return false
	}
	return true
}

// crlf ends lines with CRLF (RFC 5322 section 2.1) and the text with one.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// htmlOf renders plain text as HTML: escaped, blank lines between
// paragraphs, line breaks kept, quoted lines ("> ") as a blockquote.
func htmlOf(text string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n")
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		p = strings.Trim(p, "\n")
		if p == "" {
			continue
		}
		lines := strings.Split(p, "\n")
		quoted := true
		for _, l := range lines {
			quoted = quoted && strings.HasPrefix(l, ">")
		}
		for i, l := range lines {
			if quoted {
				l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
			}
			lines[i] = html.EscapeString(l)
		}
		body := strings.Join(lines, "<br>\n")
		if quoted {
			fmt.Fprintf(&b, "<blockquote style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex\"><p>%s</p></blockquote>\n", body)
		} else {
			fmt.Fprintf(&b, "<p>%s</p>\n", body)
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// smtpClient connects to the SMTP server, secures the connection as
// configured and logs in when the server offers AUTH. Cancelling ctx
// closes the connection.
func (c *Channel) smtpClient(ctx context.Context) (*smtp.Client, func() bool, error) {
	conn, err := c.dial(ctx, c.smtp.addr)
	if err != nil {
		return nil, nil, connError("SMTP", c.smtp, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*smtp.Client, func() bool, error) {
		stop()
		conn.Close()
		return nil, nil, err
	}
	var cl *smtp.Client
	switch c.smtp.security {
	case SecurityTLS:
		tc := tls.Client(conn, c.tlsConfig(c.smtp.host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(connError("SMTP", c.smtp, err))
		}
		cl = smtp.NewClient(tc)
	case SecurityStartTLS:
		// The first EHLO, before TLS, says "localhost"; the one that
		// counts, after it, names the account's domain.
		cl, err = smtp.NewClientStartTLS(conn, c.tlsConfig(c.smtp.host))
		if err != nil {
			if strings.Contains(err.Error(), "support STARTTLS") {
				return fail(inbox.Wrap(inbox.Invalid, err, fmt.Sprintf("the SMTP server %s does not offer STARTTLS; use security tls (port 465)", c.smtp.addr)))
			}
			return fail(connError("SMTP", c.smtp, err))
		}
	default:
		cl = smtp.NewClient(conn)
	}
	cl.CommandTimeout = time.Minute
	cl.SubmissionTimeout = 5 * time.Minute
	if err := cl.Hello(c.heloName()); err != nil {
		return fail(connError("SMTP", c.smtp, err))
	}
	if ok, _ := cl.Extension("AUTH"); ok {
		var auth sasl.Client
		switch {
		case c.tokenCmd != "":
			tok, err := c.token(ctx)
			if err != nil {
				return fail(err)
			}
			auth = newXOAuth2(c.username, tok)
			if cl.SupportsAuth(sasl.OAuthBearer) {
				auth = oauthBearer{sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: c.username, Token: tok})}
			}
		case cl.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", c.username, c.password)
		default:
			auth = sasl.NewLoginClient(c.username, c.password)
		}
		if err := cl.Auth(auth); err != nil {
			var se *smtp.SMTPError
			if errors.As(err, &se) && se.Code >= 500 {
				return fail(inbox.Wrap(inbox.Auth, err, fmt.Sprintf(
					"the SMTP server %s refused the login of %s: check the user name and password (the server said %q)", c.smtp.addr, c.username, se.Message)))
			}
			return fail(smtpError(c.smtp, "log in", err))
		}
	}
	return cl, stop, nil
}

// heloName is the name Couture greets SMTP servers with: the domain of the
// account's address.
func (c *Channel) heloName() string {
	_, domain, _ := strings.Cut(c.address, "@")
	return domain
}

// submit hands raw to the SMTP server for to.
func (c *Channel) submit(ctx context.Context, to string, raw []byte) error {
	cl, stop, err := c.smtpClient(ctx)
	if err != nil {
		return err
	}
	defer stop()
	defer cl.Close()
	if err := cl.Mail(c.address, nil); err != nil {
		return smtpError(c.smtp, "accept the sender "+c.address, err)
	}
	if err := cl.Rcpt(to, nil); err != nil {
		return smtpError(c.smtp, "accept the recipient "+to, err)
	}
	w, err := cl.Data()
	if err != nil {
		return smtpError(c.smtp, "accept the message", err)
	}
	if _, err := w.Write(raw); err != nil {
		// The final dot was never sent: the server discards the message.
		return smtpError(c.smtp, "receive the message", err)
	}
	if err := w.Close(); err != nil {
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			// Everything was written and no verdict came back.
			return &channels.Uncertain{Err: fmt.Errorf("SMTP server %s: %w", c.smtp.addr, err)}
		}
		return smtpError(c.smtp, "accept the message", err)
	}
	cl.Quit()
	return nil
}

// smtpError classifies an SMTP failure: a 5xx answer is permanent
// (inbox.Invalid), a 4xx answer or a network error temporary.
func smtpError(e endpoint, what string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		msg := fmt.Sprintf("the SMTP server %s did not %s: %d %s", e.addr, what, se.Code, se.Message)
		if se.Code >= 500 {
			return inbox.Wrap(inbox.Invalid, err, msg)
		}
		return inbox.Wrap(inbox.Unavailable, err, msg)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return connError("SMTP", e, err)
	}
	return inbox.Wrap(inbox.Unavailable, err, fmt.Sprintf("the SMTP server %s did not %s", e.addr, what))
}

// fileSent puts raw into the Sent folder, \Seen, unless the setting says
// the server does it, or (auto) the server already did.
func (c *Channel) fileSent(ctx context.Context, id string, raw []byte) error {
	if c.sentCopy == "server" {
		return nil
	}
	s, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	sent, err := s.sentFolder()
	if err != nil {
		return err
	}
	if c.sentCopy == "auto" {
		found, err := s.findSent(sent, id, false)
		if err != nil {
			return err
		}
		if found != nil {
			return nil // the server filed it (Gmail does)
		}
	}
	cmd := s.cl.Append(sent, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: time.Now()})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return fmt.Errorf("append to %s: %w", sent, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("append to %s: %w", sent, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("append to %s: %w", sent, err)
	}
	return nil
}

// findSent looks for a message with the Message-ID id in folder. It
// returns nil when there is none, a non-nil slice when there is one: the
// whole message when body is set.
func (s *session) findSent(folder, id string, body bool) ([]byte, error) {
	if _, err := s.cl.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("examine %s: %w", folder, err)
	}
	res, err := s.cl.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", folder, err)
	}
	uids := res.AllUIDs()
	if len(uids) == 0 {
		return nil, nil
	}
	if !body {
		return []byte{}, nil
	}
	cmd := s.cl.Fetch(imap.UIDSetNum(uids[0]), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	var raw []byte
	err = s.each(cmd, func(r response) {
		if r.body != nil {
			raw = r.body
		}
	})
	if err != nil {
		return nil, fmt.Errorf("fetch from %s: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch from %s: %w", folder, err)
	}
	return raw, nil
}

// testSMTP logs in to the SMTP server and describes it.
func (c *Channel) testSMTP(ctx context.Context) (string, error) {
	cl, stop, err := c.smtpClient(ctx)
	if err != nil {
		return "", err
	}
	defer stop()
	defer cl.Close()
	auth := "no login asked"
	if ok, mechs := cl.Extension("AUTH"); ok {
		auth = "logged in as " + c.username + " (offers " + mechs + ")"
	}
	size := ""
	if n, ok := cl.MaxMessageSize(); ok && n > 0 {
		size = "; messages up to " + humanSize(int64(n))
	}
	cl.Quit()
	return auth + size, nil
}
