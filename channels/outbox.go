package channels

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/couture/couture/inbox"
)

// UncertainReason is the Error of a message the Outbox marks uncertain.
const UncertainReason = "may or may not have been sent; check with the customer before resending"

// ChannelSource gives the Outbox the accounts and their channels; the Engine
// is one, so sync and send share each account's Channel.
type ChannelSource interface {
	Accounts() ([]Account, error)
	Channel(account string) (Channel, Account, error)
}

// OutboxOptions configure an Outbox. Channels is required; nil Clock, Rand
// and Logger mean the real ones.
type OutboxOptions struct {
	Channels ChannelSource
	Clock    Clock
	Rand     func() float64
	Logger   *slog.Logger
	// Poll is how often Run looks at the outbox when nothing wakes it
	// (default one minute).
	Poll time.Duration
}

// Outbox sends the answers the Desk queued (Desk.Reply) and records what
// happened, so that no answer is ever sent twice without a person deciding:
//
//   - before the call a message is marked sending, after it the receipt
//     (external id, sent or delivered) is recorded in one UpdateMessage;
//   - a message found in sending (the process died between the call and the
//     record) is checked with Idempotent.Delivered when the channel has it,
//     else marked uncertain with UncertainReason;
//   - a temporary failure keeps the message queued and retries it with
//     backoff (honouring *RetryAfter); a permanent one (an inbox code other
//     than Unavailable) marks it failed with the reason.
//
// A message goes out on Message.Account, or on the first account that
// carries its channel. Answers to one person on one channel leave in order:
// while an older one waits for a retry, newer ones wait behind it.
//
// The Outbox also applies the store's flag queue (inbox.FlagChange: read in
// Couture, answered) on the channels that are Flaggers, with the same
// backoff, account by account; a sent answer queues the answered flag of
// the message it replied to (inbox.Desk.Answered).
//
// Use one Outbox per store. It is safe for concurrent use; sends happen one
// at a time.
type Outbox struct {
	desk *inbox.Desk
	o    OutboxOptions
	log  *slog.Logger

	mu    sync.Mutex // held for a whole pass or send
	retry map[inbox.MessageID]retryState
	// flagRetry is the backoff of the flag changes of each account.
	flagRetry map[flagAccount]retryState
}

type retryState struct {
	attempt int
	next    time.Time
}

// NewOutbox returns an Outbox over desk.
func NewOutbox(desk *inbox.Desk, opts *OutboxOptions) *Outbox {
	o := &Outbox{desk: desk, retry: map[inbox.MessageID]retryState{}}
	if opts != nil {
		o.o = *opts
	}
	if o.o.Clock == nil {
		o.o.Clock = systemClock{}
	}
	if o.o.Rand == nil {
		o.o.Rand = rand.Float64
	}
	if o.o.Poll <= 0 {
		o.o.Poll = time.Minute
	}
	o.log = o.o.Logger
	if o.log == nil {
		o.log = slog.Default()
	}
	return o
}

// Run recovers what a previous process left in sending, then sends queued
// messages and flag changes as they come (it wakes on the Desk's changes)
// and retries on a timer, until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	sub := o.desk.Subscribe(64)
	defer sub.Close()
	for {
		next, err := o.Flush(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			o.log.Warn("outbox", "err", err)
		}
		wait := o.o.Poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(o.o.Clock.Now()), 0))
		}
		timer := o.o.Clock.After(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-timer:
				break waiting
			case <-sub.C:
				if wakes(sub.Take()) {
					break waiting
				}
			}
		}
	}
}

// wakes reports whether changes may have queued something: a message
// written or changed, flag changes, or lost events.
func wakes(changes []inbox.Change) bool {
	for _, c := range changes {
		if c.Kind == inbox.Reload || c.Kind == inbox.FlagsQueued || (c.Kind == inbox.CustomerChanged && c.Message != 0) {
			return true
		}
	}
	return false
}

