package assets

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/couture/couture/inbox"
)

// demoJSON is the sample business "Fournil & Café", a bakery-café in Lyon.
// Edit it by hand; TestDemo checks every story.
//
//go:embed demo.json
var demoJSON []byte

// Demo is a sample business and the stories of its customers, as written in
// demo.json. Times in it are offsets from the moment the demo is loaded, so
// waiting times look the same whenever it is opened.
type Demo struct {
	Business Business `json:"business"`
	Stories  []Story  `json:"stories"`
}

// Business is the company the demo shows: its addresses are the sender of
// every answer and the recipient of every customer message.
type Business struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Phone is the number customers text and WhatsApp, in international form.
	Phone string `json:"phone"`
	// Telegram is the username of the business's Telegram bot.
	Telegram string `json:"telegram"`
	Matrix   string `json:"matrix"`
}

// Story is one customer's history with the business, oldest step first.
type Story struct {
	// ID is a short slug ("nut-allergy-cake"), unique in the demo. Every
	// message of the story has the external id "demo-<ID>-<step number>",
	// so loading the demo twice adds nothing.
	ID string `json:"id"`
	// Customer is the person's display name (or the sender's, for Other).
	Customer string `json:"customer"`
	// Lang is the language the customer writes in: "fr" or "en".
	Lang string `json:"lang"`
	// Other stories are newsletters, supplier mailing lists and no-reply
	// notifications: their messages go to the Other view and create no
	// customer. They have inbound steps only.
	Other bool `json:"other,omitempty"`
	// IDs are the customer's identities as kind:address ("email:a@b.example",
	// "phone:+33 6 39 98 12 34", "telegram:5512345678",
	// "matrix:@jo:example.org"). The first one is the main identity: merges
	// go into its customer. Every identity must be used by a step, and by
	// the end of the story all of them must belong to one customer.
	IDs   []string `json:"ids"`
	Steps []Step   `json:"steps"`
}

// Step is one thing that happens in a story. Do says what:
//
//   - "in": the customer writes on channel On (Subject for e-mail, Text);
//     Links lists identities the channel proved are the same person (a
//     Telegram contact card carrying a phone number); the store links them
//     on exact match.
//   - "out": staff member By answers on On; State is "sent" (the default),
//     "delivered" or "failed" (with Error), as a channel reports it.
//   - "note": By writes the internal note Text.
//   - "resolve", "pending", "reopen": By sets the story's status.
//   - "snooze": By hides the story until Until, an offset from now ("+6d").
//   - "merge": the customer owning identity With is merged into the one
//     owning the story's main identity; Text is the reason (Desk.Merge
//     records no author, so a merge has no By).
//   - "bot": the level-1 bot reads the customer's unanswered messages
//     (Desk.Level1) and answers from the library or escalates; Expect is
//     what it must do: an answer id ("hours-fr") or "escalate". Its answer
//     is marked sent, as a channel would.
//   - "survey": the survey Survey ("ces" or "csat") goes to the customer
//     on their last channel (Desk.SendSurvey), marked sent; the next "in"
//     step, when it is a score, is read as the answer.
//
// The bot acts alone: bot and survey steps have no By.
//
// Notes and status changes act on the customer of the story's latest
// message.
type Step struct {
	// At is the offset from now: "-3d2h", "-25m", "-1h30m". Steps of a story
	// are strictly in time order, none in the future.
	At string            `json:"at"`
	Do string            `json:"do"`
	On inbox.ChannelKind `json:"on,omitempty"`
	// As is the customer's identity on an in/out message, kind:address as
	// in Story.IDs; by default the story's first identity of the channel's
	// kind.
	As      string      `json:"as,omitempty"`
	By      string      `json:"by,omitempty"`
	Subject string      `json:"subject,omitempty"`
	Text    string      `json:"text,omitempty"`
	State   inbox.State `json:"state,omitempty"`
	Error   string      `json:"error,omitempty"`
	Links   []string    `json:"links,omitempty"`
	With    string      `json:"with,omitempty"`
	Until   string      `json:"until,omitempty"`
	Expect  string      `json:"expect,omitempty"`
	Survey  string      `json:"survey,omitempty"`
}

