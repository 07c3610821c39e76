package inbox

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// step is one thing that happens to a customer in an Apply story: a message
// (dir In, Out or Note) or, when op is set, a person setting the status at min
// the way the Desk does (Resolve clears WaitingSince).
type step struct {
	dir  Direction
	ch   ChannelKind
	min  int
	text string
	seen bool
	op   Status
	// until is the end of a snooze, in minutes.
	until int
	// recompute is what Apply must return for a message step.
	recompute bool
}

// replay applies steps to a customer the way a Store does: Apply for every
// message, and when Apply asks for it, WaitingSince recomputed from the
// timeline with Waiting.
type replay struct {
	t        *testing.T
	c        Customer
	timeline []Entry // oldest first
}

func newReplay(t *testing.T) *replay {
	return &replay{t: t, c: Customer{ID: 1, Name: "Anna", Status: Open, StatusAt: at(0), CreatedAt: at(0)}}
}

func (r *replay) run(steps []step) {
	r.t.Helper()
	for i, s := range steps {
		if s.op != "" {
			r.setStatus(s)
			continue
		}
		m := Message{Direction: s.dir, Channel: s.ch, SentAt: at(s.min), Text: s.text, Seen: s.seen}
		got := r.apply(&m)
		if got != s.recompute {
			r.t.Errorf("step %d (%s at %d): Apply returned recompute %v, want %v", i, s.dir, s.min, got, s.recompute)
		}
	}
}

func (r *replay) apply(m *Message) bool {
	recompute := Apply(&r.c, m)
	r.timeline = append(r.timeline, Entry{ID: MessageID(len(r.timeline) + 1), SentAt: m.SentAt, Direction: m.Direction, Channel: m.Channel, Event: m.Event})
	slices.SortStableFunc(r.timeline, func(a, b Entry) int { return a.SentAt.Compare(b.SentAt) })
	if recompute {
		newestFirst := slices.Clone(r.timeline)
		slices.Reverse(newestFirst)
		r.c.WaitingSince = Waiting(newestFirst)
	}
	return recompute
}

// setStatus does what Desk.Resolve, MarkPending and Snooze do: an event on
// the timeline, then the status update.
func (r *replay) setStatus(s step) {
	ev := map[Status]string{Resolved: EventResolved, Pending: EventPending, Snoozed: EventSnoozed, Open: EventReopened}[s.op]
	r.apply(&Message{Direction: Event, Event: ev, Text: ev, SentAt: at(s.min)})
	r.c.Status, r.c.StatusAt, r.c.SnoozedUntil = s.op, at(s.min), time.Time{}
	switch s.op {
	case Resolved:
		r.c.WaitingSince = time.Time{}
	case Snoozed:
		r.c.SnoozedUntil = at(s.until)
	}
}

