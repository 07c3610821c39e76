package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/couture/couture/inbox"
)

// Customer and message records are stored in a compact binary form. A record
// starts with a format byte:
//
//	'{'        JSON, as every record was before the binary form existed; still
//	           read, and rewritten in binary the next time the record is put
//	codecV1    the binary form below
//
// After codecV1 the fields follow in the order of the Go struct, each as
//
//	integer    zig-zag varint (binary.AppendVarint); IDs and counts uvarint
//	string     uvarint length, then the bytes as they are
//	bool       one byte, 0 or 1
//	time       uvarint nanoseconds<<2 | form, form 0 the zero time (nothing
//	           follows, and nanoseconds are 0), 1 UTC, 2 another offset;
//	           then the varint Unix seconds; form 2 then the varint offset
//	           east of UTC in seconds
//	slice      uvarint element count, then the elements
//	pointer    a bool, then the value when it is true
//
// Decoding gives what a JSON round trip gave, so nothing that read the store
// sees a difference: times come back in UTC, in time.Local when its offset at
// that instant is the stored one, else in an unnamed fixed zone (a zero time
// always as time.Time{}); slices JSON omitted when empty (omitempty) come
// back nil when empty, while Customer.Identities keeps nil apart from empty
// (its count is stored plus one, 0 meaning nil). Unlike JSON, strings keep
// invalid UTF-8 as it is and offsets keep their seconds. A record that ends
// early, runs on or holds an impossible value is an error, never a panic.
//
// A field added to inbox.Customer or inbox.Message must be added here
// (TestCodecCoversEveryField fails until it is), at the end of its record,
// and read only when the record has bytes left (d.off < len(d.raw)): records
// written before the field existed end earlier and decode with it zero.
const codecV1 = 0x01

// Time forms.
const (
	timeZero   = 0
	timeUTC    = 1
	timeOffset = 2
)

// errTruncated and errCorrupt describe records that cannot be decoded.
var (
	errTruncated = errors.New("record ends early")
	errCorrupt   = errors.New("record is corrupt")
)

// appendCustomer appends the binary record of c to dst.
func appendCustomer(dst []byte, c *inbox.Customer) []byte {
	e := encoder(dst)
	e = append(e, codecV1)
	e = e.uvarint(uint64(c.ID))
	e = e.str(c.Name)
	if c.Identities == nil {
		e = e.uvarint(0)
	} else {
		e = e.uvarint(uint64(len(c.Identities)) + 1)
	}
	for _, id := range c.Identities {
		e = e.identity(id)
	}
	e = e.str(string(c.Status))
	e = e.time(c.StatusAt)
	e = e.time(c.SnoozedUntil)
	e = e.time(c.WaitingSince)
	e = e.time(c.LastMessageAt)
	e = e.time(c.LastInboundAt)
	e = e.time(c.LastOutAt)
	e = e.str(string(c.LastChannel))
	e = e.str(c.LastPreview)
	e = e.varint(int64(c.MessageCount))
	e = e.varint(int64(c.Unread))
	e = e.uvarint(uint64(len(c.Labels)))
	for _, l := range c.Labels {
		e = e.str(l)
	}
	e = e.time(c.CreatedAt)
	e = e.uvarint(uint64(len(c.Merges)))
	for _, m := range c.Merges {
		e = e.uvarint(uint64(m))
	}
	return e
}

// decodeCustomer decodes a customer record, binary or JSON, into c, which
// it overwrites. The strings of c share one copy of raw; raw itself is not
// kept. ids, when not nil, is a slab the identities are cut from.
func decodeCustomer(raw []byte, c *inbox.Customer, ids *identitySlab) error {
	if len(raw) > 0 && raw[0] == '{' {
		*c = inbox.Customer{}
		return json.Unmarshal(raw, c)
	}
	d := newDecoder(raw)
	*c = inbox.Customer{}
	c.ID = inbox.CustomerID(d.uvarint())
	c.Name = d.str()
	if n := d.count(); n > 0 {
		c.Identities = ids.take(n - 1)
		for i := range c.Identities {
			c.Identities[i] = d.identity()
		}
	}
	c.Status = inbox.Status(d.str())
	c.StatusAt = d.time()
	c.SnoozedUntil = d.time()
	c.WaitingSince = d.time()
	c.LastMessageAt = d.time()
	c.LastInboundAt = d.time()
	c.LastOutAt = d.time()
	c.LastChannel = inbox.ChannelKind(d.str())
	c.LastPreview = d.str()
	c.MessageCount = d.int()
	c.Unread = d.int()
	if n := d.count(); n > 0 {
		c.Labels = make([]string, n)
		for i := range c.Labels {
			c.Labels[i] = d.str()
		}
	}
	c.CreatedAt = d.time()
	if n := d.count(); n > 0 {
		c.Merges = make([]inbox.MergeID, n)
		for i := range c.Merges {
			c.Merges[i] = inbox.MergeID(d.uvarint())
		}
	}
	return d.finish()
}

