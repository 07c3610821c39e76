package inbox

import (
	"strings"
	"time"
	"unicode/utf8"
)

// previewRunes is how much of a message the customer list shows.
const previewRunes = 120

// Entry is the compact form of a timeline entry: enough to compute waiting
// times and statistics without reading message bodies.
type Entry struct {
	ID        MessageID
	SentAt    time.Time
	Direction Direction
	Channel   ChannelKind
	State     State
	// Kind of event ("resolved", "reopened", "merged"…) for Direction Event.
	Event string
}

// Event kinds recorded on the timeline.
const (
	EventResolved = "resolved"
	EventReopened = "reopened"
	EventSnoozed  = "snoozed"
	EventMerged   = "merged"
	EventPending  = "pending"
)

// Apply updates the customer's counters, status and waiting time for one new
// message m. Messages may arrive out of order (a backfill is newest first), so
// every rule compares times instead of assuming m is the newest.
//
// It returns true when an outbound message may have answered what was
// waiting; the caller then recomputes WaitingSince from the timeline with
// Waiting.
func Apply(c *Customer, m *Message) (recompute bool) {
	c.MessageCount++
	newest := !m.SentAt.Before(c.LastMessageAt)
	if newest {
		c.LastMessageAt = m.SentAt
	}
	switch m.Direction {
	case In:
		if !m.Seen {
			c.Unread++
		}
		if !m.SentAt.Before(c.LastInboundAt) {
			c.LastInboundAt = m.SentAt
			c.LastChannel = m.Channel
		}
		if m.SentAt.After(c.LastOutAt) && (c.WaitingSince.IsZero() || m.SentAt.Before(c.WaitingSince)) {
			c.WaitingSince = m.SentAt
		}
		// A customer writing again, on any channel, reopens the story.
		if c.Status != Open && m.SentAt.After(c.StatusAt) {
			c.Status = Open
			c.StatusAt = m.SentAt
			c.SnoozedUntil = time.Time{}
		}
		if newest {
			c.LastPreview = Preview(m)
		}
	case Out:
		if m.SentAt.After(c.LastOutAt) {
			c.LastOutAt = m.SentAt
			if !c.WaitingSince.IsZero() && !c.WaitingSince.After(m.SentAt) {
				recompute = true
			}
			// Answered: the story now waits on the customer.
			if c.Status == Open && m.SentAt.After(c.StatusAt) && m.SentAt.After(c.LastInboundAt) {
				c.Status = Pending
				c.StatusAt = m.SentAt
			}
		}
		if newest {
			c.LastPreview = Preview(m)
		}
	}
	return recompute
}

// Waiting returns the time of the oldest inbound message after the newest
// outbound one, given timeline entries newest first; zero when nothing waits.
// Callers may stop feeding entries at the first outbound message.
func Waiting(newestFirst []Entry) time.Time {
	var since time.Time
	for _, e := range newestFirst {
		if e.Direction == Out {
			break
		}
		if e.Direction == In {
			since = e.SentAt
		}
	}
	return since
}

// Preview returns the one-line summary of a message for lists.
func Preview(m *Message) string {
	s := m.Text
	if strings.TrimSpace(s) == "" {
		s = m.Subject
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > previewRunes {
		r := []rune(s)
		s = string(r[:previewRunes-1]) + "…"
	}
	return s
}

// NameFrom picks a display name for a new customer: the name the channel
// gave, else the address.
func NameFrom(name string, id Identity) string {
	name = strings.TrimSpace(name)
	if name != "" {
		return name
	}
	if id.Kind == KindEmail {
		if at := strings.IndexByte(id.Address, '@'); at > 0 {
			return id.Address[:at]
		}
	}
	return id.Address
}
