package assets

import (
	"cmp"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/inbox"
	"github.com/couture/couture/storage"
)

// demoNow is the fixed "now" the tests load the demo at.
var demoNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func mustDemo(t *testing.T) *Demo {
	t.Helper()
	d, err := DemoStories()
	if err != nil {
		t.Fatalf("DemoStories: %v", err)
	}
	return d
}

// customerStories are the demo's stories that make a customer (not Other).
func customerStories(d *Demo) []Story {
	var out []Story
	for _, s := range d.Stories {
		if !s.Other {
			out = append(out, s)
		}
	}
	return out
}

// switchers are the stories whose customer writes from identities of
// several kinds (e-mail then WhatsApp, SMS then Telegram…).
func switchers(d *Demo) []Story {
	var out []Story
	for _, s := range customerStories(d) {
		kinds := map[string]bool{}
		for _, raw := range s.IDs {
			kind, _, _ := strings.Cut(raw, ":")
			kinds[kind] = true
		}
		if len(kinds) > 1 {
			out = append(out, s)
		}
	}
	return out
}

func TestDemoStories(t *testing.T) {
	d := mustDemo(t)
	stories := customerStories(d)
	if n := len(stories); n < 38 || n > 48 {
		t.Errorf("%d customer stories, want about 40", n)
	}
	if n := len(d.Stories) - len(stories); n < 3 {
		t.Errorf("%d Other stories (newsletters, no-reply), want at least 3", n)
	}
	fr := 0
	for _, s := range stories {
		if s.Lang == "fr" {
			fr++
		}
	}
	if share := float64(fr) / float64(len(stories)); share < 0.25 || share > 0.42 {
		t.Errorf("%d of %d customers write in French, want about a third", fr, len(stories))
	}
	if n := len(switchers(d)); n < 3 {
		t.Errorf("%d customers switch channel with another identity, want at least 3", n)
	}

	channels := map[inbox.ChannelKind]int{}
	actions := map[string]int{}
	states := map[string]int{} // state/channel of outbound messages
	authors := map[string]bool{}
	links := 0
	for _, s := range d.Stories {
		for _, raw := range s.IDs {
			kind, addr, ok := strings.Cut(raw, ":")
			if !ok {
				t.Errorf("story %s: identity %q is not kind:address", s.ID, raw)
				continue
			}
			if _, err := inbox.NewIdentity(inbox.IdentityKind(kind), addr, nil); err != nil {
				t.Errorf("story %s: %v", s.ID, err)
			}
		}
		var last time.Duration
		for i, st := range s.Steps {
			off, err := parseOffset(st.At)
			if err != nil {
				t.Errorf("story %s step %d: %v", s.ID, i+1, err)
			}
			if off > 0 || (i > 0 && off <= last) {
				t.Errorf("story %s step %d at %s: out of order or in the future", s.ID, i+1, st.At)
			}
			last = off
			channels[st.On]++
			actions[st.Do]++
			if st.Do == doOut {
				states[string(cmp.Or(st.State, inbox.StateSent))+"/"+string(st.On)]++
			}
			if st.By != "" {
				authors[st.By] = true
			}
			links += len(st.Links)
		}
	}
	for _, ch := range inbox.Channels {
		if channels[ch] < 5 {
			t.Errorf("%d messages on %s, want at least 5", channels[ch], ch)
		}
	}
	for _, a := range []string{doIn, doOut, doNote, doResolve, doPending, doSnooze, doMerge} {
		if actions[a] == 0 {
			t.Errorf("no %q step", a)
		}
	}
	if actions[doSnooze] != 1 {
		t.Errorf("%d snoozed stories, want one", actions[doSnooze])
	}
	if links == 0 {
		t.Error("no story links identities through a channel (Incoming.Links)")
	}
	for _, s := range []string{"delivered/sms", "failed/sms", "sent/email", "sent/telegram", "sent/matrix"} {
		if states[s] == 0 {
			t.Errorf("no outbound message %s", s)
		}
	}
	if want := map[string]bool{"Camille": true, "Hugo": true}; !reflect.DeepEqual(authors, want) {
		t.Errorf("staff = %v, want Camille and Hugo", authors)
	}
}