// Step actions (Step.Do).
const (
	doIn      = "in"
	doOut     = "out"
	doNote    = "note"
	doResolve = "resolve"
	doPending = "pending"
	doReopen  = "reopen"
	doSnooze  = "snooze"
	doMerge   = "merge"
	doBot     = "bot"
	doSurvey  = "survey"
)

// DemoAccount names the account a channel's demo messages belong to:
// "shop-mail", "shop-sms", "shop-whatsapp", "shop-telegram", "shop-matrix".
func DemoAccount(ch inbox.ChannelKind) string {
	switch ch {
	case inbox.ChannelEmail:
		return "shop-mail"
	case inbox.ChannelNone:
		return ""
	}
	return "shop-" + string(ch)
}

// DemoStories returns the embedded sample business, parsed and checked. Each
// call returns a fresh copy the caller may change.
func DemoStories() (*Demo, error) { return ParseDemo(demoJSON) }

// ParseDemo decodes a demo written in the form of demo.json and checks it:
// identities normalize, times parse and follow each other, every step is
// complete. Unknown fields are errors, so a typo does not go unnoticed.
func ParseDemo(data []byte) (*Demo, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	d := new(Demo)
	if err := dec.Decode(d); err != nil {
		return nil, inbox.Errorf(inbox.Invalid, "the demo data does not decode: %v", err)
	}
	if _, err := d.plan(time.Unix(0, 0), inbox.E164{}); err != nil {
		return nil, err
	}
	return d, nil
}

// DemoSummary counts what loading the demo did.
type DemoSummary struct {
	// Stories were loaded; Skipped were already in the store (one of their
	// identities had a customer) and were left as they are.
	Stories, Skipped int
	// Customers is how many customers the loaded stories ended as.
	Customers int
	// Messages added (inbound and outbound, Other included); Other of them
	// went to the Other view.
	Messages, Other int
	Notes           int
	StatusChanges   int
	// Merges counts explicit merges and automatic ones from links.
	Merges int
	// BotAnswers, Escalations and Surveys count what the bot did.
	BotAnswers, Escalations, Surveys int
}

// Clock is a clock that can be held still, for a Desk the demo loads into.
// The zero Clock runs: Now is time.Now. Set holds it at a time; Set with the
// zero time lets it run again. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	at time.Time
}

// Now returns the held time, or time.Now when the clock runs.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

// Set holds the clock at t; the zero t lets it run.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

func (c *Clock) held() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// LoadDemo loads the embedded sample business into desk; see Demo.Load.
func LoadDemo(ctx context.Context, desk *inbox.Desk, clock *Clock) (DemoSummary, error) {
	d, err := DemoStories()
	if err != nil {
		return DemoSummary{}, err
	}
	return d.Load(ctx, desk, clock)
}