func stepIn(ch ChannelKind, min int) step  { return step{dir: In, ch: ch, min: min, text: "in"} }
func stepOut(ch ChannelKind, min int) step { return step{dir: Out, ch: ch, min: min, text: "out"} }
func stepAnswer(ch ChannelKind, min int) step {
	return step{dir: Out, ch: ch, min: min, text: "out", recompute: true}
}
func stepStatus(s Status, min int) step { return step{op: s, min: min} }

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		// Expected customer, times in minutes after t0, -1 for zero.
		status    Status
		statusAt  int
		waiting   int
		lastOut   int
		lastIn    int
		channel   ChannelKind
		unread    int
		count     int
		snoozedTo int
	}{
		{
			name:   "inbound sets waiting-since",
			steps:  []step{stepIn(ChannelEmail, 10)},
			status: Open, statusAt: 0, waiting: 10, lastOut: -1, lastIn: 10, channel: ChannelEmail, unread: 1, count: 1, snoozedTo: -1,
		},
		{
			name:   "waiting-since is the oldest unanswered inbound",
			steps:  []step{stepIn(ChannelEmail, 10), stepIn(ChannelSMS, 20)},
			status: Open, statusAt: 0, waiting: 10, lastOut: -1, lastIn: 20, channel: ChannelSMS, unread: 2, count: 2, snoozedTo: -1,
		},
		{
			name:   "backfilled older inbound moves waiting-since back",
			steps:  []step{stepIn(ChannelEmail, 20), stepIn(ChannelEmail, 10)},
			status: Open, statusAt: 0, waiting: 10, lastOut: -1, lastIn: 20, channel: ChannelEmail, unread: 2, count: 2, snoozedTo: -1,
		},
		{
			name:   "older inbound after a newer outbound does not wait",
			steps:  []step{stepOut(ChannelEmail, 30), stepIn(ChannelEmail, 10)},
			status: Pending, statusAt: 30, waiting: -1, lastOut: 30, lastIn: 10, channel: ChannelEmail, unread: 1, count: 2, snoozedTo: -1,
		},
		{
			name:   "seen inbound is not unread",
			steps:  []step{{dir: In, ch: ChannelEmail, min: 10, seen: true}},
			status: Open, statusAt: 0, waiting: 10, lastOut: -1, lastIn: 10, channel: ChannelEmail, unread: 0, count: 1, snoozedTo: -1,
		},
		{
			name:   "outbound answers everything before it",
			steps:  []step{stepIn(ChannelEmail, 10), stepIn(ChannelSMS, 20), stepAnswer(ChannelSMS, 30)},
			status: Pending, statusAt: 30, waiting: -1, lastOut: 30, lastIn: 20, channel: ChannelSMS, unread: 2, count: 3, snoozedTo: -1,
		},
		{
			name:   "backfilled outbound between inbounds leaves the newer one waiting",
			steps:  []step{stepIn(ChannelEmail, 10), stepIn(ChannelEmail, 30), stepAnswer(ChannelEmail, 20)},
			status: Open, statusAt: 0, waiting: 30, lastOut: 20, lastIn: 30, channel: ChannelEmail, unread: 2, count: 3, snoozedTo: -1,
		},
		{
			name:   "outbound older than waiting-since asks no recompute",
			steps:  []step{stepIn(ChannelEmail, 30), stepOut(ChannelEmail, 20)},
			status: Open, statusAt: 0, waiting: 30, lastOut: 20, lastIn: 30, channel: ChannelEmail, unread: 1, count: 2, snoozedTo: -1,
		},
		{
			name:   "outbound older than the last outbound changes nothing",
			steps:  []step{stepOut(ChannelEmail, 20), stepIn(ChannelEmail, 30), stepOut(ChannelEmail, 10)},
			status: Open, statusAt: 30, waiting: 30, lastOut: 20, lastIn: 30, channel: ChannelEmail, unread: 1, count: 3, snoozedTo: -1,
		},
		{
			name:   "outbound on an open customer makes it pending",
			steps:  []step{stepIn(ChannelWhatsApp, 10), stepAnswer(ChannelWhatsApp, 15)},
			status: Pending, statusAt: 15, waiting: -1, lastOut: 15, lastIn: 10, channel: ChannelWhatsApp, unread: 1, count: 2, snoozedTo: -1,
		},
		{
			name:   "outbound older than the last inbound keeps the customer open",
			steps:  []step{stepIn(ChannelEmail, 30), stepOut(ChannelEmail, 20)},
			status: Open, statusAt: 0, waiting: 30, lastOut: 20, lastIn: 30, channel: ChannelEmail, unread: 1, count: 2, snoozedTo: -1,
		},
		{
			name:   "outbound older than a manual reopen keeps the customer open",
			steps:  []step{stepStatus(Open, 40), stepOut(ChannelEmail, 20)},
			status: Open, statusAt: 40, waiting: -1, lastOut: 20, lastIn: -1, channel: "", unread: 0, count: 2, snoozedTo: -1,
		},
		{
			name:   "outbound on a resolved customer keeps it resolved",
			steps:  []step{stepIn(ChannelEmail, 10), stepStatus(Resolved, 20), stepOut(ChannelEmail, 30)},
			status: Resolved, statusAt: 20, waiting: -1, lastOut: 30, lastIn: 10, channel: ChannelEmail, unread: 1, count: 3, snoozedTo: -1,
		},
		{
			name:   "inbound reopens a resolved customer",
			steps:  []step{stepIn(ChannelEmail, 10), stepAnswer(ChannelEmail, 20), stepStatus(Resolved, 30), stepIn(ChannelTelegram, 40)},
			status: Open, statusAt: 40, waiting: 40, lastOut: 20, lastIn: 40, channel: ChannelTelegram, unread: 2, count: 4, snoozedTo: -1,
		},
		{
			name:   "inbound reopens a pending customer",
			steps:  []step{stepIn(ChannelSMS, 10), stepAnswer(ChannelSMS, 20), stepIn(ChannelMatrix, 25)},
			status: Open, statusAt: 25, waiting: 25, lastOut: 20, lastIn: 25, channel: ChannelMatrix, unread: 2, count: 3, snoozedTo: -1,
		},
		{
			name:   "inbound wakes a snoozed customer",
			steps:  []step{stepIn(ChannelEmail, 10), stepAnswer(ChannelEmail, 20), {op: Snoozed, min: 30, until: 600}, stepIn(ChannelWhatsApp, 40)},
			status: Open, statusAt: 40, waiting: 40, lastOut: 20, lastIn: 40, channel: ChannelWhatsApp, unread: 2, count: 4, snoozedTo: -1,
		},
		{
			name:   "backfilled inbound older than the status does not wake a snoozed customer",
			steps:  []step{stepIn(ChannelEmail, 10), stepAnswer(ChannelEmail, 20), {op: Snoozed, min: 30, until: 600}, stepIn(ChannelEmail, 25)},
			status: Snoozed, statusAt: 30, waiting: 25, lastOut: 20, lastIn: 25, channel: ChannelEmail, unread: 2, count: 4, snoozedTo: 600,
		},
		{
			name:   "inbound at the very time of the status does not reopen",
			steps:  []step{stepIn(ChannelEmail, 10), stepAnswer(ChannelEmail, 20), stepIn(ChannelEmail, 20)},
			status: Pending, statusAt: 20, waiting: -1, lastOut: 20, lastIn: 20, channel: ChannelEmail, unread: 2, count: 3, snoozedTo: -1,
		},
		{
			name:   "notes change neither waiting nor status",
			steps:  []step{stepIn(ChannelEmail, 10), {dir: Note, min: 20, text: "called her"}},
			status: Open, statusAt: 0, waiting: 10, lastOut: -1, lastIn: 10, channel: ChannelEmail, unread: 1, count: 2, snoozedTo: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReplay(t)
			r.run(tt.steps)
			c := r.c
			if c.Status != tt.status || minutes(c.StatusAt) != tt.statusAt {
				t.Errorf("status = %s at %d, want %s at %d", c.Status, minutes(c.StatusAt), tt.status, tt.statusAt)
			}
			if got := minutes(c.WaitingSince); got != tt.waiting {
				t.Errorf("WaitingSince = %d, want %d", got, tt.waiting)
			}
			if got := minutes(c.LastOutAt); got != tt.lastOut {
				t.Errorf("LastOutAt = %d, want %d", got, tt.lastOut)
			}
			if got := minutes(c.LastInboundAt); got != tt.lastIn {
				t.Errorf("LastInboundAt = %d, want %d", got, tt.lastIn)
			}
			if c.LastChannel != tt.channel {
				t.Errorf("LastChannel = %q, want %q", c.LastChannel, tt.channel)
			}
			if c.Unread != tt.unread || c.MessageCount != len(r.timeline) || c.MessageCount != tt.count {
				t.Errorf("Unread, MessageCount = %d, %d; want %d, %d", c.Unread, c.MessageCount, tt.unread, tt.count)
			}
			if got := minutes(c.SnoozedUntil); got != tt.snoozedTo {
				t.Errorf("SnoozedUntil = %d, want %d", got, tt.snoozedTo)
			}
			if want := r.timeline[len(r.timeline)-1].SentAt; !c.LastMessageAt.Equal(want) {
				t.Errorf("LastMessageAt = %d, want %d", minutes(c.LastMessageAt), minutes(want))
			}
		})
	}
}

