package channels

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/couture/couture/inbox"
)

// Flagger is implemented by channels whose server keeps flags that the
// account's other clients show: e-mail (IMAP \Seen and \Answered). The
// Outbox hands it the flag changes Couture queued (a customer read in
// Couture, an answer sent; see inbox.FlagChange), one account at a time.
type Flagger interface {
	// SetFlags puts the changes on the server's copies of the messages.
	// A message the server no longer has (expunged) is skipped: that is no
	// error, the change is done. After an error any of the changes may be
	// missing; the Outbox tries them all again after a backoff (setting a
	// flag twice is harmless).
	SetFlags(ctx context.Context, changes []inbox.FlagChange) error
}

// SeenSink is implemented by the Engine's Sink: a channel whose server
// keeps a read flag reports through it what the account's other clients
// read or marked unread (IMAP \Seen, found with CONDSTORE or by reading the
// flags again). A sink without it does not follow flag changes.
type SeenSink interface {
	// SetSeen marks read (seen) or unread the messages of channel ch whose
	// external id begins with one of prefixes, in one store transaction;
	// the customers' unread counts follow (inbox.Desk.SetSeen).
	SetSeen(ctx context.Context, ch inbox.ChannelKind, prefixes []string, seen bool) error
}

var _ SeenSink = (*sink)(nil)

// SetSeen implements SeenSink.
func (k *sink) SetSeen(ctx context.Context, ch inbox.ChannelKind, prefixes []string, seen bool) error {
	return k.e.desk.SetSeen(ctx, ch, prefixes, seen)
}

// flushFlags applies the flag queue, account by account, on the channels
// that are Flaggers, with the backoff of answers: a failure (offline, say)
// keeps the account's changes queued and retries them later. Changes no
// channel can apply (no account carries the channel, or its channel keeps
// no flags) are dropped. It returns when the next retry is due (zero when
// none waits) and the errors of the store.
func (o *Outbox) flushFlags(ctx context.Context) (next time.Time, err error) {
	queue, err := o.desk.Store().FlagQueue()
	if err != nil || len(queue) == 0 {
		return time.Time{}, err
	}
	if o.flagRetry == nil {
		o.flagRetry = map[flagAccount]retryState{}
	}
	// Changes are grouped by the account they name; each group goes to
	// that account's channel in one call.
	var order []flagAccount
	groups := map[flagAccount][]inbox.FlagChange{}
	for _, c := range queue {
		key := flagAccount{c.Account, c.Channel}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], c)
	}
	var errs []error
	for _, key := range order {
		if ctx.Err() != nil {
			break
		}
		changes := groups[key]
		r := o.flagRetry[key]
		if !r.next.IsZero() && o.o.Clock.Now().Before(r.next) {
			next = earliest(next, r.next)
			continue
		}
		ch, acc, err := o.pick(inbox.Message{Channel: key.ch, Account: key.account})
		if inbox.ErrorCode(err) == inbox.NotFound {
			// No account carries the channel any more: nothing can
			// apply the changes.
			errs = append(errs, o.desk.Store().DropFlags(changes...))
			continue
		}
		if err == nil {
			f, ok := ch.(Flagger)
			if !ok {
				errs = append(errs, o.desk.Store().DropFlags(changes...))
				continue
			}
			err = f.SetFlags(ctx, changes)
		}
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			wait := retryWait(err, r.attempt, o.o.Rand())
			r = retryState{attempt: r.attempt + 1, next: o.o.Clock.Now().Add(wait)}
			o.flagRetry[key] = r
			next = earliest(next, r.next)
			o.log.Info("flags not set on the server; will retry", "account", acc.Name, "changes", len(changes), "wait", wait, "err", err)
			continue
		}
		delete(o.flagRetry, key)
		errs = append(errs, o.desk.Store().DropFlags(changes...))
	}
	return next, errors.Join(errs...)
}

// flagAccount is the account and channel a group of flag changes names.
type flagAccount struct {
	account string
	ch      inbox.ChannelKind
}

// answered queues the answered flag on what a sent answer replied to
// (inbox.Desk.Answered); a failure costs the mark only, so it is logged.
func (o *Outbox) answered(m inbox.Message) {
	if err := o.desk.Answered(m); err != nil {
		o.log.Warn("cannot queue the answered flag", "message", m.ID, "err", err)
	}
}

// earliest returns the earlier of two retry times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	times := slices.DeleteFunc([]time.Time{a, b}, time.Time.IsZero)
	if len(times) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(times, time.Time.Compare)
}
