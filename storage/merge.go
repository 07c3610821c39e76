package storage

import (
	"bytes"
	"encoding/binary"
	"slices"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Merge implements inbox.Store.
func (s *Store) Merge(into, from inbox.CustomerID, at time.Time, reason string) (inbox.Merge, error) {
	var rec inbox.Merge
	err := s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, at)
		var err error
		if rec, err = t.merge(into, from, reason, false); err != nil {
			return err
		}
		return t.flush()
	})
	return rec, err
}

// merge moves FROM's identities and timeline into INTO inside the
// transaction, adds a "merged" event and records everything Unmerge needs.
func (t *txn) merge(into, from inbox.CustomerID, reason string, auto bool) (inbox.Merge, error) {
	if into == from || into == inbox.OtherID || from == inbox.OtherID {
		return inbox.Merge{}, inbox.Errorf(inbox.Invalid, "cannot merge customer %d into %d", from, into)
	}
	ci, err := t.customer(into)
	if err != nil {
		return inbox.Merge{}, err
	}
	cf, err := t.customer(from)
	if err != nil {
		return inbox.Merge{}, err
	}
	seq, err := t.bucket(bMerges).NextSequence()
	if err != nil {
		return inbox.Merge{}, err
	}
	rec := inbox.Merge{
		ID: inbox.MergeID(seq), Into: into, From: from, At: t.now,
		Auto: auto, Reason: reason,
		IntoBefore: cloneCustomer(ci), FromBefore: cloneCustomer(cf),
	}
	if rec.Moved, err = t.move(from, into, nil); err != nil {
		return inbox.Merge{}, err
	}
	for _, id := range cf.Identities {
		if err := t.bucket(bIdentities).Put(identityKey(id), u64(uint64(into))); err != nil {
			return inbox.Merge{}, err
		}
		if !ci.Has(id) {
			ci.Identities = append(ci.Identities, id)
		}
	}
	combine(ci, cf)
	ci.Merges = append(ci.Merges, rec.ID)
	ev := inbox.Message{
		Direction: inbox.Event, Event: inbox.EventMerged, SentAt: t.now, ReceivedAt: t.now,
		Text: "Merged " + cf.Name + " into " + ci.Name,
	}
	if reason != "" {
		ev.Text += " (" + reason + ")"
	}
	if err := t.add(ci, &ev); err != nil {
		return inbox.Merge{}, err
	}
	rec.EventID = ev.ID
	t.recompute[into] = true
	delete(t.customers, from)
	t.deleted[from] = true
	return rec, putJSON(t.bucket(bMerges), u64(seq), &rec)
}

// combine folds FROM's counters into INTO's, as if INTO had received them.
func combine(ci, cf *inbox.Customer) {
	ci.MessageCount += cf.MessageCount
	ci.Unread += cf.Unread
	if cf.LastMessageAt.After(ci.LastMessageAt) {
		ci.LastMessageAt, ci.LastPreview = cf.LastMessageAt, cf.LastPreview
	}
	if cf.LastInboundAt.After(ci.LastInboundAt) {
		ci.LastInboundAt, ci.LastChannel = cf.LastInboundAt, cf.LastChannel
	}
	if cf.LastOutAt.After(ci.LastOutAt) {
		ci.LastOutAt = cf.LastOutAt
	}
	if cf.Status == inbox.Open && ci.Status != inbox.Open {
		ci.Status, ci.StatusAt, ci.SnoozedUntil = inbox.Open, cf.StatusAt, time.Time{}
	}
	for _, l := range cf.Labels {
		if !slices.Contains(ci.Labels, l) {
			ci.Labels = append(ci.Labels, l)
		}
	}
}

// move re-keys messages of customer from onto customer to: all of them when
// only is nil, else those listed. It returns the moved IDs in timeline order.
func (t *txn) move(from, to inbox.CustomerID, only map[inbox.MessageID]bool) ([]inbox.MessageID, error) {
	tl := t.bucket(bTimeline)
	prefix := u64(uint64(from))
	type kv struct{ k, v []byte }
	var keys []kv
	cur := tl.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		id := inbox.MessageID(binary.BigEndian.Uint64(k[16:]))
		if only == nil || only[id] {
			keys = append(keys, kv{slices.Clone(k), slices.Clone(v)})
		}
	}
	moved := make([]inbox.MessageID, 0, len(keys))
	for _, e := range keys {
		_, _, id := tlParse(e.k)
		if err := tl.Delete(e.k); err != nil {
			return nil, err
		}
		nk := slices.Clone(e.k)
		binary.BigEndian.PutUint64(nk, uint64(to))
		if err := tl.Put(nk, e.v); err != nil {
			return nil, err
		}
		m, err := t.message(id)
		if err != nil {
			return nil, err
		}
		m.CustomerID = to
		if err := t.bucket(bMessages).Put(u64(uint64(id)), t.messageRecord(m)); err != nil {
			return nil, err
		}
		moved = append(moved, id)
	}
	return moved, nil
}