func TestParseOffset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "-25m", want: -25 * time.Minute},
		{in: "-3d2h", want: -(3*24 + 2) * time.Hour},
		{in: "+6d", want: 6 * 24 * time.Hour},
		{in: "-1h30m", want: -90 * time.Minute},
		{in: "-2d1h55m10s", want: -(49*time.Hour + 55*time.Minute + 10*time.Second)},
		{in: "-0m", want: 0},
		{in: "25m", bad: true},
		{in: "-", bad: true},
		{in: "-3", bad: true},
		{in: "-2h3d", bad: true},
		{in: "-2h2h", bad: true},
		{in: "-3w", bad: true},
		{in: "-d", bad: true},
		{in: "-1.5h", bad: true},
		{in: "-999999d", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseOffset(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseOffset(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseOffset(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDemoRejects(t *testing.T) {
	const biz = `"business": {"name": "B", "email": "b@b.example", "phone": "+33 4 65 71 20 20", "telegram": "BBot", "matrix": "@b:b.example"}`
	story := func(ids, steps string) string {
		return `{` + biz + `, "stories": [{"id": "s", "customer": "C", "lang": "en", "ids": [` + ids + `], "steps": [` + steps + `]}]}`
	}
	const mail = `"email:c@c.example"`
	const in = `{"at": "-2h", "do": "in", "on": "email", "subject": "S", "text": "T"}`
	tests := []struct {
		name, json, want string
	}{
		{"unknown field", story(mail, `{"at": "-2h", "do": "in", "on": "email", "subject": "S", "text": "T", "colour": "red"}`), "colour"},
		{"bad identity", story(`"phone:0612345678"`, `{"at": "-2h", "do": "in", "on": "sms", "text": "T"}`), "international"},
		{"out of order", story(mail, in+`, {"at": "-3h", "do": "note", "by": "Hugo", "text": "N"}`), "after the step before"},
		{"same time", story(mail, in+`, {"at": "-2h", "do": "note", "by": "Hugo", "text": "N"}`), "after the step before"},
		{"future", story(mail, `{"at": "+2h", "do": "in", "on": "email", "subject": "S", "text": "T"}`), "future"},
		{"starts with a note", story(mail, `{"at": "-2h", "do": "note", "by": "Hugo", "text": "N"}`), "starts with a message"},
		{"unknown action", story(mail, in+`, {"at": "-1h", "do": "archive", "by": "Hugo"}`), "unknown action"},
		{"no channel identity", story(mail, `{"at": "-2h", "do": "in", "on": "sms", "text": "T"}`), "no phone identity"},
		{"e-mail without subject", story(mail, `{"at": "-2h", "do": "in", "on": "email", "text": "T"}`), "subject"},
		{"failed without error", story(mail, in+`, {"at": "-1h", "do": "out", "on": "email", "by": "Hugo", "subject": "S", "text": "T", "state": "failed"}`), "error"},
		{"queued state", story(mail, in+`, {"at": "-1h", "do": "out", "on": "email", "by": "Hugo", "subject": "S", "text": "T", "state": "queued"}`), "not sent, delivered or failed"},
		{"note without author", story(mail, in+`, {"at": "-1h", "do": "note", "text": "N"}`), "(by)"},
		{"snooze into the past", story(mail, in+`, {"at": "-1h", "do": "snooze", "by": "Hugo", "until": "-1m"}`), "future"},
		{"unused identity", story(mail+`, "phone:+33 6 39 98 00 00"`, in), "never used"},
		{"never joined", story(mail+`, "phone:+33 6 39 98 00 00"`, in+`, {"at": "-1h", "do": "in", "on": "sms", "text": "T"}`), "still another customer"},
		{"merge before use", story(mail+`, "phone:+33 6 39 98 00 00"`, in+`, {"at": "-1h", "do": "merge", "with": "phone:+33 6 39 98 00 00", "text": "R"}`), "before a merge"},
		{"link to a stranger", story(mail, `{"at": "-2h", "do": "in", "on": "email", "subject": "S", "text": "T", "links": ["phone:+33 6 39 98 00 00"]}`), "not in the story's ids"},
		{"duplicate story", `{` + biz + `, "stories": [{"id": "s", "customer": "C", "lang": "en", "ids": [` + mail + `], "steps": [` + in + `]}, {"id": "s", "customer": "D", "lang": "en", "ids": ["email:d@d.example"], "steps": [` + in + `]}]}`, "twice"},
		{"shared identity", `{` + biz + `, "stories": [{"id": "s", "customer": "C", "lang": "en", "ids": [` + mail + `], "steps": [` + in + `]}, {"id": "t", "customer": "D", "lang": "en", "ids": [` + mail + `], "steps": [` + in + `]}]}`, "share"},
		{"Other with an answer", `{` + biz + `, "stories": [{"id": "s", "customer": "C", "lang": "en", "other": true, "ids": [` + mail + `], "steps": [` + in + `, {"at": "-1h", "do": "out", "on": "email", "by": "Hugo", "subject": "S", "text": "T"}]}]}`, "Other"},
		{"bad language", strings.Replace(story(mail, in), `"lang": "en"`, `"lang": "de"`, 1), "lang"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDemo([]byte(tt.json))
			if err == nil {
				t.Fatal("ParseDemo accepted it")
			}
			if inbox.ErrorCode(err) != inbox.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q (code %q), want an invalid error mentioning %q", err, inbox.ErrorCode(err), tt.want)
			}
		})
	}
}

// openDemo loads the demo at demoNow into a real store in a fresh directory.
func openDemo(t *testing.T) (*inbox.Desk, *Clock, DemoSummary) {
	t.Helper()
	store, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	clock := new(Clock)
	clock.Set(demoNow)
	desk := inbox.NewDesk(store, &inbox.Options{Clock: clock.Now})
	start := time.Now()
	sum, err := LoadDemo(context.Background(), desk, clock)
	if err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	t.Logf("loaded in %v: %+v", time.Since(start), sum)
	if got := clock.Now(); !got.Equal(demoNow) {
		t.Fatalf("the clock reads %v after loading, want it back at %v", got, demoNow)
	}
	return desk, clock, sum
}

// timeline returns a customer's whole timeline, oldest first.
func timeline(t *testing.T, desk *inbox.Desk, id inbox.CustomerID) []inbox.Message {
	t.Helper()
	var all []inbox.Message
	before := ""
	for {
		p, err := desk.Timeline(id, before, 100)
		if err != nil {
			t.Fatal(err)
		}
		all = append(p.Messages, all...)
		if p.Before == "" {
			return all
		}
		before = p.Before
	}
}

// byIdentity finds the customer owning an identity written as in demo.json.
func byIdentity(t *testing.T, cs []inbox.Customer, raw string) inbox.Customer {
	t.Helper()
	id, err := inbox.ParseIdentity(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Has(id) {
			return c
		}
	}
	t.Fatalf("no customer owns %s", id)
	return inbox.Customer{}
}

func TestLoadDemo(t *testing.T) {
	demo := mustDemo(t)
	desk, clock, sum := openDemo(t)
	stories := customerStories(demo)

	cs, err := desk.Customers(inbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(stories) || sum.Customers != len(stories) || sum.Stories != len(demo.Stories) || sum.Skipped != 0 {
		t.Fatalf("%d customers, summary %+v; want one customer per story (%d)", len(cs), sum, len(stories))
	}

	// Each story is exactly one customer, with all its identities.
	for _, s := range stories {
		c := byIdentity(t, cs, s.IDs[0])
		if len(c.Identities) != len(s.IDs) {
			t.Errorf("story %s: customer %d has identities %v, want %v", s.ID, c.ID, c.Identities, s.IDs)
		}
		for _, raw := range s.IDs[1:] {
			if o := byIdentity(t, cs, raw); o.ID != c.ID {
				t.Errorf("story %s: %s belongs to customer %d, not %d", s.ID, raw, o.ID, c.ID)
			}
		}
		tl := timeline(t, desk, c.ID)
		for i := 1; i < len(tl); i++ {
			if tl[i].SentAt.Before(tl[i-1].SentAt) {
				t.Errorf("story %s: timeline out of order at %d", s.ID, i)
			}
		}
		if last := tl[len(tl)-1].SentAt; last.After(demoNow) {
			t.Errorf("story %s: message at %v, after now", s.ID, last)
		}
	}
	for _, s := range switchers(demo) {
		c := byIdentity(t, cs, s.IDs[0])
		chans := map[inbox.ChannelKind]bool{}
		for _, m := range timeline(t, desk, c.ID) {
			if m.Channel != inbox.ChannelNone {
				chans[m.Channel] = true
			}
		}
		if len(chans) < 2 {
			t.Errorf("switcher %s: one timeline should hold several channels, got %v", s.ID, chans)
		}
	}
	if sum.Merges < 5 {
		t.Errorf("%d merges, want the 3 explicit ones and the 2 links", sum.Merges)
	}

	statuses := map[inbox.Status]int{}
	for _, c := range cs {
		statuses[c.Status]++
	}
	for _, st := range []inbox.Status{inbox.Open, inbox.Pending, inbox.Resolved, inbox.Snoozed} {
		if statuses[st] == 0 {
			t.Errorf("no %s customer (statuses %v)", st, statuses)
		}
	}
	t.Logf("statuses: %v", statuses)

	// Waiting times are relative to now, and the worst look bad on purpose.
	for raw, want := range map[string]time.Duration{
		"phone:+33 6 39 98 52 81":                      10 * time.Minute,
		"email:priya.nair@example.org":                 3*24*time.Hour + time.Hour,
		"email:rachel.adams@lyontechsummit.example":    4*24*time.Hour + time.Hour, // she followed up since: the first message counts
		"email:d.okafor@brightwave-consulting.example": 2 * time.Hour,
	} {
		c := byIdentity(t, cs, raw)
		if got := demoNow.Sub(c.WaitingSince); c.WaitingSince.IsZero() || got != want {
			t.Errorf("%s waits %v (since %v), want %v", c.Name, got, c.WaitingSince, want)
		}
		if c.Status != inbox.Open {
			t.Errorf("%s is %s, want open", c.Name, c.Status)
		}
	}
	if first := cs[0]; first.Name != "Rachel Adams" {
		t.Errorf("the longest wait is %s, want Rachel Adams", first.Name)
	}

	// Status changes, notes and merges carry their story time.
	chloe := byIdentity(t, cs, "email:chloe.bernard@example.net")
	if chloe.Status != inbox.Snoozed || !chloe.SnoozedUntil.Equal(demoNow.Add(6*24*time.Hour)) {
		t.Errorf("Chloé is %s until %v, want snoozed 6 days", chloe.Status, chloe.SnoozedUntil)
	}
	priya := byIdentity(t, cs, "email:priya.nair@example.org")
	tl := timeline(t, desk, priya.ID)
	if len(tl) != 2 || tl[1].Direction != inbox.Note || tl[1].Author != "Hugo" || !tl[1].SentAt.Equal(demoNow.Add(-3*24*time.Hour)) {
		t.Errorf("Priya's timeline = %+v, want her e-mail then Hugo's note 3 days ago", tl)
	}
	olivia := byIdentity(t, cs, "email:olivia.brown@example.com")
	var failed, merged bool
	for _, m := range timeline(t, desk, olivia.ID) {
		failed = failed || (m.Channel == inbox.ChannelSMS && m.State == inbox.StateFailed && m.Error != "")
		merged = merged || (m.Event == inbox.EventMerged && m.SentAt.Equal(demoNow.Add(-(49*time.Hour + 55*time.Minute))))
	}
	if !failed || !merged || olivia.Status != inbox.Resolved {
		t.Errorf("Olivia: failed SMS %v, merge event at its time %v, status %s", failed, merged, olivia.Status)
	}

	// Newsletters and no-reply mail are in Other, not customers.
	other, err := desk.Customer(inbox.OtherID)
	if err != nil {
		t.Fatal(err)
	}
	if other.MessageCount != sum.Other || sum.Other < 5 {
		t.Errorf("Other holds %d messages, summary says %d", other.MessageCount, sum.Other)
	}
	for _, m := range timeline(t, desk, inbox.OtherID) {
		if m.Direction != inbox.In || m.Channel != inbox.ChannelEmail {
			t.Errorf("Other holds %+v", m)
		}
	}

	// Loading again changes nothing.
	before := snapshot(t, desk)
	again, err := LoadDemo(context.Background(), desk, clock)
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != 0 || again.Notes != 0 || again.StatusChanges != 0 || again.Merges != 0 || again.Skipped != len(stories) {
		t.Errorf("second load did %+v, want nothing", again)
	}
	if after := snapshot(t, desk); after != before {
		t.Errorf("second load changed the store:\n%s\nwant\n%s", after, before)
	}
}

// snapshot renders every customer and timeline, for comparisons.
func snapshot(t *testing.T, desk *inbox.Desk) string {
	t.Helper()
	cs, err := desk.Customers(inbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := desk.Customer(inbox.OtherID)
	if err != nil {
		t.Fatal(err)
	}
	cs = append(cs, other)
	slices.SortFunc(cs, func(a, b inbox.Customer) int { return cmp.Compare(a.ID, b.ID) })
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for _, c := range cs {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(timeline(t, desk, c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestLoadDemoDeterministic(t *testing.T) {
	a, _, _ := openDemo(t)
	b, _, _ := openDemo(t)
	if sa, sb := snapshot(t, a), snapshot(t, b); sa != sb {
		t.Error("two loads at the same now differ")
	}
}

func TestLoadDemoNeedsItsClock(t *testing.T) {
	store, err := storage.Open(t.TempDir(), &storage.Options{NoIndex: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	desk := inbox.NewDesk(store, nil) // runs on time.Now, not on the clock
	for _, clock := range []*Clock{nil, new(Clock)} {
		if _, err := LoadDemo(context.Background(), desk, clock); inbox.ErrorCode(err) != inbox.Invalid {
			t.Errorf("LoadDemo with clock %v on a desk that does not use it: %v, want an invalid error", clock, err)
		}
	}
	if n, err := desk.Customers(inbox.Filter{}); err != nil || len(n) != 0 {
		t.Errorf("a refused load wrote %d customers (%v)", len(n), err)
	}
}
