package email

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/emersion/go-message/mail"
)

// ExternalID returns the key that de-duplicates a message in the store:
// "<message-id>#<12 hex digits>", or "sha256:<hex of raw>" when the message
// has no Message-ID.
//
// RFC 5322 section 3.6.4 says a Message-ID is unique, but broken senders
// (some mass mailers, scanners, web forms) reuse one for different messages;
// keyed on the Message-ID alone, the second message would be taken for a
// duplicate and silently dropped. The suffix is the start of the SHA-256 of
// the Date, From and Subject fields as written and the text body (line ends
// normalized, trailing white space removed), so a different message gets a
// different key while the same message fetched twice (from INBOX and All
// Mail, from IMAP and from an mbox export) gets the same one. text is the
// Message.Text that Parse extracted.
//
// MessageIDOf recovers the Message-ID, for In-Reply-To and References.
func ExternalID(h mail.Header, text string, raw []byte) string {
	id := ""
	if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		id = ids[0]
	}
	if id == "" {
		sum := sha256.Sum256(raw)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	d := sha256.New()
	for _, part := range []string{h.Get("Date"), h.Get("From"), h.Get("Subject"), normalizeText(text)} {
		d.Write([]byte(part))
		d.Write([]byte{0})
	}
	return id + "#" + hex.EncodeToString(d.Sum(nil))[:12]
}

// MessageIDOf returns the Message-ID (without angle brackets) inside an
// ExternalID, "" for a message that had none.
func MessageIDOf(externalID string) string {
	if strings.HasPrefix(externalID, "sha256:") {
		return ""
	}
	if i := strings.LastIndexByte(externalID, '#'); i >= 0 {
		return externalID[:i]
	}
	return externalID
}
