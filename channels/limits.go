package channels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/couture/couture/inbox"
)

// Channel limits. Sources: Telegram Bot API sendMessage ("1-4096 characters
// after entities parsing"), Twilio's Messages resource (Body up to 1,600
// characters, SMS and WhatsApp alike; error 21617), WhatsApp Business
// customer-service window (24 hours after the customer's last message),
// Matrix specification (events larger than 65,536 bytes are refused).
const (
	TelegramMax    = 4096
	SMSMax         = 1600
	WhatsAppMax    = 1600
	WhatsAppWindow = 24 * time.Hour
	MatrixMaxEvent = 65536
	// MatrixEnvelope estimates what a homeserver adds around the content
	// of an event (room and event ids, sender, timestamps, hashes,
	// signatures, auth and prev events) in the size that counts.
	MatrixEnvelope = 1024
	// EmailWarnSize is where an e-mail draws a warning: many servers refuse
	// messages over 10 MB (and encoding adds a third).
	EmailWarnSize = 10 << 20
)

// SMS encodings, as inbox.CountSMS names them.
const (
	GSM7 = inbox.GSM7
	UCS2 = inbox.UCS2
)

// Limit is how an answer measures against its channel's limits.
type Limit struct {
	Channel inbox.ChannelKind `json:"channel"`
	// Chars is the length in the unit the channel counts: UTF-16 code
	// units for Telegram, SMS and WhatsApp (an emoji counts 2), the
	// estimated event size in bytes for Matrix, UTF-8 bytes for e-mail.
	Chars int `json:"chars"`
	// Max is the channel's limit in the same unit, 0 when none.
	Max int `json:"max"`
	// Segments is the number of SMS a carrier sends and bills (SMS only).
	Segments int `json:"segments,omitempty"`
	// Encoding is GSM-7 or UCS-2 (SMS only).
	Encoding string `json:"encoding,omitempty"`
	// Warning is worth showing but does not stop the answer.
	Warning string `json:"warning,omitempty"`
}

// Check measures text against channel ch's limits before it is queued, for
// the reply box and `couture send`. lastInbound is when the customer last
// wrote on ch (WhatsApp's 24-hour window; zero when never) and now the
// current time. The error, when the answer cannot go as it is, is an inbox
// error (Invalid: too long; Conflict: outside WhatsApp's window) whose
// message says what to do.
func Check(ch inbox.ChannelKind, text string, lastInbound, now time.Time) (Limit, error) {
	l := Limit{Channel: ch}
	switch ch {
	case inbox.ChannelTelegram:
		l.Chars, l.Max = utf16Len(text), TelegramMax
		if l.Chars > l.Max {
			return l, inbox.Errorf(inbox.Invalid, "the answer is %d characters; Telegram allows %d in one message: shorten it or send it in parts", l.Chars, l.Max)
		}
	case inbox.ChannelSMS:
		l.Chars, l.Max = utf16Len(text), SMSMax
		l.Segments, l.Encoding, l.Warning = SMSSegments(text)
		if l.Chars > l.Max {
			return l, inbox.Errorf(inbox.Invalid, "the answer is %d characters; an SMS can be at most %d (it would be %d segments): shorten it", l.Chars, l.Max, l.Segments)
		}
	case inbox.ChannelWhatsApp:
		l.Chars, l.Max = utf16Len(text), WhatsAppMax
		if lastInbound.IsZero() {
			return l, inbox.Errorf(inbox.Conflict, "this customer has never written on WhatsApp: WhatsApp only allows an approved template to start a conversation; send the template or answer on another channel")
		}
		if left := lastInbound.Add(WhatsAppWindow).Sub(now); left <= 0 {
			return l, inbox.Errorf(inbox.Conflict, "the customer last wrote on WhatsApp %s ago, outside WhatsApp's 24-hour customer-service window: only an approved template can be sent now; send the template or answer on another channel", roughly(now.Sub(lastInbound)))
		} else if left < time.Hour {
			l.Warning = fmt.Sprintf("WhatsApp's 24-hour window closes in %s; after that only an approved template can be sent", roughly(left))
		}
		if l.Chars > l.Max {
			return l, inbox.Errorf(inbox.Invalid, "the answer is %d characters; a WhatsApp message through Twilio can be at most %d: shorten it", l.Chars, l.Max)
		}
	case inbox.ChannelMatrix:
		l.Chars, l.Max = MatrixEventSize(text), MatrixMaxEvent
		if l.Chars > l.Max {
			return l, inbox.Errorf(inbox.Invalid, "the answer makes a Matrix event of about %d bytes; homeservers refuse events over %d: shorten it", l.Chars, l.Max)
		}
	case inbox.ChannelEmail:
		l.Chars = len(text)
		if l.Chars > EmailWarnSize {
			l.Warning = fmt.Sprintf("this e-mail is %.1f MB; many mail servers refuse messages over 10 MB", float64(l.Chars)/(1<<20))
		}
	default:
		return l, inbox.Errorf(inbox.Invalid, "unknown channel %q (one of email, sms, whatsapp, telegram, matrix)", ch)
	}
	return l, nil
}

