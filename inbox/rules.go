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
		// A survey score is recorded; it asks nothing and reopens nothing.
		if m.Event == EventSurveyAnswer {
			if newest {
				c.LastPreview = Preview(m)
			}
			break
		}
		// A message written before the last answer, or before a person
		// said nothing waits (resolved, pending), waits for nothing: a
		// backfill or a channel synced late.
		ended := c.LastOutAt
		if (c.Status == Resolved || c.Status == Pending) && c.StatusAt.After(ended) {
			ended = c.StatusAt
		}
		if m.SentAt.After(ended) && (c.WaitingSince.IsZero() || m.SentAt.Before(c.WaitingSince)) {
			c.WaitingSince = m.SentAt
		}
		// A customer writing again, on any channel, reopens the story;
		// a message the business already answered does not.
		if c.Status != Open && m.SentAt.After(c.StatusAt) && m.SentAt.After(c.LastOutAt) {
			c.Status = Open
			c.StatusAt = m.SentAt
			c.SnoozedUntil = time.Time{}
		}
		if newest {
			c.LastPreview = Preview(m)
		}
	case Out:
		// An acknowledgement or a survey answers nothing: the customer
		// still waits, the story keeps its status.
		if !Answers(m.Direction, m.Event) {
			if newest {
				c.LastPreview = Preview(m)
			}
			break
		}
		if m.SentAt.After(c.LastOutAt) {
			c.LastOutAt = m.SentAt
			if !c.WaitingSince.IsZero() && !c.WaitingSince.After(m.SentAt) {
				recompute = true
			}
			// Answered: the story now waits on the customer. An answer
			// at the same instant as the question (an automatic one)
			// comes after it.
			if c.Status == Open && !m.SentAt.Before(c.StatusAt) && !m.SentAt.Before(c.LastInboundAt) {
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
// answer, given timeline entries newest first; zero when nothing waits.
// A "resolved" or "pending" event ends a wait as an answer does.
// Acknowledgements and surveys are not answers, and survey scores ask
// nothing (see Answers). Callers may stop feeding entries at the first
// entry that EndsWait.
func Waiting(newestFirst []Entry) time.Time {
	var since time.Time
	for _, e := range newestFirst {
		if EndsWait(e) {
			break
		}
		if e.Direction == In && e.Event != EventSurveyAnswer {
			since = e.SentAt
		}
	}
	return since
}

// EndsWait reports whether a timeline entry ends the customer's wait: an
// answer (see Answers), or a person saying nothing waits any more (a
// "resolved" or "pending" event). A store recomputing WaitingSince walks
// the timeline newest first and may stop at the first such entry.
func EndsWait(e Entry) bool {
	return Answers(e.Direction, e.Event) || e.Direction == Event && (e.Event == EventResolved || e.Event == EventPending)
}

// Answers reports whether a timeline entry with this direction and event
// kind answers the customer: every outbound message except the automatic
// acknowledgement (EventAck) and the survey question (EventSurvey). A bot
// answer (EventBotAnswer) is an answer.
func Answers(d Direction, event string) bool {
	return d == Out && event != EventAck && event != EventSurvey
}

// Preview returns the one-line summary of a message for lists.
func Preview(m *Message) string {
	s := m.Text
	if strings.TrimSpace(s) == "" {
		s = m.Subject
	}
	// Only the words that can show are joined: a long body costs no more
	// than a short one.
	var b strings.Builder
	n := 0
	for w := range strings.FieldsSeq(s) {
		if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		if n += utf8.RuneCountInString(w); n > previewRunes {
			break
		}
	}
	s = b.String()
	if n > previewRunes {
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
