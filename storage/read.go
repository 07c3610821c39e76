package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Customer implements inbox.Store.
func (s *Store) Customer(id inbox.CustomerID) (inbox.Customer, error) {
	var c inbox.Customer
	err := s.view(func(tx *bolt.Tx) error {
		p, err := newTxn(tx, zeroTime).customer(id)
		if err == nil {
			c = *p
		}
		return err
	})
	return c, err
}

// Customers implements inbox.Store.
func (s *Store) Customers() ([]inbox.Customer, error) {
	var out []inbox.Customer
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCustomers)
		// Customer IDs come from the bucket's sequence, plus Other's 0: a
		// bound on the count without walking the pages as Stats does.
		out = make([]inbox.Customer, 0, min(b.Sequence()+1, 1<<20))
		var ids identitySlab
		return b.ForEach(func(k, v []byte) error {
			out = append(out, inbox.Customer{})
			if err := decodeCustomer(v, &out[len(out)-1], &ids); err != nil {
				return fmt.Errorf("decode customer %x: %w", k, err)
			}
			return nil
		})
	})
	return out, err
}

// Owner implements inbox.Store.
func (s *Store) Owner(id inbox.Identity) (inbox.CustomerID, bool, error) {
	var (
		c  inbox.CustomerID
		ok bool
	)
	err := s.view(func(tx *bolt.Tx) error {
		c, ok = newTxn(tx, zeroTime).owner(id)
		return nil
	})
	return c, ok, err
}

// Message implements inbox.Store.
func (s *Store) Message(id inbox.MessageID) (inbox.Message, error) {
	var m inbox.Message
	err := s.view(func(tx *bolt.Tx) error {
		p, err := newTxn(tx, zeroTime).message(id)
		if err == nil {
			m = *p
		}
		return err
	})
	return m, err
}

// Timeline implements inbox.Store: one cursor seek, then limit steps back.
func (s *Store) Timeline(id inbox.CustomerID, before string, limit int) (inbox.Page, error) {
	var page inbox.Page
	if limit <= 0 {
		return page, inbox.Errorf(inbox.Invalid, "page size %d must be positive", limit)
	}
	err := s.view(func(tx *bolt.Tx) error {
		t := newTxn(tx, zeroTime)
		if _, err := t.customer(id); err != nil {
			return err
		}
		prefix := u64(uint64(id))
		cur := tx.Bucket(bTimeline).Cursor()
		var k []byte
		if before == "" {
			k, _ = seekLast(cur, prefix)
		} else {
			start, err := decodeCursor(id, before)
			if err != nil {
				return err
			}
			k, _ = cur.Seek(start)
			if k == nil {
				k, _ = cur.Last()
			} else {
				k, _ = cur.Prev()
			}
		}
		var ids []inbox.MessageID
		var oldest []byte
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(ids) < limit; k, _ = cur.Prev() {
			ids = append(ids, inbox.MessageID(binary.BigEndian.Uint64(k[16:])))
			oldest = k
		}
		if k != nil && bytes.HasPrefix(k, prefix) && oldest != nil {
			page.Before = encodeCursor(oldest)
		}
		page.Messages = make([]inbox.Message, len(ids))
		for i, mid := range ids {
			m, err := t.message(mid)
			if err != nil {
				return err
			}
			page.Messages[len(ids)-1-i] = *m
		}
		return nil
	})
	return page, err
}

// Scan implements inbox.Store: the timeline bucket in key order, which is
// customer by customer, oldest first, without decoding message bodies.
func (s *Store) Scan(fn func(inbox.CustomerID, inbox.Entry) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bTimeline).ForEach(func(k, v []byte) error {
			c, _, _ := tlParse(k)
			return fn(c, tlEntry(k, v))
		})
	})
}

// Outbox implements inbox.Store.
func (s *Store) Outbox() ([]inbox.Message, error) {
	var out []inbox.Message
	err := s.view(func(tx *bolt.Tx) error {
		t := newTxn(tx, zeroTime)
		return tx.Bucket(bOutbox).ForEach(func(k, _ []byte) error {
			m, err := t.message(inbox.MessageID(binary.BigEndian.Uint64(k)))
			if err != nil {
				return err
			}
			out = append(out, *m)
			return nil
		})
	})
	return out, err
}

// Counts returns the number of customers and messages. bbolt keeps no key
// count, so it walks every page of both buckets: hundreds of megabytes of a
// large store. Tests and tools only; nothing on the desktop app's start
// path calls it.
func (s *Store) Counts() (customers, messages int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		customers = tx.Bucket(bCustomers).Stats().KeyN
		messages = tx.Bucket(bMessages).Stats().KeyN
		return nil
	})
	return customers, messages, err
}
