package inbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones tested, wherever the tests run
)

// parisHours are the demo bakery's hours: Tuesday to Saturday 7:00-19:00,
// Sunday 8:00-13:30, closed on Monday, in Europe/Paris.
func parisHours(t *testing.T) Hours {
	t.Helper()
	h := Hours{Zone: "Europe/Paris", Holidays: []string{"2026-12-25", "2027-01-01"}}
	for d := time.Tuesday; d <= time.Saturday; d++ {
		h.Week[d] = []Span{{7 * 60, 19 * 60}}
	}
	h.Week[time.Sunday] = []Span{{8 * 60, 13*60 + 30}}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	return h
}

func paris(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestHoursOpen(t *testing.T) {
	h := parisHours(t)
	tests := []struct {
		at   string // wall clock in Paris
		utc  string // the same instant in UTC, to pin the offset
		open bool
	}{
		{"2026-03-28 06:59", "2026-03-28T05:59:00Z", false}, // Saturday, CET
		{"2026-03-28 07:00", "2026-03-28T06:00:00Z", true},
		{"2026-03-28 18:59", "2026-03-28T17:59:00Z", true},
		{"2026-03-28 19:00", "2026-03-28T18:00:00Z", false}, // To is excluded
		{"2026-03-29 07:59", "2026-03-29T05:59:00Z", false}, // Sunday after the spring change, CEST
		{"2026-03-29 08:00", "2026-03-29T06:00:00Z", true},
		{"2026-03-29 13:30", "2026-03-29T11:30:00Z", false},
		{"2026-03-30 10:00", "2026-03-30T08:00:00Z", false}, // Monday
		{"2026-03-31 07:00", "2026-03-31T05:00:00Z", true},  // Tuesday: 07:00 is 05:00 UTC now
		{"2026-10-24 18:30", "2026-10-24T16:30:00Z", true},  // Saturday before the autumn change, CEST
		{"2026-10-25 08:00", "2026-10-25T07:00:00Z", true},  // Sunday, CET again
		{"2026-10-25 07:59", "2026-10-25T06:59:00Z", false},
		{"2026-12-25 10:00", "2026-12-25T09:00:00Z", false}, // a Friday, holiday
		{"2026-12-26 10:00", "2026-12-26T09:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			at := paris(t, tt.at)
			if got := at.UTC().Format(time.RFC3339); got != tt.utc {
				t.Fatalf("%s Paris is %s, want %s", tt.at, got, tt.utc)
			}
			if got := h.Open(at); got != tt.open {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.open)
			}
		})
	}
}

func TestHoursNextOpen(t *testing.T) {
	h := parisHours(t)
	tests := []struct {
		name, from, want string // want is RFC 3339 UTC
	}{
		{"open now", "2026-03-28 10:00", "2026-03-28T09:00:00Z"},
		{"saturday evening, spring change overnight", "2026-03-28 21:00", "2026-03-29T06:00:00Z"},
		{"sunday afternoon: monday is closed", "2026-03-29 14:00", "2026-03-31T05:00:00Z"},
		{"saturday evening, autumn change overnight", "2026-10-24 20:00", "2026-10-25T07:00:00Z"},
		{"christmas eve evening: christmas is a holiday", "2026-12-24 20:00", "2026-12-26T06:00:00Z"},
		{"new year's eve: holiday then a saturday", "2026-12-31 20:00", "2027-01-02T06:00:00Z"},
		{"early tuesday", "2026-04-07 05:00", "2026-04-07T05:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := h.NextOpen(paris(t, tt.from))
			if !ok || got.UTC().Format(time.RFC3339) != tt.want {
				t.Errorf("NextOpen(%s) = %s, %v; want %s", tt.from, got.UTC().Format(time.RFC3339), ok, tt.want)
			}
			if !h.Open(got) {
				t.Errorf("closed at NextOpen %s", got)
			}
		})
	}
	var never Hours
	never.Zone = "UTC"
	if _, ok := never.NextOpen(time.Now()); ok {
		t.Error("hours with no span open some day")
	}
}

// A span that starts in the hour the clocks skip opens when they jump; one
// that starts in the hour they repeat opens the first time round.
func TestHoursNextOpenInDSTGapAndOverlap(t *testing.T) {
	h := Hours{Zone: "Europe/Paris"}
	h.Week[time.Sunday] = []Span{{2*60 + 30, 4 * 60}} // 02:30-04:00
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	spring := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	if got, _ := h.NextOpen(spring); got.UTC().Format(time.RFC3339) != "2026-03-29T01:00:00Z" {
		t.Errorf("spring: NextOpen = %s, want the jump at 01:00 UTC (03:00 CEST)", got.UTC().Format(time.RFC3339))
	}
	autumn := time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)
	if got, _ := h.NextOpen(autumn); got.UTC().Format(time.RFC3339) != "2026-10-25T00:30:00Z" {
		t.Errorf("autumn: NextOpen = %s, want the first 02:30 (CEST, 00:30 UTC)", got.UTC().Format(time.RFC3339))
	}
}

func TestParseSpans(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "08:00-19:00", want: "08:00-19:00"},
		{in: "8h-12h30, 14h-19h", want: "08:00-12:30 14:00-19:00"},
		{in: "14:00-18:00 07:30-12:00", want: "07:30-12:00 14:00-18:00"},
		{in: "22:00-24:00", want: "22:00-24:00"},
		{in: "closed", want: ""},
		{in: "", want: ""},
		{in: "19:00-08:00", err: "over midnight"},
		{in: "08:00-12:00,11:00-13:00", err: "overlap"},
		{in: "25:00-26:00", err: "not a time"},
		{in: "8:5-9:00", err: "not a time"},
		{in: "morning", err: "08:00-19:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			spans, err := ParseSpans(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSpans(%q) = %v, %v; want an error about %q", tt.in, spans, err, tt.err)
				}
				return
			}
			var got []string
			for _, s := range spans {
				got = append(got, s.String())
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("ParseSpans(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHoursJSONAndDescribe(t *testing.T) {
	h := parisHours(t)
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Hours
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"2026-03-29 09:00", "2026-03-30 09:00", "2026-12-25 09:00"} {
		if back.Open(paris(t, at)) != h.Open(paris(t, at)) {
			t.Errorf("hours differ at %s after a JSON round trip: %s", at, b)
		}
	}
	if err := json.Unmarshal([]byte(`{"zone": "Mars/Olympus", "days": {}}`), &back); err == nil {
		t.Error("an unknown zone was accepted")
	}
	if got, want := h.Describe("fr"), "du mardi au samedi 7h-19h, le dimanche 8h-13h30, fermé le lundi"; got != want {
		t.Errorf("Describe(fr) = %q, want %q", got, want)
	}
	if got, want := h.Describe("en"), "Tuesday to Saturday 7:00-19:00, Sunday 8:00-13:30, closed on Monday"; got != want {
		t.Errorf("Describe(en) = %q, want %q", got, want)
	}
	if !GSM7Only(h.Describe("fr")) {
		t.Error("the French hours are not GSM-7: an SMS would cost twice as many segments")
	}
	now := paris(t, "2026-03-28 21:00")
	next, _ := h.NextOpen(now)
	if got := h.When(next, now, "fr"); got != "demain à 8h" {
		t.Errorf("When = %q", got)
	}
	if got := h.When(paris(t, "2026-03-31 07:00"), now, "en"); got != "Tuesday at 7:00" {
		t.Errorf("When = %q", got)
	}
}