// appendMessage appends the binary record of m to dst.
func appendMessage(dst []byte, m *inbox.Message) []byte {
	e := encoder(dst)
	e = append(e, codecV1)
	e = e.uvarint(uint64(m.ID))
	e = e.uvarint(uint64(m.CustomerID))
	e = e.str(string(m.Channel))
	e = e.str(m.Account)
	e = e.str(string(m.Direction))
	e = e.str(m.From)
	e = e.str(m.FromName)
	e = e.str(m.To)
	e = e.identity(m.Party)
	e = e.str(m.ExternalID)
	e = e.uvarint(uint64(len(m.ThreadRefs)))
	for _, r := range m.ThreadRefs {
		e = e.str(r)
	}
	e = e.str(m.Subject)
	e = e.str(m.Text)
	e = e.str(m.HTML)
	e = e.uvarint(uint64(len(m.Attachments)))
	for i := range m.Attachments {
		a := &m.Attachments[i]
		e = e.str(a.Name)
		e = e.str(a.Type)
		e = e.varint(a.Size)
		e = e.str(a.Blob)
		e = e.str(a.ContentID)
		e = e.bool(a.Inline)
	}
	e = e.time(m.SentAt)
	e = e.time(m.ReceivedAt)
	e = e.str(string(m.State))
	e = e.str(m.Event)
	e = e.str(m.Author)
	e = e.str(m.Warning)
	e = e.str(m.Raw)
	e = e.bool(m.Seen)
	e = e.str(m.Error)
	e = e.str(m.Auto)
	e = e.bool(m.Survey != nil)
	if m.Survey != nil {
		e = e.str(string(m.Survey.Kind))
		e = e.varint(int64(m.Survey.Score))
	}
	return e
}

// customerRecord and messageRecord return the binary record of a value in
// a buffer of its own: bbolt keeps a Put value until the transaction ends,
// so the scratch buffer they encode into is never handed over.
func (t *txn) customerRecord(c *inbox.Customer) []byte {
	t.scratch = appendCustomer(t.scratch[:0], c)
	return bytes.Clone(t.scratch)
}

func (t *txn) messageRecord(m *inbox.Message) []byte {
	t.scratch = appendMessage(t.scratch[:0], m)
	return bytes.Clone(t.scratch)
}

// decodeMessage decodes a message record, binary or JSON, into m, which it
// overwrites. The strings of m share one copy of raw; raw is not kept.
func decodeMessage(raw []byte, m *inbox.Message) error {
	if len(raw) > 0 && raw[0] == '{' {
		*m = inbox.Message{}
		return json.Unmarshal(raw, m)
	}
	d := newDecoder(raw)
	*m = inbox.Message{}
	m.ID = inbox.MessageID(d.uvarint())
	m.CustomerID = inbox.CustomerID(d.uvarint())
	m.Channel = inbox.ChannelKind(d.str())
	m.Account = d.str()
	m.Direction = inbox.Direction(d.str())
	m.From = d.str()
	m.FromName = d.str()
	m.To = d.str()
	m.Party = d.identity()
	m.ExternalID = d.str()
	if n := d.count(); n > 0 {
		m.ThreadRefs = make([]string, n)
		for i := range m.ThreadRefs {
			m.ThreadRefs[i] = d.str()
		}
	}
	m.Subject = d.str()
	m.Text = d.str()
	m.HTML = d.str()
	if n := d.count(); n > 0 {
		m.Attachments = make([]inbox.Attachment, n)
		for i := range m.Attachments {
			a := &m.Attachments[i]
			a.Name = d.str()
			a.Type = d.str()
			a.Size = d.varint()
			a.Blob = d.str()
			a.ContentID = d.str()
			a.Inline = d.bool()
		}
	}
	m.SentAt = d.time()
	m.ReceivedAt = d.time()
	m.State = inbox.State(d.str())
	m.Event = d.str()
	m.Author = d.str()
	m.Warning = d.str()
	m.Raw = d.str()
	m.Seen = d.bool()
	m.Error = d.str()
	m.Auto = d.str()
	if d.bool() {
		m.Survey = &inbox.SurveyScore{Kind: inbox.SurveyKind(d.str()), Score: d.int()}
	}
	return d.finish()
}

// encoder appends the parts of a binary record.
type encoder []byte

func (e encoder) uvarint(n uint64) encoder { return binary.AppendUvarint(e, n) }

func (e encoder) varint(n int64) encoder { return binary.AppendVarint(e, n) }

func (e encoder) str(s string) encoder {
	return append(binary.AppendUvarint(e, uint64(len(s))), s...)
}

func (e encoder) bool(b bool) encoder {
	if b {
		return append(e, 1)
	}
	return append(e, 0)
}

func (e encoder) identity(id inbox.Identity) encoder {
	return e.str(string(id.Kind)).str(id.Address)
}

