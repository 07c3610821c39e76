package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Ingest implements inbox.Store: the batch and its cursor are one
// transaction, so a crash either keeps both or neither.
func (s *Store) Ingest(ctx context.Context, b inbox.Batch, now time.Time) (inbox.IngestResult, error) {
	var res inbox.IngestResult
	err := s.update(func(tx *bolt.Tx) error {
		res = inbox.IngestResult{}
		t := newTxn(tx, now)
		ext := tx.Bucket(bExternal)
		for i := range b.Messages {
			if err := ctx.Err(); err != nil {
				return err
			}
			in := &b.Messages[i]
			m := in.Message
			if m.ExternalID != "" && ext.Get(extKey(m.Channel, m.ExternalID)) != nil {
				res.Duplicates++
				continue
			}
			if m.Account == "" {
				m.Account = b.Account
			}
			c, err := t.party(in, &res)
			if err != nil {
				return fmt.Errorf("message %q: %w", m.ExternalID, err)
			}
			if err := t.add(c, &m); err != nil {
				return err
			}
			res.Added++
		}
		if b.Cursor != nil {
			if err := tx.Bucket(bCursors).Put(cursorKey(b.Account, b.CursorKey), b.Cursor); err != nil {
				return err
			}
		}
		res.Touched, res.LatestInbound = t.touched, t.latestIn
		return t.flush()
	})
	if err != nil {
		return inbox.IngestResult{}, err
	}
	return res, nil
}

// party finds or creates the customer an incoming message belongs to, and
// links the identities the channel proved are the same person.
func (t *txn) party(in *inbox.Incoming, res *inbox.IngestResult) (*inbox.Customer, error) {
	if in.Other {
		return t.customer(inbox.OtherID)
	}
	p := in.Message.Party
	if p.Kind == "" || p.Address == "" {
		return nil, inbox.Errorf(inbox.Invalid, "no party identity (sender or recipient)")
	}
	var c *inbox.Customer
	if id, ok := t.owner(p); ok {
		var err error
		if c, err = t.customer(id); err != nil {
			return nil, err
		}
	} else {
		var err error
		if c, err = t.newCustomer(in.Name, p); err != nil {
			return nil, err
		}
		res.NewCustomers++
	}
	for _, l := range in.Links {
		if l.Kind == "" || l.Address == "" || c.Has(l) {
			continue
		}
		other, ok := t.owner(l)
		if !ok {
			c.Identities = append(c.Identities, l)
			if err := t.bucket(bIdentities).Put(identityKey(l), u64(uint64(c.ID))); err != nil {
				return nil, err
			}
			continue
		}
		// Exact match with another customer: the older one absorbs the newer.
		into, from := c.ID, other
		if other < c.ID {
			into, from = other, c.ID
		}
		m, err := t.merge(into, from, "same "+string(l.Kind)+" "+l.Address, true)
		if err != nil {
			return nil, err
		}
		res.AutoMerges = append(res.AutoMerges, m.ID)
		if c, err = t.customer(into); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Cursor implements inbox.Store.
func (s *Store) Cursor(account, key string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bCursors).Get(cursorKey(account, key)); v != nil {
			out = slices.Clone(v)
		}
		return nil
	})
	return out, err
}
