package inbox

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a Desk; the zero value is usable.
type Options struct {
	// Clock returns the current time; time.Now when nil. Tests pass a fake.
	Clock func() time.Time
	// Phones normalizes phone numbers; E164{} when nil.
	Phones PhoneNormalizer
}

// Desk is the application service: everything a person or a channel does to
// the inbox goes through it. It is safe for concurrent use.
type Desk struct {
	store  Store
	clock  func() time.Time
	phones PhoneNormalizer
	events Broker
	// rules serializes the service rules that read, then write, settings
	// and timelines (pending surveys, acknowledgements, the bot): see
	// service.go.
	rules sync.Mutex
	// names remembers customers' name keys for merge suggestions.
	names nameKeys
}

// NewDesk returns a Desk over store. opts may be nil.
func NewDesk(store Store, opts *Options) *Desk {
	d := &Desk{store: store, clock: time.Now, phones: E164{}}
	if opts != nil {
		if opts.Clock != nil {
			d.clock = opts.Clock
		}
		if opts.Phones != nil {
			d.phones = opts.Phones
		}
	}
	return d
}

// Now returns the Desk's clock reading.
func (d *Desk) Now() time.Time { return d.clock() }

// Phones returns the phone normalizer the Desk uses.
func (d *Desk) Phones() PhoneNormalizer { return d.phones }

// Subscribe returns a subscription to the Desk's changes; it never slows the
// Desk down (see Broker).
func (d *Desk) Subscribe(buffer int) *Subscription { return d.events.Subscribe(buffer) }

// Publish forwards a change from a collaborator (a channel engine's account
// status, say) to subscribers.
func (d *Desk) Publish(ch Change) { d.events.Publish(ch) }

// Ingest commits a channel batch (see Store.Ingest) and tells subscribers.
func (d *Desk) Ingest(ctx context.Context, b Batch) (IngestResult, error) {
	for i := range b.Messages {
		m := &b.Messages[i].Message
		if m.Direction != In && m.Direction != Out {
			return IngestResult{}, Errorf(Invalid, "ingested message %q has direction %q", m.ExternalID, m.Direction)
		}
		if m.ReceivedAt.IsZero() {
			m.ReceivedAt = d.clock()
		}
		if m.SentAt.IsZero() {
			m.SentAt = m.ReceivedAt
		}
	}
	// Sender rules and survey answers decide how a message is stored, so
	// they run before the commit (service.go).
	plan := d.beforeIngest(&b)
	res, err := d.store.Ingest(ctx, b, d.clock())
	if err != nil {
		return res, err
	}
	for id, inbound := range res.Touched {
		d.events.Publish(Change{Kind: CustomerChanged, Customer: id, Inbound: inbound})
	}
	// Continuity summaries, acknowledgements and the level-1 bot act on
	// what was stored; they never fail the ingest (service.go).
	d.afterIngest(ctx, res, plan)
	return res, nil
}

// Filter selects customers for a list. The zero Filter lists every customer
// except "Other".
type Filter struct {
	Status  Status      // "" for any
	Channel ChannelKind // "" for any
	Unread  bool
	Query   string // substring of name or identity address, case-insensitive
}

// Customers lists the customers matching f, those waiting longest for an
// answer first, then the most recently active.
func (d *Desk) Customers(f Filter) ([]Customer, error) {
	all, err := d.store.Customers()
	if err != nil {
		return nil, err
	}
	now := d.clock()
	q := strings.ToLower(strings.TrimSpace(f.Query))
	out := all[:0]
	for _, c := range all {
		if c.ID == OtherID {
			continue
		}
		if c.Status == Snoozed && c.EffectiveStatus(now) == Open {
			c.Status = Open
		}
		if f.Status != "" && c.Status != f.Status {
			continue
		}
		if f.Unread && c.Unread == 0 {
			continue
		}
		if f.Channel != "" && !hasKind(c.Identities, f.Channel.IdentityKind()) {
			continue
		}
		if q != "" && !matches(&c, q) {
			continue
		}
		out = append(out, c)
	}
	SortByWaiting(out)
	return out, nil
}

