package inbox

import (
	"context"
	"time"
)

// Page is one page of a timeline, oldest message first.
type Page struct {
	Messages []Message
	// Before is the cursor of the next older page, "" when this page reaches
	// the beginning of the timeline.
	Before string
}

// Hit is one full-text search result.
type Hit struct {
	MessageID  MessageID   `json:"message_id"`
	CustomerID CustomerID  `json:"customer_id"`
	Channel    ChannelKind `json:"channel"`
	SentAt     time.Time   `json:"sent_at"`
	Snippet    string      `json:"snippet"`
	Score      float64     `json:"score"`
}

// Store keeps customers, timelines and merges. Every method is one
// transaction: it either happens completely or not at all. Implementations
// are safe for concurrent use.
type Store interface {
	// Ingest writes a channel batch and its cursor in one transaction: new
	// messages are added (an external id seen before is a duplicate, not an
	// error), parties are linked to customers by exact identity, new
	// customers are created, exact links merge customers, and the rules of
	// Apply update every touched customer.
	Ingest(ctx context.Context, b Batch, now time.Time) (IngestResult, error)
	// Cursor returns the saved sync cursor of an account, nil when none.
	Cursor(account, key string) ([]byte, error)

	Customer(id CustomerID) (Customer, error)
	// Customers returns every customer, in no particular order.
	Customers() ([]Customer, error)
	// Owner returns the customer that owns the identity.
	Owner(id Identity) (CustomerID, bool, error)
	// Timeline returns up to limit messages older than the before cursor
	// ("" for the newest page).
	Timeline(id CustomerID, before string, limit int) (Page, error)
	Message(id MessageID) (Message, error)

	// Write adds msgs to the customer's timeline and then calls update (when
	// not nil) on the customer, in one transaction. New messages get their
	// IDs; the customer's counters follow Apply.
	Write(id CustomerID, update func(*Customer) error, msgs ...Message) (Customer, []Message, error)
	// UpdateMessage changes one message (its delivery state, say).
	UpdateMessage(id MessageID, update func(*Message) error) (Message, error)
	// Outbox returns outbound messages still queued or sending, oldest first.
	Outbox() ([]Message, error)

	// MarkRead marks every unread inbound message of the customer read
	// (Seen) and clears Unread, in one transaction, reading the timeline
	// from its newest end only as far as the unread messages go. For each
	// message flag approves (nil: none) it also queues the FlagSeen change
	// (QueueFlags), in the same transaction, and it returns how many.
	MarkRead(id CustomerID, flag func(*Message) bool, at time.Time) (Customer, int, error)
	// SetSeen sets Seen on every message of channel ch whose external id
	// begins with one of prefixes (empty ones are ignored), and the
	// customers' Unread follows, in one transaction for the whole batch. A
	// message with a FlagSeen change still queued keeps its value: Couture's
	// own change is on its way to the server. It returns the customers
	// whose messages changed.
	SetSeen(ch ChannelKind, prefixes []string, seen bool) ([]CustomerID, error)
	// ExternalMessage returns the message of channel ch with this external
	// id, or a NotFound error.
	ExternalMessage(ch ChannelKind, externalID string) (Message, error)
	// QueueFlags queues flag changes for the channels' servers; a change
	// replaces the one queued before for the same message and flag.
	QueueFlags(changes ...FlagChange) error
	// FlagQueue returns the queued flag changes, oldest message first.
	FlagQueue() ([]FlagChange, error)
	// DropFlags removes applied changes from the queue. A change queued
	// again since it was read (another Seq) stays.
	DropFlags(changes ...FlagChange) error

	// Merge moves FROM's identities and messages into INTO and records how to
	// undo it.
	Merge(into, from CustomerID, at time.Time, reason string) (Merge, error)
	// Unmerge restores both customers of a merge.
	Unmerge(id MergeID, at time.Time) (Merge, error)
	MergeRecord(id MergeID) (Merge, error)
	// Reassign moves the messages whose party matches from the Other view
	// to their customers (created when needed), or with toOther from
	// customers to Other, and returns the customers it changed.
	Reassign(match func(Identity) bool, toOther bool, now time.Time) ([]CustomerID, error)

	// Scan walks every timeline entry, customer by customer, oldest first.
	Scan(fn func(CustomerID, Entry) error) error
	// Search answers a full-text query, best hits first.
	Search(ctx context.Context, query string, limit int) ([]Hit, error)

	// Setting returns a small value saved under key (answer library,
	// business hours, drafts), nil when none.
	Setting(key string) ([]byte, error)
	// SetSetting saves a small value under key; nil deletes it.
	SetSetting(key string, value []byte) error
}
