package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// Timeline keys are customer(8) | sentAt(8) | message(8), big-endian, so one
// customer's messages are contiguous and in time order. Times are Unix
// nanoseconds with the sign bit flipped so dates before 1970 sort first.
const tlKeyLen = 24

var (
	minTime = time.Unix(0, -1<<63+1)
	maxTime = time.Unix(0, 1<<63-1)
)

func tlKey(c inbox.CustomerID, at time.Time, id inbox.MessageID) []byte {
	// Unix nanoseconds cover 1678 to 2262; a broken Date header outside
	// that range sorts at the matching end instead of wrapping around.
	if at.Before(minTime) {
		at = minTime
	} else if at.After(maxTime) {
		at = maxTime
	}
	k := make([]byte, tlKeyLen)
	binary.BigEndian.PutUint64(k[0:], uint64(c))
	binary.BigEndian.PutUint64(k[8:], uint64(at.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[16:], uint64(id))
	return k
}

func tlParse(k []byte) (inbox.CustomerID, time.Time, inbox.MessageID) {
	c := inbox.CustomerID(binary.BigEndian.Uint64(k[0:]))
	at := time.Unix(0, int64(binary.BigEndian.Uint64(k[8:])^(1<<63)))
	id := inbox.MessageID(binary.BigEndian.Uint64(k[16:]))
	return c, at, id
}

// tlValue is the compact entry kept in the timeline key's value, so
// statistics never read message bodies: direction, channel, state, event.
func tlValue(m *inbox.Message) []byte {
	return []byte(string(m.Direction) + "\x00" + string(m.Channel) + "\x00" + string(m.State) + "\x00" + m.Event)
}

func tlEntry(k, v []byte) inbox.Entry {
	_, at, id := tlParse(k)
	parts := bytes.SplitN(v, []byte{0}, 4)
	e := inbox.Entry{ID: id, SentAt: at}
	if len(parts) == 4 {
		e.Direction = inbox.Direction(parts[0])
		e.Channel = inbox.ChannelKind(parts[1])
		e.State = inbox.State(parts[2])
		e.Event = string(parts[3])
	}
	return e
}

// Cursors of timeline pages are the hex of a key's time|message suffix.
func encodeCursor(k []byte) string { return hex.EncodeToString(k[8:]) }

func decodeCursor(c inbox.CustomerID, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return nil, inbox.Errorf(inbox.Invalid, "timeline cursor %q is not one this store gave", s)
	}
	return append(u64(uint64(c)), b...), nil
}

func extKey(ch inbox.ChannelKind, ext string) []byte {
	return []byte(string(ch) + "\x00" + ext)
}

func identityKey(id inbox.Identity) []byte { return []byte(id.String()) }

func cursorKey(account, key string) []byte { return []byte(account + "\x00" + key) }

// txn is one write transaction with a cache of the customers it touches:
// each is decoded once and written once at flush, however many messages it
// receives.
type txn struct {
	tx        *bolt.Tx
	customers map[inbox.CustomerID]*inbox.Customer
	deleted   map[inbox.CustomerID]bool
	recompute map[inbox.CustomerID]bool
	now       time.Time
	touched   map[inbox.CustomerID]bool
	latestIn  map[inbox.CustomerID]time.Time
	scratch   []byte // records are encoded here, then copied (codec.go)
}

func newTxn(tx *bolt.Tx, now time.Time) *txn {
	return &txn{
		tx: tx, now: now,
		customers: map[inbox.CustomerID]*inbox.Customer{},
		deleted:   map[inbox.CustomerID]bool{},
		recompute: map[inbox.CustomerID]bool{},
		touched:   map[inbox.CustomerID]bool{},
		latestIn:  map[inbox.CustomerID]time.Time{},
	}
}

func (t *txn) bucket(name []byte) *bolt.Bucket {
	b := t.tx.Bucket(name)
	switch {
	case bytes.Equal(name, bMessages):
		// Message IDs only grow: fill pages instead of splitting them in half.
		b.FillPercent = 0.95
	case bytes.Equal(name, bCustomers):
		// Customer IDs only grow too; a little room is left because a
		// record is rewritten, a few bytes longer or shorter, by every
		// batch that touches it. Fewer pages are fewer page faults when
		// the app lists every customer at start.
		b.FillPercent = 0.9
	}
	return b
}

// customer returns the cached customer, loading it on first use.
func (t *txn) customer(id inbox.CustomerID) (*inbox.Customer, error) {
	if c, ok := t.customers[id]; ok {
		return c, nil
	}
	if t.deleted[id] {
		return nil, inbox.Errorf(inbox.NotFound, "customer %d does not exist", id)
	}
	c := new(inbox.Customer)
	switch raw := t.bucket(bCustomers).Get(u64(uint64(id))); {
	case raw != nil:
		if err := decodeCustomer(raw, c, nil); err != nil {
			return nil, fmt.Errorf("decode customer %d: %w", id, err)
		}
	case id != inbox.OtherID:
		return nil, inbox.Errorf(inbox.NotFound, "customer %d does not exist", id)
	default:
		*c = inbox.Customer{ID: inbox.OtherID, Name: "Other", Status: inbox.Open, CreatedAt: t.now}
	}
	t.customers[id] = c
	return c, nil
}