// SortByWaiting orders customers: those the bot escalated to a person
// first (label LabelEscalated), then those waiting for an answer, the
// longest wait on top; then the others, most recent activity first.
func SortByWaiting(cs []Customer) {
	// Sorting small keys and moving each customer once is several times
	// faster, on 50,000 customers, than sorting the records themselves.
	type key struct {
		escalated, waits bool
		at               time.Time // waiting since, or last message
		id               CustomerID
		i                int
	}
	keys := make([]key, len(cs))
	for i := range cs {
		c := &cs[i]
		k := key{escalated: c.Escalated(), waits: !c.WaitingSince.IsZero(), at: c.LastMessageAt, id: c.ID, i: i}
		if k.waits {
			k.at = c.WaitingSince
		}
		keys[i] = k
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.escalated != b.escalated {
			if a.escalated {
				return -1
			}
			return 1
		}
		switch {
		case a.waits && !b.waits:
			return -1
		case !a.waits && b.waits:
			return 1
		case a.waits:
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
		default:
			if c := b.at.Compare(a.at); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.id, b.id)
	})
	sorted := make([]Customer, len(cs))
	for j, k := range keys {
		sorted[j] = cs[k.i]
	}
	copy(cs, sorted)
}

func hasKind(ids []Identity, k IdentityKind) bool {
	for _, id := range ids {
		if id.Kind == k {
			return true
		}
	}
	return false
}

func matches(c *Customer, q string) bool {
	if strings.Contains(strings.ToLower(c.Name), q) {
		return true
	}
	for _, id := range c.Identities {
		if strings.Contains(id.Address, q) {
			return true
		}
	}
	return false
}

// Customer returns one customer.
func (d *Desk) Customer(id CustomerID) (Customer, error) { return d.store.Customer(id) }

// Timeline returns a page of the customer's timeline, oldest first; before is
// "" for the newest page or the Before cursor of the previous page.
func (d *Desk) Timeline(id CustomerID, before string, limit int) (Page, error) {
	if limit <= 0 {
		limit = 50
	}
	return d.store.Timeline(id, before, limit)
}

// Message returns one message.
func (d *Desk) Message(id MessageID) (Message, error) { return d.store.Message(id) }

// Note adds an internal note to the customer's timeline.
func (d *Desk) Note(id CustomerID, author, text string) (Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Message{}, Errorf(Invalid, "the note is empty")
	}
	m := Message{Direction: Note, Text: text, Author: author, SentAt: d.clock()}
	return d.writeOne(id, nil, m)
}

// Resolve marks the customer's story done. Nothing waits any more, an
// escalation is over, and the survey goes out when enabled (service.go).
func (d *Desk) Resolve(id CustomerID, author string) (Customer, error) {
	now := d.clock()
	c, err := d.setStatus(id, author, EventResolved, func(c *Customer) error {
		c.Status, c.StatusAt, c.SnoozedUntil = Resolved, now, time.Time{}
		c.WaitingSince = time.Time{}
		c.Labels = dropLabel(c.Labels, LabelEscalated)
		return nil
	})
	if err == nil {
		d.afterResolve(&c)
	}
	return c, err
}

// Reopen puts the customer back in the open list.
func (d *Desk) Reopen(id CustomerID, author string) (Customer, error) {
	now := d.clock()
	return d.setStatus(id, author, EventReopened, func(c *Customer) error {
		c.Status, c.StatusAt, c.SnoozedUntil = Open, now, time.Time{}
		return nil
	})
}

// MarkPending says the story waits on the customer: nothing waits on the
// business any more, so the customer leaves the top of the list.
func (d *Desk) MarkPending(id CustomerID, author string) (Customer, error) {
	now := d.clock()
	return d.setStatus(id, author, EventPending, func(c *Customer) error {
		c.Status, c.StatusAt, c.SnoozedUntil = Pending, now, time.Time{}
		c.WaitingSince = time.Time{}
		return nil
	})
}

// Snooze hides the customer until the given time; a new inbound message on
// any channel wakes them earlier.
func (d *Desk) Snooze(id CustomerID, author string, until time.Time) (Customer, error) {
	now := d.clock()
	if !until.After(now) {
		return Customer{}, Errorf(Invalid, "snooze until %s is not in the future", until.Format(time.RFC3339))
	}
	return d.setStatus(id, author, EventSnoozed, func(c *Customer) error {
		c.Status, c.StatusAt, c.SnoozedUntil = Snoozed, now, until
		return nil
	})
}