// LastInbound returns when the customer last wrote on ch (from party, when
// party is not zero), by the message's own time; zero when they never did.
// It reads the newest few thousand timeline entries at most.
func LastInbound(d *inbox.Desk, id inbox.CustomerID, ch inbox.ChannelKind, party inbox.Identity) (time.Time, error) {
	before := ""
	for range 20 {
		p, err := d.Timeline(id, before, 100)
		if err != nil {
			return time.Time{}, err
		}
		for i := len(p.Messages) - 1; i >= 0; i-- {
			m := p.Messages[i]
			if m.Direction == inbox.In && m.Channel == ch && (party == (inbox.Identity{}) || m.Party == party) {
				return m.SentAt, nil
			}
		}
		if p.Before == "" {
			break
		}
		before = p.Before
	}
	return time.Time{}, nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// SMSSegments returns how many SMS segments text takes and in which
// encoding, by the domain's rule (inbox.CountSMS: GSM-7 with extension
// characters counting two septets, else UCS-2; an escape sequence or a
// surrogate pair never split across segments), and a warning naming the
// characters that forced UCS-2.
func SMSSegments(text string) (segments int, encoding, warning string) {
	c := inbox.CountSMS(text)
	if c.Encoding == UCS2 {
		var odd []string
		for _, r := range text {
			if len(odd) < 3 && !inbox.GSM7Only(string(r)) && !containsRune(odd, r) {
				odd = append(odd, string(r))
			}
		}
		verb := "are"
		if len(odd) == 1 {
			verb = "is"
		}
		warning = fmt.Sprintf("%s %s not in the GSM alphabet: this SMS goes as Unicode, 70 characters a segment instead of 160", quoteAll(odd), verb)
	}
	return c.Segments, c.Encoding, warning
}

func containsRune(list []string, r rune) bool {
	for _, s := range list {
		if s == string(r) {
			return true
		}
	}
	return false
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		switch {
		case s == "\t":
			q[i] = "the tab"
		case !utf8.ValidString(s) || s == "\uFFFD":
			q[i] = "an invalid character"
		default:
			q[i] = "“" + s + "”"
		}
	}
	return strings.Join(q, ", ")
}

// MatrixEventSize estimates the size of the m.room.message event an answer
// becomes: the content carries the text twice (body, and formatted_body
// rendered from Markdown, about as long), JSON-escaped, plus MatrixEnvelope
// for what the homeserver adds. It errs on the large side.
func MatrixEventSize(text string) int {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]string{
		"msgtype":        "m.text",
		"body":           text,
		"format":         "org.matrix.custom.html",
		"formatted_body": text,
	})
	return b.Len() - 1 + MatrixEnvelope // without the encoder's newline
}

// roughly renders a duration for a person: "3 days", "5 h", "40 min".
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	case d >= time.Minute:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return "less than a minute"
}