func cloneCustomer(c *inbox.Customer) inbox.Customer {
	out := *c
	out.Identities = slices.Clone(c.Identities)
	out.Labels = slices.Clone(c.Labels)
	out.Merges = slices.Clone(c.Merges)
	return out
}

// MergeRecord implements inbox.Store.
func (s *Store) MergeRecord(id inbox.MergeID) (inbox.Merge, error) {
	var rec inbox.Merge
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bMerges), u64(uint64(id)), &rec)
		if err == nil && !ok {
			err = inbox.Errorf(inbox.NotFound, "merge %d does not exist", id)
		}
		return err
	})
	return rec, err
}

// Unmerge implements inbox.Store. Both customers come back as the merge
// found them; messages that arrived since go to whichever of the two owns
// their party identity (notes and events stay with INTO).
func (s *Store) Unmerge(id inbox.MergeID, at time.Time) (inbox.Merge, error) {
	var rec inbox.Merge
	err := s.update(func(tx *bolt.Tx) error {
		t := newTxn(tx, at)
		ok, err := getJSON(tx.Bucket(bMerges), u64(uint64(id)), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return inbox.Errorf(inbox.NotFound, "merge %d does not exist", id)
		}
		if !rec.UndoneAt.IsZero() {
			return inbox.Errorf(inbox.Conflict, "merge %d was already undone on %s", id, rec.UndoneAt.Format(time.RFC3339))
		}
		ci, err := t.customer(rec.Into)
		if err != nil {
			return inbox.Errorf(inbox.Conflict, "customer %d of merge %d was merged again since; undo that later merge first", rec.Into, id)
		}
		if tx.Bucket(bCustomers).Get(u64(uint64(rec.From))) != nil {
			return inbox.Errorf(inbox.Conflict, "customer %d of merge %d exists again", rec.From, id)
		}
		// Messages INTO received after the merge, in arrival order.
		all, err := t.timelineMessages(rec.Into)
		if err != nil {
			return err
		}
		later := slices.DeleteFunc(all, func(m *inbox.Message) bool { return m.ID <= rec.EventID })
		slices.SortFunc(later, func(a, b *inbox.Message) int { return int(a.ID) - int(b.ID) })
		// The merge event goes; FROM's messages go back.
		ev, err := t.message(rec.EventID)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bTimeline).Delete(tlKey(rec.Into, ev.SentAt, ev.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bMessages).Delete(u64(uint64(ev.ID))); err != nil {
			return err
		}
		back := map[inbox.MessageID]bool{}
		for _, m := range rec.Moved {
			back[m] = true
		}
		for _, m := range later {
			if m.Direction == inbox.In || m.Direction == inbox.Out {
				if rec.FromBefore.Has(m.Party) {
					back[m.ID] = true
				}
			}
		}
		if _, err := t.move(rec.Into, rec.From, back); err != nil {
			return err
		}
		// Restore both records, then replay what came after the merge.
		into := cloneCustomer(&rec.IntoBefore)
		from := cloneCustomer(&rec.FromBefore)
		for _, idn := range ci.Identities {
			if !into.Has(idn) && !from.Has(idn) {
				into.Identities = append(into.Identities, idn)
			}
		}
		for _, idn := range from.Identities {
			if err := tx.Bucket(bIdentities).Put(identityKey(idn), u64(uint64(from.ID))); err != nil {
				return err
			}
		}
		t.customers[into.ID] = &into
		t.customers[from.ID] = &from
		delete(t.deleted, from.ID)
		for _, m := range later {
			target := &into
			if back[m.ID] {
				target = &from
			}
			if inbox.Apply(target, m) {
				t.recompute[target.ID] = true
			}
		}
		rec.UndoneAt = at
		if err := putJSON(tx.Bucket(bMerges), u64(uint64(id)), &rec); err != nil {
			return err
		}
		return t.flush()
	})
	return rec, err
}