// A message arriving late (a backfill, or a mailbox synced after a day
// offline) that was written before the customer was resolved neither reopens
// the customer nor makes them wait: Resolve said nothing waits any more.
func TestApplyBackfillBeforeResolutionDoesNotWait(t *testing.T) {
	r := newReplay(t)
	r.run([]step{stepIn(ChannelEmail, 10), stepStatus(Resolved, 30), stepIn(ChannelSMS, 20)})
	if r.c.Status != Resolved {
		t.Errorf("status = %s, want %s", r.c.Status, Resolved)
	}
	if !r.c.WaitingSince.IsZero() {
		t.Errorf("resolved customer waits since minute %d; a message older than the resolution must not make them wait", minutes(r.c.WaitingSince))
	}
}

// An inbound message that the business already answered does not reopen a
// pending customer, whichever order the channels deliver the messages in:
// the e-mail account syncs the answer at 40 before the SMS account syncs the
// question at 30.
func TestApplyAnsweredInboundDoesNotReopen(t *testing.T) {
	r := newReplay(t)
	r.run([]step{stepIn(ChannelEmail, 10), stepAnswer(ChannelEmail, 20), stepOut(ChannelEmail, 40), stepIn(ChannelSMS, 30)})
	if !r.c.WaitingSince.IsZero() {
		t.Errorf("WaitingSince = %d, want none", minutes(r.c.WaitingSince))
	}
	if r.c.Status != Pending {
		t.Errorf("status = %s at %d, want %s: the last word (minute 40) is the business's", r.c.Status, minutes(r.c.StatusAt), Pending)
	}
}