// Load writes the demo's stories into desk, with every time an offset from
// desk.Now() at the call: the same now gives the same store content.
//
// The desk must run on clock (inbox.Options{Clock: clock.Now}): Load holds
// the clock at each step's time while it calls the Desk, so notes, status
// changes and merges carry the time they happened in the story, and puts
// the clock back as it found it when it returns. Nobody else should use the
// desk meanwhile; load the demo before handing the desk to the GUI.
//
// Messages are ingested as the channels would: in batches per account
// ("shop-mail", "shop-sms"… see DemoAccount), each at the time of its
// newest message, with the business's answers as its own sent copies. A
// batch only holds each story's messages up to its next note, status
// change, merge or linking message, so every customer sees its history in
// order; the whole demo is a few dozen transactions.
//
// A store with no answer library gets the business's customer-service
// settings first (the default library, its opening hours, its name and
// addresses), so the stories' bot and survey steps run through the real
// rules; the automation (acknowledgement, bot, survey after a resolution)
// is switched on once the stories are in, for the messages to come.
//
// Loading again adds nothing: a story one of whose identities already has a
// customer is skipped (counted in DemoSummary.Skipped), and Other stories,
// which have no customer, are replayed and dropped as duplicates by
// external id.
func (d *Demo) Load(ctx context.Context, desk *inbox.Desk, clock *Clock) (DemoSummary, error) {
	var sum DemoSummary
	if clock == nil {
		return sum, inbox.Errorf(inbox.Invalid, "loading the demo needs the clock the desk runs on")
	}
	held := clock.held()
	defer clock.Set(held)
	now := desk.Now()
	probe := now.Add(-time.Second)
	clock.Set(probe)
	if !desk.Now().Equal(probe) {
		return sum, inbox.Errorf(inbox.Invalid, "the desk does not run on the demo clock; build it with inbox.Options{Clock: clock.Now}")
	}
	plans, err := d.plan(now, desk.Phones())
	if err != nil {
		return sum, err
	}
	l := &loader{desk: desk, clock: clock, biz: &d.Business, sum: &sum}
	if err := l.refresh(); err != nil {
		return sum, err
	}
	installed, err := l.settings()
	if err != nil {
		return sum, fmt.Errorf("demo settings: %w", err)
	}
	var todo []*storyPlan
	for _, p := range plans {
		if !p.story.Other && slices.ContainsFunc(p.ids, func(id inbox.Identity) bool { _, ok := l.owners[id]; return ok }) {
			sum.Skipped++
			continue
		}
		todo = append(todo, p)
	}
	sum.Stories = len(todo)
	for round := 0; ; round++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		var msgs, acts []*planStep
		for _, p := range todo {
			if round < len(p.rounds) {
				msgs = append(msgs, p.rounds[round].msgs...)
				if a := p.rounds[round].act; a != nil {
					acts = append(acts, a)
				}
			}
		}
		if len(msgs) == 0 && len(acts) == 0 {
			break
		}
		if err := l.ingest(ctx, msgs); err != nil {
			return sum, err
		}
		slices.SortStableFunc(acts, func(a, b *planStep) int { return a.at.Compare(b.at) })
		for _, a := range acts {
			if err := l.act(ctx, a); err != nil {
				return sum, fmt.Errorf("demo story %q step %d: %w", a.plan.story.ID, a.n, err)
			}
		}
	}
	if err := l.refresh(); err != nil {
		return sum, err
	}
	if installed {
		if err := l.enable(); err != nil {
			return sum, err
		}
	}
	ends := map[inbox.CustomerID]bool{}
	for _, p := range todo {
		if !p.story.Other {
			ends[l.owners[p.ids[0]]] = true
		}
	}
	sum.Customers = len(ends)
	return sum, nil
}

// storyPlan is a story with its times and identities resolved, cut into
// rounds: each round is messages followed by at most one action.
type storyPlan struct {
	story  *Story
	ids    []inbox.Identity
	steps  []*planStep
	rounds []round
}

type round struct {
	msgs []*planStep
	act  *planStep
}

type planStep struct {
	plan  *storyPlan
	n     int // 1-based step number, part of the external id
	step  *Step
	at    time.Time
	party inbox.Identity // in/out: the customer's identity
	links []inbox.Identity
	with  inbox.Identity
	until time.Time
	// seen: staff acted after this inbound message, so it has been read.
	seen bool
	// target: the identity whose customer a note or status change acts on.
	target inbox.Identity
}

