package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// bFlags is the flag queue: changes of read and answered marks waiting for
// their channel's server, keyed message(8) | flag name, so a message has at
// most one change per flag and the newest wins. The value is the
// inbox.FlagChange as JSON.
//
// The bucket is created by the first transaction that queues a change;
// readers take a missing bucket for an empty queue.
var bFlags = []byte("flags")

func flagKey(id inbox.MessageID, f inbox.Flag) []byte {
	return append(u64(uint64(id)), f...)
}

// flagQueue returns the queue bucket, created when needed.
func (t *txn) flagQueue() (*bolt.Bucket, error) {
	return t.tx.CreateBucketIfNotExists(bFlags)
}

// queueFlags writes changes to the queue, each with a new Seq.
func (t *txn) queueFlags(changes []inbox.FlagChange) error {
	if len(changes) == 0 {
		return nil
	}
	b, err := t.flagQueue()
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Message == 0 || c.Flag == "" {
			return inbox.Errorf(inbox.Invalid, "flag change %+v names no message or no flag", c)
		}
		if c.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		if c.QueuedAt.IsZero() {
			c.QueuedAt = t.now
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := b.Put(flagKey(c.Message, c.Flag), raw); err != nil {
			return err
		}
	}
	return nil
}

// MarkRead implements inbox.Store. It walks the customer's timeline from
// the newest end and stops once it has found as many unread inbound
// messages as the customer's count says, so opening a customer with a
// long history costs what its unread messages cost.
func (s *Store) MarkRead(id inbox.CustomerID, flag func(*inbox.Message) bool, at time.Time) (inbox.Customer, int, error) {
	c, err := s.Customer(id)
	if err != nil || c.Unread == 0 {
		return c, 0, err // nothing to write
	}
	var (
		out    inbox.Customer
		queued int
	)
	err = s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, at)
		c, err := t.customer(id)
		if err != nil {
			return err
		}
		var changes []inbox.FlagChange
		prefix := u64(uint64(id))
		cur := tx.Bucket(bTimeline).Cursor()
		found := 0
		for k, v := seekLast(cur, prefix); k != nil && bytes.HasPrefix(k, prefix) && found < c.Unread; k, v = cur.Prev() {
			e := tlEntry(k, v)
			if e.Direction != inbox.In {
				continue
			}
			m, err := t.message(e.ID)
			if err != nil {
				return err
			}
			if m.Seen {
				continue
			}
			found++
			m.Seen = true
			if err := t.putMessage(m); err != nil {
				return err
			}
			if flag != nil && flag(m) {
				changes = append(changes, inbox.FlagChangeOf(m, inbox.FlagSeen, true, at))
			}
		}
		c.Unread = 0
		if err := t.queueFlags(changes); err != nil {
			return err
		}
		queued = len(changes)
		if err := t.flush(); err != nil {
			return err
		}
		out = *c
		return nil
	})
	if err != nil {
		return inbox.Customer{}, 0, err
	}
	return out, queued, nil
}

// SetSeen implements inbox.Store: one seek in the external-id index per
// prefix, one transaction for the batch.
func (s *Store) SetSeen(ch inbox.ChannelKind, prefixes []string, seen bool) ([]inbox.CustomerID, error) {
	var changed []inbox.CustomerID
	err := s.update(func(tx *bolt.Tx) error {
		changed = nil
		t := newTxn(tx, time.Now())
		pending := tx.Bucket(bFlags) // nil: nothing queued
		cur := tx.Bucket(bExternal).Cursor()
		touched := map[inbox.CustomerID]bool{}
		for _, p := range prefixes {
			if p == "" {
				continue
			}
			key := extKey(ch, p)
			for k, v := cur.Seek(key); k != nil && bytes.HasPrefix(k, key); k, v = cur.Next() {
				id := inbox.MessageID(binary.BigEndian.Uint64(v))
				if pending != nil && pending.Get(flagKey(id, inbox.FlagSeen)) != nil {
					continue // Couture's own change wins until the server has it
				}
				m, err := t.message(id)
				if err != nil {
					return err
				}
				if m.Seen == seen {
					continue
				}
				m.Seen = seen
				if err := t.putMessage(m); err != nil {
					return err
				}
				if m.Direction != inbox.In {
					continue
				}
				c, err := t.customer(m.CustomerID)
				if err != nil {
					return err
				}
				if seen {
					c.Unread = max(c.Unread-1, 0)
				} else {
					c.Unread++
				}
				if !touched[c.ID] {
					touched[c.ID] = true
					changed = append(changed, c.ID)
				}
			}
		}
		return t.flush()
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// ExternalMessage implements inbox.Store.
func (s *Store) ExternalMessage(ch inbox.ChannelKind, externalID string) (inbox.Message, error) {
	var m inbox.Message
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bExternal).Get(extKey(ch, externalID))
		if v == nil || externalID == "" {
			return inbox.Errorf(inbox.NotFound, "no %s message has the id %s", ch, externalID)
		}
		p, err := newTxn(tx, zeroTime).message(inbox.MessageID(binary.BigEndian.Uint64(v)))
		if err == nil {
			m = *p
		}
		return err
	})
	return m, err
}

// QueueFlags implements inbox.Store.
func (s *Store) QueueFlags(changes ...inbox.FlagChange) error {
	if len(changes) == 0 {
		return nil
	}
	return s.update(func(tx *bolt.Tx) error {
		return newTxn(tx, time.Now()).queueFlags(changes)
	})
}

// FlagQueue implements inbox.Store.
func (s *Store) FlagQueue() ([]inbox.FlagChange, error) {
	var out []inbox.FlagChange
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFlags)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c inbox.FlagChange
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode flag change %x: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// DropFlags implements inbox.Store.
func (s *Store) DropFlags(changes ...inbox.FlagChange) error {
	if len(changes) == 0 {
		return nil
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFlags)
		if b == nil {
			return nil
		}
		for _, c := range changes {
			key := flagKey(c.Message, c.Flag)
			raw := b.Get(key)
			if raw == nil {
				continue
			}
			var now inbox.FlagChange
			if err := json.Unmarshal(raw, &now); err == nil && now.Seq != c.Seq {
				continue // queued again meanwhile: the newer one stays
			}
			if err := b.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
}