// The last preview and channel follow the newest message, not the last one
// applied.
func TestApplyPreviewFollowsNewest(t *testing.T) {
	c := Customer{Status: Open, StatusAt: at(0)}
	Apply(&c, &Message{Direction: In, Channel: ChannelWhatsApp, SentAt: at(20), Text: "Is my order ready?"})
	Apply(&c, &Message{Direction: In, Channel: ChannelEmail, SentAt: at(10), Text: "Hello,  I ordered\na dress"})
	if c.LastPreview != "Is my order ready?" || c.LastChannel != ChannelWhatsApp {
		t.Errorf("preview, channel = %q, %q; want the message of minute 20", c.LastPreview, c.LastChannel)
	}
	Apply(&c, &Message{Direction: Out, Channel: ChannelWhatsApp, SentAt: at(30), Text: "Yes, since this morning."})
	if c.LastPreview != "Yes, since this morning." || c.LastChannel != ChannelWhatsApp {
		t.Errorf("preview, channel = %q, %q; want the answer, channel of the last inbound", c.LastPreview, c.LastChannel)
	}
}

func TestWaiting(t *testing.T) {
	e := func(d Direction, min int) Entry { return Entry{Direction: d, SentAt: at(min)} }
	tests := []struct {
		name        string
		newestFirst []Entry
		want        int
	}{
		{name: "empty", want: -1},
		{name: "only inbound", newestFirst: []Entry{e(In, 30), e(In, 20), e(In, 10)}, want: 10},
		{name: "inbound after the last outbound", newestFirst: []Entry{e(In, 40), e(In, 30), e(Out, 20), e(In, 10)}, want: 30},
		{name: "answered", newestFirst: []Entry{e(Out, 40), e(In, 30), e(In, 10)}, want: -1},
		{name: "notes and events do not answer", newestFirst: []Entry{e(Note, 50), e(In, 40), {Direction: Event, Event: EventSnoozed, SentAt: at(35)}, e(In, 30), e(Out, 20)}, want: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := minutes(Waiting(tt.newestFirst)); got != tt.want {
				t.Errorf("Waiting = %d, want %d", got, tt.want)
			}
		})
	}
}