// Recover settles every message left in sending by a process that died
// between the call and the receipt: delivered (recorded), not delivered
// (queued again) or uncertain.
func (o *Outbox) Recover(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	ms, err := o.desk.Store().Outbox()
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range ms {
		if m.State == inbox.StateSending {
			if err := o.recoverOne(ctx, m); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Flush makes one pass over the outbox: it recovers messages left in
// sending and sends every queued message that is due, then puts the
// queued flag changes (read, answered) on the servers of the channels
// that keep them (Flagger). It returns when the next retry is due (zero
// when none waits) and the errors it could not record in a message or the
// store.
func (o *Outbox) Flush(ctx context.Context) (next time.Time, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ms, err := o.desk.Store().Outbox()
	if err != nil {
		return time.Time{}, err
	}
	var errs []error
	// held are (channel, person) pairs with an older answer still waiting.
	held := map[heldKey]bool{}
	for _, m := range ms {
		if ctx.Err() != nil {
			break
		}
		key := heldKey{m.Channel, m.Party}
		if held[key] {
			continue
		}
		r := o.retry[m.ID]
		if !r.next.IsZero() && o.o.Clock.Now().Before(r.next) {
			held[key] = true
			if next.IsZero() || r.next.Before(next) {
				next = r.next
			}
			continue
		}
		var done inbox.Message
		switch m.State {
		case inbox.StateSending:
			err = o.recoverOne(ctx, m)
			done, _ = o.desk.Store().Message(m.ID)
		case inbox.StateQueued:
			done, err = o.sendOne(ctx, m)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		if done.State == inbox.StateQueued || done.State == inbox.StateSending {
			held[key] = true
			if r := o.retry[m.ID]; !r.next.IsZero() && (next.IsZero() || r.next.Before(next)) {
				next = r.next
			}
		}
	}
	if ctx.Err() == nil {
		flagsNext, err := o.flushFlags(ctx)
		errs = append(errs, err)
		next = earliest(next, flagsNext)
	}
	return next, errors.Join(errs...)
}

type heldKey struct {
	ch    inbox.ChannelKind
	party inbox.Identity
}

// Send sends one queued message now, whatever its backoff, and returns it
// in its new state: sent or delivered, queued with the reason in Error
// (temporary failure), failed, or uncertain. A message left in sending is
// recovered instead. `couture send` uses it.
func (o *Outbox) Send(ctx context.Context, id inbox.MessageID) (inbox.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.desk.Message(id)
	if err != nil {
		return m, err
	}
	if m.Direction != inbox.Out {
		return m, inbox.Errorf(inbox.Invalid, "message %d is not an answer", id)
	}
	switch m.State {
	case inbox.StateQueued:
		_, err = o.sendOne(ctx, m)
	case inbox.StateSending:
		err = o.recoverOne(ctx, m)
		if m, _ = o.desk.Message(id); err == nil && m.State == inbox.StateQueued {
			// Checked and not delivered: send it now.
			_, err = o.sendOne(ctx, m)
		}
	default:
		return m, nil
	}
	if got, gerr := o.desk.Message(id); gerr == nil {
		m = got
	}
	return m, err
}

// pick returns the account and channel a message goes out on.
func (o *Outbox) pick(m inbox.Message) (Channel, Account, error) {
	all, err := o.o.Channels.Accounts()
	if err != nil {
		return nil, Account{}, err
	}
	carries := func(a Account) bool { return slices.Contains(a.Channels(), m.Channel) }
	i := slices.IndexFunc(all, func(a Account) bool { return a.Name == m.Account && carries(a) })
	if i < 0 {
		// No account named, or it is gone, or it does not carry the
		// channel: the first one that does.
		i = slices.IndexFunc(all, carries)
	}
	if i < 0 {
		return nil, Account{}, inbox.Errorf(inbox.NotFound,
			"no account sends on %s; add one with couture account add (the answer stays in the outbox)", m.Channel)
	}
	return o.o.Channels.Channel(all[i].Name)
}

// sendOne sends one queued message and records the outcome. The returned
// error is one the message could not record (a store failure) or ctx's.
func (o *Outbox) sendOne(ctx context.Context, m inbox.Message) (inbox.Message, error) {
	if err := ctx.Err(); err != nil {
		return m, err
	}
	ch, acc, err := o.pick(m)
	if err != nil {
		// Not the message's fault: it stays queued until the account is
		// there (added, password fixed).
		return o.keepQueued(m, err)
	}
	m, err = o.update(m.ID, func(x *inbox.Message) error {
		if x.State != inbox.StateQueued {
			return inbox.Errorf(inbox.Conflict, "message %d is %s, not queued", x.ID, x.State)
		}
		x.State, x.Account, x.Error = inbox.StateSending, acc.Name, ""
		return nil
	})
	if err != nil {
		return m, err
	}
	rc, err := ch.Send(ctx, m)
	var unsure *Uncertain
	switch {
	case err == nil:
		return o.delivered(m, rc)
	case ctx.Err() != nil:
		// Stopping mid-call: the outcome is unknown. The message stays in
		// sending and the next start settles it like a crash.
		return m, ctx.Err()
	case errors.As(err, &unsure):
		o.log.Info("send outcome unknown", "account", acc.Name, "message", m.ID, "err", err)
		return m, o.recoverOne(ctx, m)
	case permanent(err):
		o.log.Info("send failed", "account", acc.Name, "message", m.ID, "err", err)
		delete(o.retry, m.ID)
		return o.update(m.ID, func(x *inbox.Message) error {
			x.State, x.Error = inbox.StateFailed, inbox.Explain(err)
			return nil
		})
	default:
		o.log.Info("send failed; will retry", "account", acc.Name, "message", m.ID, "err", err)
		return o.requeue(m, err)
	}
}

// recoverOne settles a message found in sending.
func (o *Outbox) recoverOne(ctx context.Context, m inbox.Message) error {
	ch, acc, err := o.pick(m)
	if err != nil {
		_, err := o.uncertain(m)
		return err
	}
	idem, ok := ch.(Idempotent)
	if !ok {
		_, err := o.uncertain(m)
		return err
	}
	rc, sent, err := idem.Delivered(ctx, m)
	switch {
	case err != nil:
		// Cannot tell yet (offline): leave it in sending and ask again
		// after a backoff.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		o.backoff(m.ID, err)
		o.log.Info("cannot check whether a message left; will ask again", "account", acc.Name, "message", m.ID, "err", err)
		return nil
	case sent:
		_, err := o.delivered(m, rc)
		return err
	default:
		_, err := o.update(m.ID, func(x *inbox.Message) error {
			x.State, x.Error = inbox.StateQueued, ""
			return nil
		})
		return err
	}
}

func (o *Outbox) delivered(m inbox.Message, rc Receipt) (inbox.Message, error) {
	delete(o.retry, m.ID)
	m, err := o.update(m.ID, func(x *inbox.Message) error {
		x.State = rc.State
		if x.State != inbox.StateDelivered {
			x.State = inbox.StateSent
		}
		if rc.ExternalID != "" {
			x.ExternalID = rc.ExternalID
		}
		x.Error = ""
		return nil
	})
	if err == nil {
		o.answered(m)
	}
	return m, err
}

func (o *Outbox) uncertain(m inbox.Message) (inbox.Message, error) {
	delete(o.retry, m.ID)
	return o.update(m.ID, func(x *inbox.Message) error {
		x.State, x.Error = inbox.StateUncertain, UncertainReason
		return nil
	})
}

// requeue puts a message back in queued after a temporary failure.
func (o *Outbox) requeue(m inbox.Message, cause error) (inbox.Message, error) {
	o.backoff(m.ID, cause)
	return o.update(m.ID, func(x *inbox.Message) error {
		x.State, x.Error = inbox.StateQueued, inbox.Explain(cause)
		return nil
	})
}

// keepQueued records why a queued message cannot leave yet.
func (o *Outbox) keepQueued(m inbox.Message, cause error) (inbox.Message, error) {
	o.backoff(m.ID, cause)
	if m.Error == inbox.Explain(cause) {
		return m, nil
	}
	return o.update(m.ID, func(x *inbox.Message) error {
		x.Error = inbox.Explain(cause)
		return nil
	})
}

// backoff schedules the next try of a message after a failure.
func (o *Outbox) backoff(id inbox.MessageID, cause error) {
	r := o.retry[id]
	wait := retryWait(cause, r.attempt, o.o.Rand())
	o.retry[id] = retryState{attempt: r.attempt + 1, next: o.o.Clock.Now().Add(wait)}
}

// update changes a message and tells the Desk's subscribers.
func (o *Outbox) update(id inbox.MessageID, fn func(*inbox.Message) error) (inbox.Message, error) {
	m, err := o.desk.Store().UpdateMessage(id, fn)
	if err != nil {
		return m, err
	}
	o.desk.Publish(inbox.Change{Kind: inbox.CustomerChanged, Customer: m.CustomerID, Message: m.ID})
	return m, nil
}

// permanent reports whether a Send error will not go away by retrying: any
// domain error except Unavailable.
func permanent(err error) bool {
	var ra *RetryAfter
	if errors.As(err, &ra) {
		return false
	}
	switch inbox.ErrorCode(err) {
	case "", inbox.Unavailable:
		return false
	}
	return true
}
