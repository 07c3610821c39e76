package inbox

import "time"

// ChannelKind is the channel a message travelled on.
type ChannelKind string

// Channel kinds. Notes and events are internal and carry no channel.
const (
	ChannelNone     ChannelKind = ""
	ChannelEmail    ChannelKind = "email"
	ChannelSMS      ChannelKind = "sms"
	ChannelWhatsApp ChannelKind = "whatsapp"
	ChannelTelegram ChannelKind = "telegram"
	ChannelMatrix   ChannelKind = "matrix"
)

// Channels lists every external channel kind in display order.
var Channels = []ChannelKind{ChannelEmail, ChannelSMS, ChannelWhatsApp, ChannelTelegram, ChannelMatrix}

// IdentityKind returns the identity kind a channel addresses people by.
func (c ChannelKind) IdentityKind() IdentityKind {
	switch c {
	case ChannelEmail:
		return KindEmail
	case ChannelSMS, ChannelWhatsApp:
		return KindPhone
	case ChannelTelegram:
		return KindTelegram
	case ChannelMatrix:
		return KindMatrix
	}
	return ""
}

// ParseChannel validates a channel name given by a person.
func ParseChannel(s string) (ChannelKind, error) {
	for _, c := range Channels {
		if string(c) == s {
			return c, nil
		}
	}
	return "", Errorf(Invalid, "unknown channel %q (one of email, sms, whatsapp, telegram, matrix)", s)
}

// Direction says who wrote a message.
type Direction string

// Directions.
const (
	In    Direction = "in"    // from the customer
	Out   Direction = "out"   // from the business (a person or the bot)
	Note  Direction = "note"  // internal note, never sent
	Event Direction = "event" // something that happened: resolved, reopened, merged…
)

// State is the delivery state of an outbound message.
type State string

// Delivery states. Inbound messages, notes and events have StateNone.
const (
	StateNone      State = ""
	StateQueued    State = "queued"
	StateSending   State = "sending"
	StateSent      State = "sent"
	StateDelivered State = "delivered"
	StateFailed    State = "failed"
	// StateUncertain marks a message whose send may or may not have happened
	// (the process died between the call and the receipt). A person decides.
	StateUncertain State = "uncertain"
)

// MessageID identifies a message in the store. IDs grow with insertion order.
type MessageID uint64

// Attachment is a file carried by a message. Its bytes live in the blob store
// under Blob (a content hash); Inline marks images shown inside an HTML body.
type Attachment struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Size      int64  `json:"size"`
	Blob      string `json:"blob"`
	ContentID string `json:"content_id,omitempty"`
	Inline    bool   `json:"inline,omitempty"`
}

// Message is one entry of a customer's timeline.
type Message struct {
	ID         MessageID   `json:"id"`
	CustomerID CustomerID  `json:"customer_id"`
	Channel    ChannelKind `json:"channel"`
	Account    string      `json:"account"`
	Direction  Direction   `json:"direction"`
	From       string      `json:"from"`
	FromName   string      `json:"from_name,omitempty"`
	To         string      `json:"to"`
	// Party is the customer's identity on this message: the sender of an
	// inbound message, the recipient of an outbound one. Zero for notes and
	// events.
	Party Identity `json:"party,omitzero"`
	// ExternalID is the channel's own id (Message-ID, Twilio SID, Telegram
	// chat/message, Matrix event id). It de-duplicates ingestion.
	ExternalID string   `json:"external_id"`
	ThreadRefs []string `json:"thread_refs,omitempty"`
	Subject    string   `json:"subject"`
	Text       string   `json:"text"`
	// HTML is sanitized before it reaches the store: no scripts, no remote content.
	HTML        string       `json:"html,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	SentAt      time.Time    `json:"sent_at"`
	ReceivedAt  time.Time    `json:"received_at"`
	State       State        `json:"state"`
	// Event is the kind of an event entry (EventResolved…).
	Event string `json:"event,omitempty"`
	// Author names the person or "bot" behind an outbound message or a note.
	Author string `json:"author,omitempty"`
	// Warning says what went wrong while parsing; the raw message is kept.
	Warning string `json:"warning,omitempty"`
	// Raw is the blob of the message as received, when the channel has one
	// (the RFC 5322 source of an e-mail).
	Raw string `json:"raw,omitempty"`
	// Seen is true once the business has read an inbound message.
	Seen bool `json:"seen"`
	// Error is the last delivery error of a failed outbound message.
	Error string `json:"error,omitempty"`
}

// Incoming is a message as a channel hands it to the Desk. Message.Party
// names the customer: the sender of an inbound message, the recipient of an
// outbound one (the business's own copy in a Sent folder).
type Incoming struct {
	Message Message
	// Name is the party's display name, used for a new customer.
	Name string
	// Links are further identities the channel proved belong to the same
	// person (a Telegram contact card carrying a phone number). Exact
	// matches link automatically.
	Links []Identity
	// Other routes the message to the "Other" view: mailing lists, bulk and
	// auto-submitted mail, no-reply senders. It never creates a customer.
	Other bool
}

// Batch is what a channel commits at once: messages and its new sync cursor,
// written in ONE store transaction.
type Batch struct {
	Account  string
	Messages []Incoming
	// CursorKey names the cursor within the account ("INBOX", "updates").
	CursorKey string
	// Cursor is saved with the messages; nil leaves the saved cursor as is.
	Cursor []byte
}

// IngestResult counts what a batch changed.
type IngestResult struct {
	Added      int
	Duplicates int
	// Touched maps every customer that received a new message to whether
	// one of them was inbound.
	Touched      map[CustomerID]bool
	NewCustomers int
	AutoMerges   []MergeID
}