// Resolving a customer ends the wait (Desk.Resolve clears WaitingSince), so
// recomputing from the timeline (after a merge or an unmerge) must not bring
// back a wait the resolution ended: "Thanks!" at 30, resolved at 35 without
// an answer, a new question at 50.
func TestWaitingStopsAtResolution(t *testing.T) {
	newestFirst := []Entry{
		{Direction: In, SentAt: at(50)},
		{Direction: Event, Event: EventResolved, SentAt: at(35)},
		{Direction: In, SentAt: at(30)},
		{Direction: Out, SentAt: at(20)},
	}
	if got := minutes(Waiting(newestFirst)); got != 50 {
		t.Errorf("Waiting = %d, want 50", got)
	}
	if got := minutes(Waiting(newestFirst[1:])); got != -1 {
		t.Errorf("Waiting after the resolution = %d, want none", got)
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", 200)
	exact := strings.Repeat("a", previewRunes)
	tests := []struct {
		name          string
		subject, text string
		want          string
	}{
		{name: "text", subject: "Order 12", text: "Is my dress ready?", want: "Is my dress ready?"},
		{name: "whitespace collapsed", text: "  Hello,\n\n\tis my   dress ready? ", want: "Hello, is my dress ready?"},
		{name: "subject when no text", subject: " Order  12 ", text: " \n ", want: "Order 12"},
		{name: "empty", want: ""},
		{name: "exactly the limit", text: exact, want: exact},
		{name: "cut on runes", text: long, want: strings.Repeat("é", previewRunes-1) + "…"},
		{name: "limit then more words", text: exact + " b", want: exact[:previewRunes-1] + "…"},
		{name: "one word short then a long one", text: exact[:previewRunes-2] + " " + long, want: exact[:previewRunes-2] + " " + "…"},
		{name: "long body", text: strings.Repeat("la robe est prête\n\n", 10000), want: previewOf(strings.Repeat("la robe est prête ", 7))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Preview(&Message{Subject: tt.subject, Text: tt.text})
			if got != tt.want {
				t.Errorf("Preview = %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > previewRunes || !utf8.ValidString(got) {
				t.Errorf("Preview has %d runes (valid UTF-8 %v), want at most %d", n, utf8.ValidString(got), previewRunes)
			}
		})
	}
}

// previewOf is what Preview gives for s: all of it with white space
// collapsed, cut at previewRunes with an ellipsis.
func previewOf(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > previewRunes {
		return string(r[:previewRunes-1]) + "…"
	}
	return s
}

func TestNameFrom(t *testing.T) {
	tests := []struct {
		name  string
		given string
		id    Identity
		want  string
	}{
		{name: "channel name", given: " Anna Martin ", id: Identity{KindEmail, "anna@example.org"}, want: "Anna Martin"},
		{name: "email local part", given: "  ", id: Identity{KindEmail, "anna.martin@example.org"}, want: "anna.martin"},
		{name: "phone address", id: Identity{KindPhone, "+33612345678"}, want: "+33612345678"},
		{name: "matrix address", id: Identity{KindMatrix, "@anna:example.org"}, want: "@anna:example.org"},
		{name: "telegram id", id: Identity{KindTelegram, "42"}, want: "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NameFrom(tt.given, tt.id); got != tt.want {
				t.Errorf("NameFrom(%q, %v) = %q, want %q", tt.given, tt.id, got, tt.want)
			}
		})
	}
}
