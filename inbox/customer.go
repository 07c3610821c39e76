package inbox

import "time"

// CustomerID identifies a customer. The zero ID is the "Other" pseudo-customer
// that holds mailing lists, bulk mail and no-reply senders.
type CustomerID uint64

// OtherID is the pseudo-customer for messages that are not customer service.
const OtherID CustomerID = 0

// Status is where a customer's story stands.
type Status string

// Statuses.
const (
	Open     Status = "open"     // the business owes an answer or an action
	Pending  Status = "pending"  // waiting on the customer
	Resolved Status = "resolved" // done
	Snoozed  Status = "snoozed"  // hidden until SnoozedUntil, then open again
)

// ParseStatus validates a status name given by a person.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case Open, Pending, Resolved, Snoozed:
		return Status(s), nil
	}
	return "", Errorf(Invalid, "unknown status %q (one of open, pending, snoozed, resolved)", s)
}

// Customer is one person, whatever channels they write on.
type Customer struct {
	ID         CustomerID `json:"id"`
	Name       string     `json:"name"`
	Identities []Identity `json:"identities"`
	Status     Status     `json:"status"`
	// StatusAt is when Status last changed; older inbound messages (a
	// backfill) do not reopen a customer resolved after them.
	StatusAt     time.Time `json:"status_at"`
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	// WaitingSince is the oldest inbound message not answered yet, zero when
	// nothing waits.
	WaitingSince  time.Time   `json:"waiting_since,omitzero"`
	LastMessageAt time.Time   `json:"last_message_at,omitzero"`
	LastInboundAt time.Time   `json:"last_inbound_at,omitzero"`
	LastOutAt     time.Time   `json:"last_out_at,omitzero"`
	LastChannel   ChannelKind `json:"last_channel,omitempty"` // channel of the last inbound message
	LastPreview   string      `json:"last_preview,omitempty"`
	MessageCount  int         `json:"message_count"`
	Unread        int         `json:"unread"`
	Labels        []string    `json:"labels,omitempty"`
	CreatedAt     time.Time   `json:"created_at"`
	Merges        []MergeID   `json:"merges,omitempty"`
}

// Has reports whether the customer owns the identity.
func (c *Customer) Has(id Identity) bool {
	for _, x := range c.Identities {
		if x == id {
			return true
		}
	}
	return false
}

// EffectiveStatus returns the status at now: a snooze that has run out is open.
func (c *Customer) EffectiveStatus(now time.Time) Status {
	if c.Status == Snoozed && !c.SnoozedUntil.After(now) {
		return Open
	}
	return c.Status
}

// MergeID identifies a merge in the audit trail.
type MergeID uint64

// Merge is one entry of the merge audit trail: everything needed to undo it.
type Merge struct {
	ID   MergeID    `json:"id"`
	Into CustomerID `json:"into"`
	From CustomerID `json:"from"`
	At   time.Time  `json:"at"`
	// Auto is true when an exact identity match merged the two.
	Auto   bool   `json:"auto"`
	Reason string `json:"reason,omitempty"`
	// Snapshots of both customers just before the merge.
	IntoBefore Customer `json:"into_before"`
	FromBefore Customer `json:"from_before"`
	// Moved are FROM's messages at the time of the merge.
	Moved []MessageID `json:"moved"`
	// EventID is the "merged" event added to INTO's timeline.
	EventID  MessageID `json:"event_id"`
	UndoneAt time.Time `json:"undone_at,omitzero"`
}