func (e encoder) time(t time.Time) encoder {
	if t.IsZero() {
		return append(e, timeZero)
	}
	_, offset := t.Zone()
	form := uint64(timeUTC)
	if offset != 0 {
		form = timeOffset
	}
	e = e.uvarint(uint64(t.Nanosecond())<<2 | form).varint(t.Unix())
	if offset != 0 {
		e = e.varint(int64(offset))
	}
	return e
}

// decoder reads a binary record. The first problem sticks: later reads
// return zero values and finish reports it.
type decoder struct {
	raw []byte
	s   string // a copy of raw: decoded strings are slices of it
	off int
	err error
}

func newDecoder(raw []byte) decoder {
	d := decoder{raw: raw, off: 1}
	switch {
	case len(raw) == 0:
		d.err = errTruncated
	case raw[0] != codecV1:
		d.err = fmt.Errorf("unknown record format %#x", raw[0])
	default:
		d.s = string(raw)
	}
	return d
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// finish reports the first problem, or bytes left over after the record.
func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.raw) {
		d.err = fmt.Errorf("%w: %d bytes after the end", errCorrupt, len(d.raw)-d.off)
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.raw[d.off:])
	if k <= 0 {
		if k == 0 {
			d.fail(errTruncated)
		} else {
			d.fail(fmt.Errorf("%w: varint overflows 64 bits", errCorrupt))
		}
		return 0
	}
	d.off += k
	return n
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.raw[d.off:])
	if k <= 0 {
		if k == 0 {
			d.fail(errTruncated)
		} else {
			d.fail(fmt.Errorf("%w: varint overflows 64 bits", errCorrupt))
		}
		return 0
	}
	d.off += k
	return n
}

func (d *decoder) int() int {
	n := d.varint()
	if int64(int(n)) != n {
		d.fail(fmt.Errorf("%w: integer %d out of range", errCorrupt, n))
		return 0
	}
	return int(n)
}

// count reads an element count. Every element takes at least one byte, so
// a count larger than what is left is corrupt, not a reason to allocate.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.raw)-d.off)+1 {
		d.fail(fmt.Errorf("%w: %d elements in %d bytes", errCorrupt, n, len(d.raw)-d.off))
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.raw)-d.off) {
		d.fail(errTruncated)
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if d.off >= len(d.raw) {
		d.fail(errTruncated)
		return false
	}
	b := d.raw[d.off]
	d.off++
	if b > 1 {
		d.fail(fmt.Errorf("%w: bool %d", errCorrupt, b))
	}
	return b == 1
}

func (d *decoder) identity() inbox.Identity {
	return inbox.Identity{Kind: inbox.IdentityKind(d.str()), Address: d.str()}
}

func (d *decoder) time() time.Time {
	head := d.uvarint()
	form, nsec := head&3, head>>2
	if form == timeZero && nsec == 0 || d.err != nil {
		return time.Time{}
	}
	if form == timeZero || form > timeOffset || nsec >= 1e9 {
		d.fail(fmt.Errorf("%w: time header %#x", errCorrupt, head))
		return time.Time{}
	}
	t := time.Unix(d.varint(), int64(nsec))
	if form == timeUTC {
		return t.UTC()
	}
	offset := d.varint()
	if offset == 0 || offset < math.MinInt32 || offset > math.MaxInt32 {
		d.fail(fmt.Errorf("%w: zone offset %d", errCorrupt, offset))
		return time.Time{}
	}
	// As time.Parse does for a numeric offset: the local zone when it has
	// that offset at t, else an unnamed fixed zone.
	if _, local := t.Zone(); local == int(offset) {
		return t
	}
	return t.In(fixedZone(int(offset)))
}

// quarterZones holds the unnamed fixed zones of the offsets people use, a
// whole number of quarter hours within a day of UTC, once made: decoding a
// time in +05:30 then allocates nothing (time.FixedZone keeps whole hours
// only).
var quarterZones [2*24*4 + 1]atomic.Pointer[time.Location]

// fixedZone returns time.FixedZone("", offset).
func fixedZone(offset int) *time.Location {
	const quarter = 15 * 60
	i := offset/quarter + len(quarterZones)/2
	if offset%quarter != 0 || i < 0 || i >= len(quarterZones) {
		return time.FixedZone("", offset)
	}
	if l := quarterZones[i].Load(); l != nil {
		return l
	}
	l := time.FixedZone("", offset)
	quarterZones[i].CompareAndSwap(nil, l)
	return quarterZones[i].Load()
}

// identitySlab hands out identity slices cut from large blocks, so decoding
// every customer does not allocate one slice per customer. A nil slab
// allocates each slice on its own.
type identitySlab struct{ free []inbox.Identity }

// take returns n zeroed identities, or an empty non-nil slice when n is 0.
// The slice has no spare capacity: appending to it copies.
func (s *identitySlab) take(n int) []inbox.Identity {
	if s == nil || n == 0 {
		return make([]inbox.Identity, n)
	}
	if n > len(s.free) {
		s.free = make([]inbox.Identity, max(n, 1024))
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}
