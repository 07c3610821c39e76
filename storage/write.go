package storage

import (
	"encoding/binary"
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
		if err := t.claimExternal(m); err != nil {
			return err
		}
		if err := t.flush(); err != nil {
			return err
		}
		out = *m
		return nil
	})
	return out, err
}

// claimExternal indexes the external id a receipt gave an outbound message,
// so the channel syncing the same message back (a Sent folder, a Matrix
// echo, Twilio's list) finds it and adds nothing. When the echo was synced
// before the receipt was recorded, the echo goes: the queued message, with
// its author and history, is the one to keep.
func (t *txn) claimExternal(m *inbox.Message) error {
	if m.ExternalID == "" || m.Channel == inbox.ChannelNone {
		return nil
	}
	ext := t.bucket(bExternal)
	key := extKey(m.Channel, m.ExternalID)
	if v := ext.Get(key); v != nil {
		other := inbox.MessageID(binary.BigEndian.Uint64(v))
		if other == m.ID {
			return nil
		}
		echo, err := t.message(other)
		if err != nil {
			return err
		}
		if echo.Direction != inbox.Out || echo.CustomerID != m.CustomerID {
			return inbox.Errorf(inbox.Conflict, "external id %s of message %d already belongs to message %d", m.ExternalID, m.ID, other)
		}
		if err := t.bucket(bTimeline).Delete(tlKey(echo.CustomerID, echo.SentAt, echo.ID)); err != nil {
			return err
		}
		if err := t.bucket(bMessages).Delete(u64(uint64(echo.ID))); err != nil {
			return err
		}
		c, err := t.customer(m.CustomerID)
		if err != nil {
			return err
		}
		c.MessageCount--
	}
	return ext.Put(key, u64(uint64(m.ID)))
}
