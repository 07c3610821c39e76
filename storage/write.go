package storage

import (
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

var zeroTime time.Time

// Write implements inbox.Store.
func (s *Store) Write(id inbox.CustomerID, update func(*inbox.Customer) error, msgs ...inbox.Message) (inbox.Customer, []inbox.Message, error) {
	var (
		out  inbox.Customer
		done []inbox.Message
	)
	err := s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, time.Now())
		c, err := t.customer(id)
		if err != nil {
			return err
		}
		done = make([]inbox.Message, 0, len(msgs))
		for _, m := range msgs {
			if m.SentAt.IsZero() {
				m.SentAt = time.Now()
			}
			if m.ReceivedAt.IsZero() {
				m.ReceivedAt = m.SentAt
			}
			if err := t.add(c, &m); err != nil {
				return err
			}
			done = append(done, m)
		}
		if update != nil {
			if err := update(c); err != nil {
				return err
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
		out = *c
		return nil
	})
	if err != nil {
		return inbox.Customer{}, nil, err
	}
	return out, done, nil
}

// UpdateMessage implements inbox.Store. The customer and the time of a
// message are fixed; everything else may change.
func (s *Store) UpdateMessage(id inbox.MessageID, update func(*inbox.Message) error) (inbox.Message, error) {
	var out inbox.Message
	err := s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, time.Now())
		m, err := t.message(id)
		if err != nil {
			return err
		}
		cust, at := m.CustomerID, m.SentAt
		if err := update(m); err != nil {
			return err
		}
		if m.CustomerID != cust || !m.SentAt.Equal(at) || m.ID != id {
			return inbox.Errorf(inbox.Invalid, "message %d: customer, time and id cannot change", id)
		}
		if err := t.putMessage(m); err != nil {
			return err
		}
		if err := tx.Bucket(bTimeline).Put(tlKey(cust, at, id), tlValue(m)); err != nil {
			return err
		}
		out = *m
		return nil
	})
	return out, err
}