// newCustomer creates a customer owning the identity.
func (t *txn) newCustomer(name string, id inbox.Identity) (*inbox.Customer, error) {
	seq, err := t.bucket(bCustomers).NextSequence()
	if err != nil {
		return nil, err
	}
	c := &inbox.Customer{
		ID: inbox.CustomerID(seq), Name: inbox.NameFrom(name, id),
		Identities: []inbox.Identity{id}, Status: inbox.Open, CreatedAt: t.now,
	}
	t.customers[c.ID] = c
	return c, t.bucket(bIdentities).Put(identityKey(id), u64(seq))
}

func (t *txn) owner(id inbox.Identity) (inbox.CustomerID, bool) {
	v := t.bucket(bIdentities).Get(identityKey(id))
	if v == nil {
		return 0, false
	}
	return inbox.CustomerID(binary.BigEndian.Uint64(v)), true
}

// add gives m an ID, puts it on customer c's timeline and applies the rules.
func (t *txn) add(c *inbox.Customer, m *inbox.Message) error {
	seq, err := t.bucket(bMessages).NextSequence()
	if err != nil {
		return err
	}
	m.ID = inbox.MessageID(seq)
	m.CustomerID = c.ID
	if err := t.putMessage(m); err != nil {
		return err
	}
	if err := t.bucket(bTimeline).Put(tlKey(c.ID, m.SentAt, m.ID), tlValue(m)); err != nil {
		return err
	}
	if m.ExternalID != "" && m.Channel != inbox.ChannelNone {
		if err := t.bucket(bExternal).Put(extKey(m.Channel, m.ExternalID), u64(seq)); err != nil {
			return err
		}
	}
	if inbox.Apply(c, m) {
		t.recompute[c.ID] = true
	}
	t.touched[c.ID] = t.touched[c.ID] || m.Direction == inbox.In
	if m.Direction == inbox.In && m.SentAt.After(t.latestIn[c.ID]) {
		t.latestIn[c.ID] = m.SentAt
	}
	return nil
}

func (t *txn) putMessage(m *inbox.Message) error {
	if err := t.bucket(bMessages).Put(u64(uint64(m.ID)), t.messageRecord(m)); err != nil {
		return fmt.Errorf("put message %d: %w", m.ID, err)
	}
	ob := t.bucket(bOutbox)
	if m.Direction == inbox.Out && (m.State == inbox.StateQueued || m.State == inbox.StateSending) {
		return ob.Put(u64(uint64(m.ID)), nil)
	}
	return ob.Delete(u64(uint64(m.ID)))
}

func (t *txn) message(id inbox.MessageID) (*inbox.Message, error) {
	raw := t.bucket(bMessages).Get(u64(uint64(id)))
	if raw == nil {
		return nil, inbox.Errorf(inbox.NotFound, "message %d does not exist", id)
	}
	m := new(inbox.Message)
	if err := decodeMessage(raw, m); err != nil {
		return nil, fmt.Errorf("decode message %d: %w", id, err)
	}
	return m, nil
}

// waiting recomputes WaitingSince from the newest end of the timeline.
func (t *txn) waiting(c *inbox.Customer) {
	if c.Status == inbox.Resolved {
		c.WaitingSince = time.Time{}
		return
	}
	var entries []inbox.Entry
	prefix := u64(uint64(c.ID))
	cur := t.bucket(bTimeline).Cursor()
	k, v := seekLast(cur, prefix)
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Prev() {
		e := tlEntry(k, v)
		entries = append(entries, e)
		if inbox.EndsWait(e) {
			break
		}
	}
	c.WaitingSince = inbox.Waiting(entries)
}

// seekLast positions cur on the last key with the 8-byte prefix (or before).
func seekLast(cur *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	next := binary.BigEndian.Uint64(prefix) + 1
	if next == 0 {
		return cur.Last()
	}
	if k, _ := cur.Seek(u64(next)); k == nil {
		return cur.Last()
	}
	return cur.Prev()
}

// flush writes every cached customer back, after recomputing waiting times.
func (t *txn) flush() error {
	b := t.bucket(bCustomers)
	for id, c := range t.customers {
		if t.recompute[id] && id != inbox.OtherID {
			t.waiting(c)
		}
		if err := b.Put(u64(uint64(id)), t.customerRecord(c)); err != nil {
			return fmt.Errorf("put customer %d: %w", id, err)
		}
	}
	for id := range t.deleted {
		if err := b.Delete(u64(uint64(id))); err != nil {
			return err
		}
	}
	return nil
}
