package inbox

import (
	"context"
	"time"
)

// Flag is a mark a channel's server keeps on its copy of a message, which
// other clients of the same account show: read, answered (IMAP \Seen and
// \Answered, RFC 9051 section 2.3.2).
type Flag string

// Flags Couture keeps in step with the servers.
const (
	FlagSeen     Flag = "seen"     // the business has read the message
	FlagAnswered Flag = "answered" // the business answered it
)

// KeepsFlags reports whether the servers of a channel keep read and
// answered flags that other clients show: e-mail (IMAP) does. Couture
// queues its own changes for such channels (Desk.MarkRead, Desk.Answered)
// and learns theirs from the sync (Desk.SetSeen).
func (c ChannelKind) KeepsFlags() bool { return c == ChannelEmail }

// FlagChange is a flag Couture set or cleared on a message, queued in the
// store until the message's channel has put it on the server's copy: the
// outbox worker applies the queue with the same retries as answers, so a
// change made offline reaches the server when the network is back.
type FlagChange struct {
	Message MessageID `json:"message"`
	Flag    Flag      `json:"flag"`
	// On sets the flag; false clears it.
	On bool `json:"on"`
	// Channel, Account and ExternalID copy the message's, so the worker
	// needs not read the message.
	Channel    ChannelKind `json:"channel"`
	Account    string      `json:"account,omitempty"`
	ExternalID string      `json:"external_id"`
	QueuedAt   time.Time   `json:"queued_at"`
	// Seq is set by the store when the change is queued. A change queued
	// again for the same message and flag gets a new Seq, so applying the
	// older one does not drop the newer (Store.DropFlags).
	Seq uint64 `json:"seq"`
}

// FlagChangeOf returns the change that sets (on) or clears flag f on m.
func FlagChangeOf(m *Message, f Flag, on bool, at time.Time) FlagChange {
	return FlagChange{Message: m.ID, Flag: f, On: on, Channel: m.Channel, Account: m.Account, ExternalID: m.ExternalID, QueuedAt: at}
}

// flagged reports whether reading m in Couture must reach its server: an
// inbound message on a channel that keeps flags, with an id the server
// knows it by.
func flagged(m *Message) bool {
	return m.Direction == In && m.Channel.KeepsFlags() && m.ExternalID != ""
}

// SetSeen records what a channel's server says was read (seen) or marked
// unread by another client of the account: every message of channel ch
// whose external id begins with one of prefixes, in one transaction (see
// Store.SetSeen). Subscribers hear of every customer whose unread count
// changed. The engine's sink calls it after a sync read the flags.
func (d *Desk) SetSeen(ctx context.Context, ch ChannelKind, prefixes []string, seen bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(prefixes) == 0 {
		return nil
	}
	changed, err := d.store.SetSeen(ch, prefixes, seen)
	if err != nil {
		return err
	}
	for _, id := range changed {
		d.events.Publish(Change{Kind: CustomerChanged, Customer: id})
	}
	return nil
}

// Answered queues the answered flag (FlagAnswered) on the inbound message
// an answer replied to, once the answer has left: the outbox calls it with
// the sent answer. The message replied to is the last of the answer's
// ThreadRefs (Desk.Reply puts the external id of the message answered
// there); nothing is queued when that is not an inbound message of a
// channel that keeps flags, or when the store does not have it.
func (d *Desk) Answered(out Message) error {
	if out.Direction != Out || !Answers(out.Direction, out.Event) || !out.Channel.KeepsFlags() || len(out.ThreadRefs) == 0 {
		return nil
	}
	m, err := d.store.ExternalMessage(out.Channel, out.ThreadRefs[len(out.ThreadRefs)-1])
	if ErrorCode(err) == NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if !flagged(&m) {
		return nil
	}
	if err := d.store.QueueFlags(FlagChangeOf(&m, FlagAnswered, true, d.clock())); err != nil {
		return err
	}
	d.events.Publish(Change{Kind: FlagsQueued, Customer: m.CustomerID, Message: m.ID})
	return nil
}
