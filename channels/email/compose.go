package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/couture/couture/inbox"
)

// Compose builds a minimal RFC 5322 message for a timeline entry that has
// no raw source (an SMS, a chat message, a note, an event), so that an mbox
// export holds the whole timeline. business is the business's address,
// with or without a display name ("Atelier <hello@atelier.example>").
//
// The message has Date (SentAt, else ReceivedAt), From and To (the party
// and the business, by direction; non-e-mail identities become addresses
// under the reserved .invalid domain, RFC 2606, such as
// "+33612345678"@sms.invalid), Subject (the entry's, else made from the
// channel and the first words of the text), a Message-ID stable across
// exports, References for e-mail threads, X-Couture-Channel (the channel,
// or "note"/"event"), X-Couture-Direction and X-Couture-External-ID, and a
// text/plain UTF-8 quoted-printable body (RFC 2045 section 6.7) listing
// attachments by name at its end. Lines end in CRLF (RFC 5322 section 2.1).
func Compose(m inbox.Message, business string) []byte {
	own := businessAddress(business)
	party := partyAddress(m)
	from, to := party, own
	switch m.Direction {
	case inbox.Out:
		from, to = own, party
	case inbox.Note, inbox.Event:
		from, to = own, own
		if a := oneLine(m.Author); a != "" {
			from = &mail.Address{Name: a, Address: own.Address}
		}
	}
	var h mail.Header
	// textproto writes fields last-added first: add them bottom-up.
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if m.ExternalID != "" {
		h.Set("X-Couture-External-Id", oneLine(m.ExternalID))
	}
	h.Set("X-Couture-Direction", string(m.Direction))
	h.Set("X-Couture-Channel", channelName(m))
	if refs := threadIDs(m); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
		h.SetMsgIDList("In-Reply-To", refs[len(refs)-1:])
	}
	h.SetMessageID(composeID(m))
	h.SetSubject(composeSubject(m))
	h.SetAddressList("To", []*mail.Address{to})
	h.SetAddressList("From", []*mail.Address{from})
	h.SetDate(composeDate(m))
	return writeMessage(h, composeBody(m))
}

// writeMessage writes header and body; the header only holds values this
// file produced, so writing cannot fail.
func writeMessage(h mail.Header, body string) []byte {
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		panic(fmt.Sprintf("email: compose: %v", err))
	}
	w.Write([]byte(body))
	w.Close()
	return buf.Bytes()
}

// businessAddress parses the business's address, with a stand-in under
// .invalid when it is not an address.
func businessAddress(business string) *mail.Address {
	if a, err := mail.ParseAddress(business); err == nil {
		return a
	}
	return &mail.Address{Name: oneLine(business), Address: "business@couture.invalid"}
}

// partyAddress returns the customer's address on the message.
func partyAddress(m inbox.Message) *mail.Address {
	id := m.Party
	name := ""
	if m.Direction == inbox.In {
		name = oneLine(m.FromName)
	}
	if id.Address == "" {
		switch {
		case m.Direction == inbox.Out && m.To != "":
			id = inbox.Identity{Kind: m.Channel.IdentityKind(), Address: m.To}
		case m.From != "":
			id = inbox.Identity{Kind: m.Channel.IdentityKind(), Address: m.From}
		default:
			return &mail.Address{Name: name, Address: "unknown@couture.invalid"}
		}
	}
	if id.Kind == inbox.KindEmail {
		if a, err := mail.ParseAddress(id.Address); err == nil {
			return &mail.Address{Name: name, Address: a.Address}
		}
	}
	domain := string(m.Channel)
	if domain == "" || m.Channel == inbox.ChannelEmail {
		domain = string(id.Kind)
	}
	if domain == "" {
		domain = "unknown"
	}
	return &mail.Address{Name: name, Address: oneLine(id.Address) + "@" + domain + ".invalid"}
}

// channelName is the X-Couture-Channel value.
func channelName(m inbox.Message) string {
	if m.Channel != inbox.ChannelNone {
		return string(m.Channel)
	}
	if m.Direction != "" {
		return string(m.Direction)
	}
	return "none"
}

// threadIDs returns the e-mail thread of the message, its parents first.
// Refs may be external ids (Desk.Reply appends the parent's), so their
// Message-ID is taken.
func threadIDs(m inbox.Message) []string {
	if m.Channel != inbox.ChannelEmail {
		return nil
	}
	var out []string
	for _, r := range m.ThreadRefs {
		if id := strings.Trim(MessageIDOf(oneLine(r)), "<>"); id != "" && !strings.ContainsAny(id, " <>") {
			out = append(out, id)
		}
	}
	return out
}

// composeID keeps an e-mail's own Message-ID; other entries get one derived
// from their channel and external id (or store id), the same at every export.
func composeID(m inbox.Message) string {
	if m.Channel == inbox.ChannelEmail {
		if id := MessageIDOf(m.ExternalID); id != "" && !strings.ContainsAny(id, " <>\r\n") {
			return id
		}
	}
	key := m.ExternalID
	if key == "" {
		key = fmt.Sprintf("id:%d", m.ID)
	}
	sum := sha256.Sum256([]byte(channelName(m) + "\x00" + key))
	return "couture." + hex.EncodeToString(sum[:12]) + "@couture.invalid"
}

// composeSubject returns the entry's subject, else a label and the start of
// the text.
func composeSubject(m inbox.Message) string {
	if s := oneLine(m.Subject); s != "" {
		return s
	}
	label := map[inbox.ChannelKind]string{
		inbox.ChannelSMS: "SMS", inbox.ChannelWhatsApp: "WhatsApp",
		inbox.ChannelTelegram: "Telegram", inbox.ChannelMatrix: "Matrix", inbox.ChannelEmail: "E-mail",
	}[m.Channel]
	switch {
	case m.Direction == inbox.Note:
		label = "Note"
	case m.Direction == inbox.Event:
		label = "Event"
	case label == "":
		label = "Message"
	}
	preview := oneLine(m.Text)
	if preview == "" {
		preview = m.Event
	}
	if utf8.RuneCountInString(preview) > 60 {
		preview = string([]rune(preview)[:59]) + "…"
	}
	if preview == "" {
		return label
	}
	return label + ": " + preview
}

// composeDate returns when the entry happened.
func composeDate(m inbox.Message) time.Time {
	switch {
	case !m.SentAt.IsZero():
		return m.SentAt
	case !m.ReceivedAt.IsZero():
		return m.ReceivedAt
	}
	return time.Unix(0, 0).UTC()
}

// composeBody is the text with LF line ends, then the attachments by name.
func composeBody(m inbox.Message) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(strings.ToValidUTF8(m.Text, "\uFFFD"), "\r\n", "\n"))
	if len(m.Attachments) > 0 {
		b.WriteString("\n")
	}
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "\n[attachment: %s, %s, %d bytes]", oneLine(a.Name), oneLine(a.Type), a.Size)
	}
	b.WriteString("\n")
	return b.String()
}

// oneLine collapses white space (line breaks included) to single spaces and
// makes s valid UTF-8, so it is safe in a header field.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}