// plan resolves and checks every story against now.
func (d *Demo) plan(now time.Time, phones inbox.PhoneNormalizer) ([]*storyPlan, error) {
	if err := d.Business.check(phones); err != nil {
		return nil, err
	}
	if len(d.Stories) == 0 {
		return nil, inbox.Errorf(inbox.Invalid, "the demo has no stories")
	}
	storyIDs := map[string]bool{}
	owners := map[inbox.Identity]string{}
	plans := make([]*storyPlan, 0, len(d.Stories))
	for i := range d.Stories {
		s := &d.Stories[i]
		if storyIDs[s.ID] {
			return nil, inbox.Errorf(inbox.Invalid, "demo story %q appears twice", s.ID)
		}
		storyIDs[s.ID] = true
		p, err := planStory(s, now, phones)
		if err != nil {
			return nil, err
		}
		for _, id := range p.ids {
			if other, ok := owners[id]; ok && !s.Other {
				return nil, inbox.Errorf(inbox.Invalid, "demo stories %q and %q share the identity %s", other, s.ID, id)
			}
			if !s.Other {
				owners[id] = s.ID
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func (b *Business) check(phones inbox.PhoneNormalizer) error {
	if strings.TrimSpace(b.Name) == "" {
		return inbox.Errorf(inbox.Invalid, "the demo business has no name")
	}
	for _, id := range []inbox.Identity{{Kind: inbox.KindEmail, Address: b.Email}, {Kind: inbox.KindPhone, Address: b.Phone}, {Kind: inbox.KindMatrix, Address: b.Matrix}} {
		if _, err := inbox.NewIdentity(id.Kind, id.Address, phones); err != nil {
			return fmt.Errorf("demo business %s: %w", id.Kind, err)
		}
	}
	if strings.TrimSpace(b.Telegram) == "" {
		return inbox.Errorf(inbox.Invalid, "the demo business has no Telegram bot name")
	}
	return nil
}

func planStory(s *Story, now time.Time, phones inbox.PhoneNormalizer) (*storyPlan, error) {
	fail := func(format string, args ...any) error {
		return inbox.Errorf(inbox.Invalid, "demo story %q: %s", s.ID, fmt.Sprintf(format, args...))
	}
	if !inbox.IsSlug(s.ID) {
		return nil, fail("the id must be lower-case letters, digits and dashes")
	}
	if strings.TrimSpace(s.Customer) == "" {
		return nil, fail("no customer name")
	}
	if s.Lang != "fr" && s.Lang != "en" {
		return nil, fail("lang %q is not fr or en", s.Lang)
	}
	if len(s.IDs) == 0 || len(s.Steps) == 0 {
		return nil, fail("a story needs identities and steps")
	}
	p := &storyPlan{story: s}
	for _, raw := range s.IDs {
		id, err := inbox.ParseIdentity(raw, phones)
		if err != nil {
			return nil, fmt.Errorf("demo story %q: %w", s.ID, err)
		}
		if slices.Contains(p.ids, id) {
			return nil, fail("identity %s is listed twice", id)
		}
		p.ids = append(p.ids, id)
	}
	ident := func(raw string) (inbox.Identity, error) {
		id, err := inbox.ParseIdentity(raw, phones)
		if err != nil {
			return id, err
		}
		if !slices.Contains(p.ids, id) {
			return id, fail("identity %s is not in the story's ids", id)
		}
		return id, nil
	}
	// group follows which identities are one customer so far.
	group := map[inbox.Identity]int{}
	join := func(a, b inbox.Identity) {
		ga, gb := group[a], group[b]
		for id, g := range group {
			if g == gb {
				group[id] = ga
			}
		}
	}
	use := func(id inbox.Identity) {
		if _, ok := group[id]; !ok {
			group[id] = len(group) + 1
		}
	}
	var last time.Time
	var lastParty inbox.Identity
	cur := round{}
	for i := range s.Steps {
		st := &s.Steps[i]
		ps := &planStep{plan: p, n: i + 1, step: st}
		bad := func(format string, args ...any) error {
			return fail("step %d (%s at %s): %s", i+1, st.Do, st.At, fmt.Sprintf(format, args...))
		}
		off, err := parseOffset(st.At)
		if err != nil {
			return nil, bad("%v", err)
		}
		if off > 0 {
			return nil, bad("a step cannot be in the future")
		}
		ps.at = now.Add(off)
		if i > 0 && !ps.at.After(last) {
			return nil, bad("it must come after the step before it")
		}
		last = ps.at
		if msg := st.shape(i == 0, s.Other); msg != "" {
			return nil, bad("%s", msg)
		}
		switch st.Do {
		case doIn, doOut:
			if _, err := inbox.ParseChannel(string(st.On)); err != nil {
				return nil, bad("%v", err)
			}
			if strings.TrimSpace(st.Text) == "" {
				return nil, bad("the message has no text")
			}
			if st.On == inbox.ChannelEmail && strings.TrimSpace(st.Subject) == "" {
				return nil, bad("an e-mail needs a subject")
			}
			switch st.State {
			case "", inbox.StateSent, inbox.StateDelivered, inbox.StateFailed:
			default:
				return nil, bad("state %q is not sent, delivered or failed", st.State)
			}
			kind := st.On.IdentityKind()
			if st.As != "" {
				if ps.party, err = ident(st.As); err != nil {
					return nil, err
				}
				if ps.party.Kind != kind {
					return nil, bad("%s is not a %s identity", ps.party, kind)
				}
			} else {
				i := slices.IndexFunc(p.ids, func(id inbox.Identity) bool { return id.Kind == kind })
				if i < 0 {
					return nil, bad("the customer has no %s identity", kind)
				}
				ps.party = p.ids[i]
			}
			use(ps.party)
			for _, raw := range st.Links {
				l, err := ident(raw)
				if err != nil {
					return nil, err
				}
				if l == ps.party {
					return nil, bad("a message cannot link its own sender")
				}
				use(l)
				join(ps.party, l)
				ps.links = append(ps.links, l)
			}
			lastParty = ps.party
		case doNote:
			if strings.TrimSpace(st.Text) == "" {
				return nil, bad("the note is empty")
			}
		case doResolve, doPending, doReopen:
			if st.Text != "" {
				return nil, bad("a status change has no text; add a note")
			}
		case doSnooze:
			if st.Text != "" {
				return nil, bad("a status change has no text; add a note")
			}
			u, err := parseOffset(st.Until)
			if err != nil {
				return nil, bad("until: %v", err)
			}
			if u <= 0 {
				return nil, bad("snooze until a time in the future (+6d)")
			}
			ps.until = now.Add(u)
		case doBot:
			if st.Text != "" || st.Expect == "" {
				return nil, bad("a bot step has no text and says what the bot must do (expect: an answer id or escalate)")
			}
		case doSurvey:
			if _, err := inbox.ParseSurveyKind(st.Survey); err != nil || st.Text != "" {
				return nil, bad("a survey step names its survey (survey: ces or csat) and has no text")
			}
		case doMerge:
			if ps.with, err = ident(st.With); err != nil {
				return nil, err
			}
			main := p.ids[0]
			gm, okm := group[main]
			gw, okw := group[ps.with]
			if !okm || !okw {
				return nil, bad("both %s and %s must have written or been written to before a merge", main, ps.with)
			}
			if gm == gw {
				return nil, bad("%s and %s are already one customer", main, ps.with)
			}
			if strings.TrimSpace(st.Text) == "" {
				return nil, bad("a merge needs a reason (text)")
			}
			join(main, ps.with)
		default:
			return nil, bad("unknown action %q (in, out, note, resolve, pending, reopen, snooze, merge, bot, survey)", st.Do)
		}
		ps.target = lastParty
		p.steps = append(p.steps, ps)
		switch {
		case st.Do == doOut || (st.Do == doIn && len(st.Links) == 0):
			cur.msgs = append(cur.msgs, ps)
		default:
			cur.act = ps
			p.rounds = append(p.rounds, cur)
			cur = round{}
		}
	}
	if len(cur.msgs) > 0 {
		p.rounds = append(p.rounds, cur)
	}
	for _, id := range p.ids {
		if _, ok := group[id]; !ok {
			return nil, fail("identity %s is never used", id)
		}
		if !s.Other && group[id] != group[p.ids[0]] {
			return nil, fail("identity %s is still another customer at the end; link or merge it", id)
		}
	}
	// An inbound message has been read when staff did anything after it.
	staffSince := false
	for i := len(p.steps) - 1; i >= 0; i-- {
		ps := p.steps[i]
		if ps.step.Do == doIn {
			ps.seen = staffSince
		} else {
			staffSince = true
		}
	}
	return p, nil
}

// shape checks that a step carries the fields of its action and no
// others; it returns what is wrong, "" when nothing is.
func (st *Step) shape(first, other bool) string {
	if other && st.Do != doIn {
		return "Other stories only have inbound messages"
	}
	if first && st.Do != doIn && st.Do != doOut {
		return "a story starts with a message"
	}
	if (st.Do == doIn || st.Do == doOut) != (st.On != "") {
		return "a channel (on) belongs to in and out steps only"
	}
	if st.State != "" && st.Do != doOut {
		return "only an out step has a delivery state"
	}
	if (st.Error != "") != (st.State == inbox.StateFailed) {
		return "a failed message, and only one, carries an error"
	}
	if len(st.Links) > 0 && st.Do != doIn {
		return "only an in step carries links"
	}
	if (st.With != "") != (st.Do == doMerge) || (st.Until != "") != (st.Do == doSnooze) {
		return "with belongs to merge, until to snooze"
	}
	if (st.Expect != "") != (st.Do == doBot) || (st.Survey != "") != (st.Do == doSurvey) {
		return "expect belongs to bot, survey to survey"
	}
	if st.As != "" && st.Do != doIn && st.Do != doOut {
		return "as belongs to in and out steps"
	}
	if st.Subject != "" && st.On != inbox.ChannelEmail {
		return "only e-mail has a subject"
	}
	switch {
	case st.Do == doIn && st.By != "":
		return "the customer writes an in step, not " + st.By
	case st.Do == doMerge && st.By != "":
		return "the Desk records no author for a merge; give the reason in text"
	case (st.Do == doBot || st.Do == doSurvey) && st.By != "":
		return "the bot acts alone: a " + st.Do + " step has no by"
	case st.Do != doIn && st.Do != doMerge && st.Do != doBot && st.Do != doSurvey && strings.TrimSpace(st.By) == "":
		return "who did it (by) is missing"
	}
	return ""
}

// offsetUnits are the units of an offset, largest first.
var offsetUnits = []struct {
	name byte
	d    time.Duration
}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// parseOffset reads a signed offset such as "-3d2h", "-25m", "+6d" or
// "-1h30m": a sign, then numbers with the units d (24 hours), h, m and s,
// largest first, each at most once.
func parseOffset(s string) (time.Duration, error) {
	malformed := fmt.Errorf("offset %q must look like -3d2h, -25m or +6d (units d, h, m, s, largest first)", s)
	if len(s) < 3 || (s[0] != '-' && s[0] != '+') {
		return 0, malformed
	}
	var total time.Duration
	next := 0 // the first unit still allowed
	for rest := s[1:]; rest != ""; {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 || j == len(rest) || j > 5 {
			return 0, malformed
		}
		n, _ := strconv.Atoi(rest[:j])
		u := next
		for u < len(offsetUnits) && offsetUnits[u].name != rest[j] {
			u++
		}
		if u == len(offsetUnits) {
			return 0, malformed
		}
		total += time.Duration(n) * offsetUnits[u].d
		next, rest = u+1, rest[j+1:]
	}
	if s[0] == '-' {
		total = -total
	}
	return total, nil
}

// loader carries one Load.
type loader struct {
	desk   *inbox.Desk
	clock  *Clock
	biz    *Business
	sum    *DemoSummary
	owners map[inbox.Identity]inbox.CustomerID
	stale  bool
}

// refresh rebuilds the identity → customer map from the store.
func (l *loader) refresh() error {
	cs, err := l.desk.Customers(inbox.Filter{})
	if err != nil {
		return err
	}
	l.owners = map[inbox.Identity]inbox.CustomerID{}
	for _, c := range cs {
		for _, id := range c.Identities {
			l.owners[id] = c.ID
		}
	}
	l.stale = false
	return nil
}

func (l *loader) owner(id inbox.Identity) (inbox.CustomerID, error) {
	if l.stale {
		if err := l.refresh(); err != nil {
			return 0, err
		}
	}
	c, ok := l.owners[id]
	if !ok {
		return 0, inbox.Errorf(inbox.NotFound, "no customer owns %s", id)
	}
	return c, nil
}

// ingest commits messages in one batch per account, in the order of
// inbox.Channels, each at the time of its newest message (so a customer's
// CreatedAt is when the channel delivered their first batch, as after a
// real first sync). Other messages
// (newsletters…) go in batches of their own, so their duplicates are counted
// apart.
func (l *loader) ingest(ctx context.Context, steps []*planStep) error {
	for _, other := range []bool{false, true} {
		for _, ch := range inbox.Channels {
			var batch []*planStep
			for _, ps := range steps {
				if ps.step.On == ch && ps.plan.story.Other == other {
					batch = append(batch, ps)
				}
			}
			if len(batch) == 0 {
				continue
			}
			slices.SortStableFunc(batch, func(a, b *planStep) int { return a.at.Compare(b.at) })
			b := inbox.Batch{Account: DemoAccount(ch), Messages: make([]inbox.Incoming, len(batch))}
			for i, ps := range batch {
				b.Messages[i] = l.incoming(ps)
			}
			if err := l.commit(ctx, b, batch[len(batch)-1].at); err != nil {
				return err
			}
		}
	}
	return nil
}

// commit ingests one batch with the clock held at.
func (l *loader) commit(ctx context.Context, b inbox.Batch, at time.Time) error {
	l.clock.Set(at)
	res, err := l.desk.Ingest(ctx, b)
	if err != nil {
		return fmt.Errorf("ingest demo batch of %s: %w", b.Account, err)
	}
	l.sum.Messages += res.Added
	if b.Messages[0].Other {
		l.sum.Other += res.Added
	}
	l.sum.Merges += len(res.AutoMerges)
	l.stale = true
	return nil
}

// incoming builds the message a channel would hand over for the step.
func (l *loader) incoming(ps *planStep) inbox.Incoming {
	st, s := ps.step, ps.plan.story
	biz := l.businessAddress(st.On)
	m := inbox.Message{
		Channel:    st.On,
		Account:    DemoAccount(st.On),
		Party:      ps.party,
		ExternalID: "demo-" + s.ID + "-" + strconv.Itoa(ps.n),
		Subject:    st.Subject,
		Text:       strings.TrimSpace(st.Text),
		SentAt:     ps.at,
		ReceivedAt: ps.at,
	}
	if st.Do == doIn {
		m.Direction, m.From, m.FromName, m.To, m.Seen = inbox.In, ps.party.Address, s.Customer, biz, ps.seen
	} else {
		m.Direction, m.From, m.FromName, m.To = inbox.Out, biz, l.biz.Name, ps.party.Address
		m.Author, m.State, m.Error = st.By, cmp.Or(st.State, inbox.StateSent), st.Error
	}
	if st.On == inbox.ChannelEmail {
		// Thread the e-mails of a story as a mail client would.
		for _, prev := range ps.plan.steps {
			if prev == ps {
				break
			}
			if prev.step.On == inbox.ChannelEmail {
				m.ThreadRefs = append(m.ThreadRefs, "demo-"+s.ID+"-"+strconv.Itoa(prev.n))
			}
		}
	}
	return inbox.Incoming{Message: m, Name: s.Customer, Links: ps.links, Other: s.Other}
}

func (l *loader) businessAddress(ch inbox.ChannelKind) string {
	b := l.biz
	switch ch {
	case inbox.ChannelEmail:
		return b.Email
	case inbox.ChannelSMS, inbox.ChannelWhatsApp:
		return b.Phone
	case inbox.ChannelTelegram:
		return b.Telegram
	case inbox.ChannelMatrix:
		return b.Matrix
	}
	return ""
}

// act performs a story's action at its time.
func (l *loader) act(ctx context.Context, ps *planStep) error {
	st := ps.step
	if st.Do == doIn { // a message carrying links: ingested alone, at its time
		return l.commit(ctx, inbox.Batch{Account: DemoAccount(st.On), Messages: []inbox.Incoming{l.incoming(ps)}}, ps.at)
	}
	l.clock.Set(ps.at)
	if st.Do == doMerge {
		into, err := l.owner(ps.plan.ids[0])
		if err != nil {
			return err
		}
		from, err := l.owner(ps.with)
		if err != nil {
			return err
		}
		if _, err := l.desk.Merge(into, from, strings.TrimSpace(st.Text)); err != nil {
			return err
		}
		l.sum.Merges++
		l.stale = true
		return nil
	}
	id, err := l.owner(ps.target)
	if err != nil {
		return err
	}
	switch st.Do {
	case doNote:
		_, err = l.desk.Note(id, st.By, st.Text)
		l.sum.Notes++
	case doResolve:
		_, err = l.desk.Resolve(id, st.By)
		l.sum.StatusChanges++
	case doPending:
		_, err = l.desk.MarkPending(id, st.By)
		l.sum.StatusChanges++
	case doReopen:
		_, err = l.desk.Reopen(id, st.By)
		l.sum.StatusChanges++
	case doSnooze:
		_, err = l.desk.Snooze(id, st.By, ps.until)
		l.sum.StatusChanges++
	case doBot:
		err = l.bot(ctx, id, st.Expect)
	case doSurvey:
		var m inbox.Message
		if m, err = l.desk.SendSurvey(ctx, id, inbox.SurveyKind(st.Survey)); err == nil {
			err = l.sent(m.ID)
			l.sum.Surveys++
		}
	}
	return err
}

// bot runs the level-1 bot and checks it did what the story expects.
func (l *loader) bot(ctx context.Context, id inbox.CustomerID, expect string) error {
	res, err := l.desk.Level1(ctx, id)
	if err != nil {
		return err
	}
	d := res.Decision
	got := string(d.Outcome)
	if d.Outcome == inbox.OutcomeAnswer {
		got = d.Answer
	}
	if got != expect {
		return inbox.Errorf(inbox.Invalid, "the bot chose %s (%s), the story expects %s", got, d.Reason, expect)
	}
	if res.Reply != 0 {
		l.sum.BotAnswers++
		return l.sent(res.Reply)
	}
	l.sum.Escalations++
	return nil
}

// sent records that the channel sent an automatic message, as its outbox
// worker would: the demo has no network.
func (l *loader) sent(id inbox.MessageID) error {
	_, err := l.desk.Store().UpdateMessage(id, func(m *inbox.Message) error {
		m.State = inbox.StateSent
		return nil
	})
	return err
}

// settings installs the business's customer-service settings when the
// store has none: the default answer library, the opening hours its
// stories talk about (Tuesday to Saturday 7:00-19:00, Sunday 8:00-13:30,
// Europe/Paris), its name and addresses, every automation off. It returns
// whether it installed them; then, once the stories are loaded, enable
// turns the automation on, so the app shows it working on new messages
// (the stories' own bot and survey steps run explicitly).
func (l *loader) settings() (bool, error) {
	d := l.desk
	if has, err := d.HasAnswers(); err != nil || has {
		return false, err
	}
	list, err := DefaultAnswers()
	if err != nil {
		return false, err
	}
	if err := d.SetAnswers(list); err != nil {
		return false, err
	}
	h := inbox.Hours{Zone: "Europe/Paris", Holidays: []string{"2026-12-25", "2027-01-01"}}
	for day := time.Tuesday; day <= time.Saturday; day++ {
		h.Week[day] = []inbox.Span{{From: 7 * 60, To: 19 * 60}}
	}
	h.Week[time.Sunday] = []inbox.Span{{From: 8 * 60, To: 13*60 + 30}}
	if err := d.SetHours(h); err != nil {
		return false, err
	}
	b := l.biz
	return true, d.SetService(inbox.Service{
		BusinessName: b.Name, Lang: "fr",
		Own: []string{"email:" + b.Email, "phone:" + b.Phone, "matrix:" + b.Matrix},
	})
}

func (l *loader) enable() error {
	_, err := l.desk.UpdateService(func(s *inbox.Service) error {
		s.Ack = inbox.AckRule{Enabled: true}
		s.Bot = inbox.BotRule{Enabled: true}
		s.Survey = inbox.SurveyRule{Enabled: true, Kind: inbox.CES}
		return nil
	})
	return err
}
