// Package channels connects Couture to the outside world: the Channel
// interface each wire protocol implements (channels/email, telegram,
// twilio, matrix), the Engine that runs one goroutine per account with
// backoff and a status, and the Outbox worker that sends queued answers
// exactly once.
//
// channels imports inbox, never storage: it reaches the store through the
// Desk and the small interfaces declared here.
package channels

import (
	"context"
	"time"

	"github.com/couture/couture/inbox"
)

// Channel is one account on one wire protocol.
type Channel interface {
	// Sync pulls new messages and hands them to sink in batches, each with
	// its cursor. It blocks until ctx ends (long polling, IMAP IDLE, Matrix
	// /sync) or a fatal error; a temporary error returned here makes the
	// Engine retry with backoff. Sync with once=true returns as soon as it
	// has caught up.
	Sync(ctx context.Context, sink Sink, once bool) error
	// Send delivers one outbound message and returns the channel's receipt.
	// Implementations say in their doc whether a resend after an uncertain
	// outcome is safe (Idempotent).
	//
	// The Outbox calls Send from its own goroutine, possibly while Sync
	// runs. Errors tell it what to do: an error with an inbox code other
	// than Unavailable (Invalid, Auth, NotFound, Conflict) fails the
	// message for good; *Uncertain says the request may have reached the
	// server; anything else (network errors, inbox.Unavailable,
	// *RetryAfter) is retried with backoff.
	Send(ctx context.Context, m inbox.Message) (Receipt, error)
}

// A Channel that holds connections may also implement io.Closer: the
// Engine closes it when it stops or rebuilds the account's channel.

// Idempotent is implemented by channels whose Send can be repeated safely
// after a crash (Matrix transaction ids) or that can check whether a message
// already left (SMTP: look for its Message-ID in Sent).
type Idempotent interface {
	// Delivered reports whether m has already been sent, with its receipt.
	Delivered(ctx context.Context, m inbox.Message) (Receipt, bool, error)
}

// Tester is implemented by channels that can check their credentials and
// servers without syncing; `couture account test` and the settings dialog
// call it. Each line of the report says what works or what does not.
type Tester interface {
	Test(ctx context.Context) ([]string, error)
}

// Receipt is what a channel says about a sent message.
type Receipt struct {
	ExternalID string
	State      inbox.State // sent or delivered
	SentAt     time.Time
}

// Sink receives what a channel syncs. Commit writes the messages and the
// cursor in ONE transaction; the channel must not consider the cursor saved
// before Commit returns nil.
type Sink interface {
	Commit(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error)
	// Cursor returns the saved cursor under key, nil when none.
	Cursor(key string) ([]byte, error)
	// Progress reports where a long sync stands, for the status bar.
	// Done < Total shows the account as syncing; Done >= Total (with
	// Total > 0) says the channel has caught up and shows it idle. A
	// successful Commit outside a reported Done < Total also shows idle.
	Progress(p Progress)
}

// Progress is a sync's position: Done of Total messages in Folder.
type Progress struct {
	Account string
	Folder  string
	Done    int
	Total   int
}

// Error kinds a channel returns so the Engine knows what to do.
type (
	// RetryAfter asks the Engine to wait at least Wait before the next try
	// (HTTP 429 Retry-After, Twilio error 20429).
	RetryAfter struct {
		Wait time.Duration
		Err  error
	}
)

func (e *RetryAfter) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryAfter) Unwrap() error { return e.Err }

// Uncertain wraps a Send error after which the message may or may not have
// left: the request was written but no answer came (a timeout, a dropped
// connection). The Outbox never resends such a message blindly: it asks
// Idempotent.Delivered when the channel has it, and otherwise marks the
// message inbox.StateUncertain for a person to decide.
type Uncertain struct {
	Err error
}

func (e *Uncertain) Error() string { return "outcome unknown: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Uncertain) Unwrap() error { return e.Err }