func (d *Desk) setStatus(id CustomerID, author, event string, update func(*Customer) error) (Customer, error) {
	if id == OtherID {
		return Customer{}, Errorf(Invalid, "the Other view has no status")
	}
	ev := Message{Direction: Event, Event: event, Text: event, Author: author, SentAt: d.clock()}
	c, _, err := d.store.Write(id, update, ev)
	if err != nil {
		return Customer{}, err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: id})
	return c, nil
}

// Rename changes the customer's display name.
func (d *Desk) Rename(id CustomerID, name string) (Customer, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Customer{}, Errorf(Invalid, "the name is empty")
	}
	c, _, err := d.store.Write(id, func(c *Customer) error { c.Name = name; return nil })
	if err == nil {
		d.events.Publish(Change{Kind: CustomerChanged, Customer: id})
	}
	return c, err
}

// MarkRead marks the customer's unread messages read and clears the
// unread count, in one transaction (Store.MarkRead). Read e-mail is also
// queued to be marked read on the server (FlagSeen), so other mail clients
// show it read; the outbox worker applies the queue when the server can
// be reached.
func (d *Desk) MarkRead(id CustomerID) (Customer, error) {
	c, queued, err := d.store.MarkRead(id, flagged, d.clock())
	if err != nil {
		return c, err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: id})
	if queued > 0 {
		d.events.Publish(Change{Kind: FlagsQueued, Customer: id})
	}
	return c, nil
}

func (d *Desk) writeOne(id CustomerID, update func(*Customer) error, m Message) (Message, error) {
	_, ms, err := d.store.Write(id, update, m)
	if err != nil {
		return Message{}, err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: id, Message: ms[0].ID})
	return ms[0], nil
}

// Reply is an answer to send.
type Reply struct {
	Customer CustomerID
	Channel  ChannelKind
	// To picks one of the customer's identities; zero means the one the
	// customer last wrote from on Channel, else their first of its kind.
	To      Identity
	Subject string // e-mail only; "Re: <last subject>" when empty
	Text    string
	// HTML is the e-mail's HTML alternative of Text, escaped and safe
	// (RenderAnswer makes it); "" sends plain text only.
	HTML   string
	Author string
	// Event marks an automatic message on the timeline (EventAck,
	// EventBotAnswer, EventSurvey); "" for a person's answer.
	Event string
	// Auto is the Auto-Submitted value the message carries (Message.Auto).
	Auto string
	// Survey is the survey a question asks (Event EventSurvey).
	Survey *SurveyScore
	// Attachments are files already in the blob store (PutAttachment).
	// They must fit the channel's limits (CheckAttachments); with files,
	// the text may be empty.
	Attachments []Attachment
}

// Reply queues an answer in the outbox: it is on the timeline at once, in
// state queued, and the channel's outbox worker sends it. Files that the
// channel cannot carry are refused before anything is queued (Invalid).
func (d *Desk) Reply(ctx context.Context, r Reply) (Message, error) {
	text := strings.TrimSpace(r.Text)
	if text == "" && len(r.Attachments) == 0 {
		return Message{}, Errorf(Invalid, "the answer is empty")
	}
	if err := CheckAttachments(r.Channel, r.Attachments); err != nil {
		return Message{}, err
	}
	if r.Customer == OtherID {
		return Message{}, Errorf(Invalid, "answer a customer, not the Other view")
	}
	c, err := d.store.Customer(r.Customer)
	if err != nil {
		return Message{}, err
	}
	kind := r.Channel.IdentityKind()
	if kind == "" {
		return Message{}, Errorf(Invalid, "unknown channel %q", r.Channel)
	}
	last, err := d.lastOn(r.Customer, r.Channel, r.To)
	if err != nil {
		return Message{}, err
	}
	to := r.To
	if to == (Identity{}) {
		to = last.Party
	}
	if to == (Identity{}) {
		for _, id := range c.Identities {
			if id.Kind == kind {
				to = id
				break
			}
		}
	}
	if to.Kind != kind || !c.Has(to) {
		return Message{}, Errorf(Invalid, "%s has no %s address to answer on", c.Name, r.Channel)
	}
	m := Message{
		Direction: Out, Channel: r.Channel, Account: last.Account,
		Party: to, To: to.Address, Text: text, Author: r.Author,
		SentAt: d.clock(), State: StateQueued,
		Event: r.Event, Auto: r.Auto, Survey: r.Survey,
		Attachments: slices.Clone(r.Attachments),
	}
	if r.Channel == ChannelEmail {
		m.HTML = r.HTML
		m.Subject = strings.TrimSpace(r.Subject)
		if m.Subject == "" && last.Subject != "" {
			m.Subject = ReplySubject(last.Subject)
		}
		if last.ExternalID != "" {
			m.ThreadRefs = append(append([]string(nil), last.ThreadRefs...), last.ExternalID)
		}
	}
	var update func(*Customer) error
	if r.Event == "" {
		// A person answered: the escalation is served.
		update = func(c *Customer) error { c.Labels = dropLabel(c.Labels, LabelEscalated); return nil }
	}
	return d.writeOne(r.Customer, update, m)
}

