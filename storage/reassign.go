package storage

import (
	"bytes"
	"encoding/binary"
	"slices"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Reassign implements inbox.Store: it moves the messages whose party
// matches between the Other view and customers, in one transaction. Moving
// in creates the customer of an identity that has none; moving out takes the
// matching identities off their customer and deletes a customer left with
// no identity and no message. Both sides are recounted with the rules of
// Apply.
func (s *Store) Reassign(match func(inbox.Identity) bool, toOther bool, now time.Time) ([]inbox.CustomerID, error) {
	var touched []inbox.CustomerID
	err := s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, now)
		var err error
		if toOther {
			touched, err = t.toOther(match)
		} else {
			touched, err = t.fromOther(match)
		}
		if err != nil {
			return err
		}
		for _, id := range touched {
			if err := t.recount(id); err != nil {
				return err
			}
		}
		return t.flush()
	})
	return touched, err
}

// fromOther moves Other's matching messages to their customers.
func (t *txn) fromOther(match func(inbox.Identity) bool) ([]inbox.CustomerID, error) {
	byOwner := map[inbox.CustomerID]map[inbox.MessageID]bool{}
	others, err := t.timelineMessages(inbox.OtherID)
	if err != nil {
		return nil, err
	}
	for _, m := range others {
		if m.Party.Kind == "" || !match(m.Party) {
			continue
		}
		id, ok := t.owner(m.Party)
		if !ok {
			c, err := t.newCustomer(m.FromName, m.Party)
			if err != nil {
				return nil, err
			}
			id = c.ID
		}
		if byOwner[id] == nil {
			byOwner[id] = map[inbox.MessageID]bool{}
		}
		byOwner[id][m.ID] = true
	}
	touched := []inbox.CustomerID{inbox.OtherID}
	for id, ids := range byOwner {
		if _, err := t.move(inbox.OtherID, id, ids); err != nil {
			return nil, err
		}
		touched = append(touched, id)
	}
	return touched, nil
}

// toOther moves the matching parties' messages of every customer to Other.
func (t *txn) toOther(match func(inbox.Identity) bool) ([]inbox.CustomerID, error) {
	owners := map[inbox.CustomerID][]inbox.Identity{}
	err := t.bucket(bIdentities).ForEach(func(k, v []byte) error {
		id, err := inbox.ParseIdentity(string(k), identityPassThrough{})
		if err != nil || !match(id) {
			return nil
		}
		c := inbox.CustomerID(binary.BigEndian.Uint64(v))
		owners[c] = append(owners[c], id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	touched := []inbox.CustomerID{inbox.OtherID}
	for cid, ids := range owners {
		c, err := t.customer(cid)
		if err != nil {
			return nil, err
		}
		out := map[inbox.MessageID]bool{}
		msgs, err := t.timelineMessages(cid)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if slices.Contains(ids, m.Party) {
				out[m.ID] = true
			}
		}
		if _, err := t.move(cid, inbox.OtherID, out); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if err := t.bucket(bIdentities).Delete(identityKey(id)); err != nil {
				return nil, err
			}
		}
		c.Identities = slices.DeleteFunc(c.Identities, func(x inbox.Identity) bool { return slices.Contains(ids, x) })
		if len(c.Identities) == 0 && len(msgs) == len(out) {
			delete(t.customers, cid)
			t.deleted[cid] = true
			continue
		}
		touched = append(touched, cid)
	}
	return touched, nil
}

// identityPassThrough reads back identities the store already normalized.
type identityPassThrough struct{}

func (identityPassThrough) NormalizePhone(raw string) (string, error) { return raw, nil }

// timelineMessages reads a customer's whole timeline, oldest first.
func (t *txn) timelineMessages(id inbox.CustomerID) ([]*inbox.Message, error) {
	var out []*inbox.Message
	prefix := u64(uint64(id))
	cur := t.bucket(bTimeline).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		m, err := t.message(inbox.MessageID(binary.BigEndian.Uint64(k[16:])))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// recount rebuilds a customer's counters from its timeline with Apply,
// keeping its status.
func (t *txn) recount(id inbox.CustomerID) error {
	c, err := t.customer(id)
	if err != nil {
		return err
	}
	status, at, until := c.Status, c.StatusAt, c.SnoozedUntil
	c.MessageCount, c.Unread = 0, 0
	c.LastMessageAt, c.LastInboundAt, c.LastOutAt, c.WaitingSince = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	c.LastChannel, c.LastPreview = "", ""
	c.Status, c.StatusAt, c.SnoozedUntil = inbox.Open, time.Time{}, time.Time{}
	msgs, err := t.timelineMessages(id)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		inbox.Apply(c, m)
	}
	if !at.IsZero() {
		c.Status, c.StatusAt, c.SnoozedUntil = status, at, until
	}
	t.recompute[id] = true
	return nil
}