// ReplySubject prefixes "Re: " unless the subject already has it.
func ReplySubject(s string) string {
	t := strings.TrimSpace(s)
	if len(t) >= 3 && strings.EqualFold(t[:3], "re:") {
		return t
	}
	return "Re: " + t
}

// lastOn finds the newest message of the customer on the channel (from the
// given identity when set), looking back through at most a few pages.
func (d *Desk) lastOn(id CustomerID, ch ChannelKind, party Identity) (Message, error) {
	before := ""
	for range 20 {
		p, err := d.store.Timeline(id, before, 100)
		if err != nil {
			return Message{}, err
		}
		for i := len(p.Messages) - 1; i >= 0; i-- {
			m := p.Messages[i]
			if m.Channel == ch && (m.Direction == In || m.Direction == Out) && (party == (Identity{}) || m.Party == party) {
				return m, nil
			}
		}
		if p.Before == "" {
			break
		}
		before = p.Before
	}
	return Message{}, nil
}

// DefaultChannel is the channel the reply box opens on: the channel of the
// customer's last inbound message, else of their first identity.
func DefaultChannel(c *Customer) ChannelKind {
	if c.LastChannel != "" {
		return c.LastChannel
	}
	for _, id := range c.Identities {
		switch id.Kind {
		case KindEmail:
			return ChannelEmail
		case KindPhone:
			return ChannelSMS
		case KindTelegram:
			return ChannelTelegram
		case KindMatrix:
			return ChannelMatrix
		}
	}
	return ChannelNone
}

// Merge moves FROM into INTO: identities, messages and history. It returns
// the merge record; Unmerge undoes it exactly.
func (d *Desk) Merge(into, from CustomerID, reason string) (Merge, error) {
	if into == from {
		return Merge{}, Errorf(Invalid, "cannot merge customer %d into itself", into)
	}
	if into == OtherID || from == OtherID {
		return Merge{}, Errorf(Invalid, "the Other view cannot be merged")
	}
	m, err := d.store.Merge(into, from, d.clock(), reason)
	if err != nil {
		return m, err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: into})
	d.events.Publish(Change{Kind: CustomerChanged, Customer: from})
	return m, nil
}

// Unmerge undoes a merge: both customers are back as they were, and messages
// that arrived since on FROM's identities go back to FROM.
func (d *Desk) Unmerge(id MergeID) (Merge, error) {
	m, err := d.store.Unmerge(id, d.clock())
	if err != nil {
		return m, err
	}
	d.events.Publish(Change{Kind: CustomerChanged, Customer: m.Into})
	d.events.Publish(Change{Kind: CustomerChanged, Customer: m.From})
	return m, nil
}

// MergeRecord returns one entry of the merge audit trail.
func (d *Desk) MergeRecord(id MergeID) (Merge, error) { return d.store.MergeRecord(id) }

// Search answers a full-text query.
func (d *Desk) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, Errorf(Invalid, "the search is empty")
	}
	if limit <= 0 {
		limit = 50
	}
	return d.store.Search(ctx, query, limit)
}

// Store returns the store the Desk works on.
func (d *Desk) Store() Store { return d.store }
