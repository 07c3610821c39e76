package inbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SettingHours is the setting the business hours are saved under (JSON).
const SettingHours = "hours"

// Minute is a wall-clock time of day in minutes after midnight, 0 to 1440
// (24:00, the end of a day).
type Minute int

// String renders the time as 08:30.
func (m Minute) String() string { return fmt.Sprintf("%02d:%02d", int(m)/60, int(m)%60) }

// Span is one opening span of a day, From included, To excluded, in wall-
// clock time. It never crosses midnight: write 22:00-24:00 and 00:00-02:00.
type Span struct {
	From, To Minute
}

// String renders the span as 08:00-19:00.
func (s Span) String() string { return s.From.String() + "-" + s.To.String() }

// ParseSpans reads a day's spans as a person writes them: "08:00-19:00",
// "8h-12h30, 14h-19h", "07:30-12:00 14:00-18:00"; "closed", "-" or "" is
// no span. Spans are sorted and must not overlap.
func ParseSpans(s string) ([]Span, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "-", "closed", "fermé", "ferme", "none":
		return nil, nil
	}
	var out []Span
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return nil, Errorf(Invalid, "opening span %q must look like 08:00-19:00", part)
		}
		from, err := parseMinute(a)
		if err != nil {
			return nil, err
		}
		to, err := parseMinute(b)
		if err != nil {
			return nil, err
		}
		if to <= from {
			return nil, Errorf(Invalid, "opening span %q ends before it starts; split a span over midnight in two days (22:00-24:00, then 00:00-02:00)", part)
		}
		out = append(out, Span{from, to})
	}
	slices.SortFunc(out, func(a, b Span) int { return int(a.From - b.From) })
	for i := 1; i < len(out); i++ {
		if out[i].From < out[i-1].To {
			return nil, Errorf(Invalid, "opening spans %s and %s overlap", out[i-1], out[i])
		}
	}
	return out, nil
}

// parseMinute reads 08:00, 8:00, 8h, 8h30 or 24:00.
func parseMinute(s string) (Minute, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		h, m, _ = strings.Cut(s, "h")
	}
	hh, err1 := strconv.Atoi(h)
	mm := 0
	var err2 error
	if m != "" {
		mm, err2 = strconv.Atoi(m)
	}
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) || len(m) == 1 {
		return 0, Errorf(Invalid, "%q is not a time of day (08:00, 8h30, 24:00)", s)
	}
	return Minute(hh*60 + mm), nil
}

// Hours are the business's opening hours: spans for each day of the week in
// one time zone, and holidays, whole days closed. Every rule reads them in
// wall-clock time of Zone, so daylight-saving changes move nothing: a shop
// that opens at 08:00 opens at 08:00 on the Monday after the clocks change.
type Hours struct {
	// Zone is an IANA time zone name ("Europe/Paris").
	Zone string
	// Week holds the spans of each day, indexed by time.Weekday (Sunday 0).
	Week [7][]Span
	// Holidays are dates (YYYY-MM-DD in Zone) the business is closed all day.
	Holidays []string

	loc *time.Location
}

// dayKeys name the days in JSON and on the command line, by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DayKey returns the short name of a weekday ("mon").
func DayKey(d time.Weekday) string { return dayKeys[d] }

// hoursJSON is the saved form: {"zone": "Europe/Paris", "days": {"mon":
// ["08:00-19:00"]}, "holidays": ["2026-12-25"]}.
type hoursJSON struct {
	Zone     string              `json:"zone"`
	Days     map[string][]string `json:"days"`
	Holidays []string            `json:"holidays"`
}

// MarshalJSON implements json.Marshaler.
func (h Hours) MarshalJSON() ([]byte, error) {
	out := hoursJSON{Zone: h.Zone, Days: map[string][]string{}, Holidays: h.Holidays}
	if out.Holidays == nil {
		out.Holidays = []string{}
	}
	for d, spans := range h.Week {
		list := make([]string, len(spans))
		for i, s := range spans {
			list[i] = s.String()
		}
		out.Days[dayKeys[d]] = list
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler and checks what it reads.
func (h *Hours) UnmarshalJSON(b []byte) error {
	var in hoursJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out := Hours{Zone: in.Zone, Holidays: in.Holidays}
	for key, list := range in.Days {
		d := slices.Index(dayKeys[:], key)
		if d < 0 {
			return Errorf(Invalid, "unknown day %q (mon … sun)", key)
		}
		spans, err := ParseSpans(strings.Join(list, ","))
		if err != nil {
			return err
		}
		out.Week[d] = spans
	}
	if err := out.Check(); err != nil {
		return err
	}
	*h = out
	return nil
}

// Check validates the zone and holidays and prepares the Hours for use.
func (h *Hours) Check() error {
	if h.Zone == "" {
		return Errorf(Invalid, "the opening hours need a time zone (an IANA name such as Europe/Paris)")
	}
	loc, err := time.LoadLocation(h.Zone)
	if err != nil {
		return Wrap(Invalid, err, fmt.Sprintf("unknown time zone %q (an IANA name such as Europe/Paris)", h.Zone))
	}
	h.loc = loc
	for _, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return Errorf(Invalid, "holiday %q is not a date (YYYY-MM-DD)", d)
		}
	}
	slices.Sort(h.Holidays)
	h.Holidays = slices.Compact(h.Holidays)
	return nil
}

// Location returns the time zone of the hours (UTC before Check).
func (h *Hours) Location() *time.Location {
	if h.loc == nil {
		if loc, err := time.LoadLocation(h.Zone); err == nil && h.Zone != "" {
			h.loc = loc
		} else {
			return time.UTC
		}
	}
	return h.loc
}

// Set reports whether any span is defined: Hours with none mean "not set".
func (h *Hours) Set() bool {
	for _, d := range h.Week {
		if len(d) > 0 {
			return true
		}
	}
	return false
}

func (h *Hours) holiday(date string) bool {
	_, ok := slices.BinarySearch(h.Holidays, date)
	return ok
}

// Open reports whether the business is open at t.
func (h *Hours) Open(t time.Time) bool {
	w := t.In(h.Location())
	if h.holiday(w.Format(time.DateOnly)) {
		return false
	}
	m := Minute(w.Hour()*60 + w.Minute())
	for _, s := range h.Week[w.Weekday()] {
		if s.From <= m && m < s.To {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant at or after t when the business is
// open: t itself when it is open, else the start of the next span (a
// span starting inside a daylight-saving gap opens when the clocks jump).
// ok is false when no span is defined for the coming year.
func (h *Hours) NextOpen(t time.Time) (next time.Time, ok bool) {
	if h.Open(t) {
		return t, true
	}
	loc := h.Location()
	w := t.In(loc)
	y, mo, d := w.Date()
	for i := 0; i <= 366; i++ {
		day := time.Date(y, mo, d+i, 12, 0, 0, 0, loc)
		if h.holiday(day.Format(time.DateOnly)) {
			continue
		}
		for _, s := range h.Week[day.Weekday()] {
			at := wallInstant(day, s.From, loc)
			if !at.Before(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// wallInstant returns the first instant of the day's date whose wall clock
// in loc reads m or later: the earlier of two instants when the clocks went
// back, the moment of the jump when m does not exist that day.
func wallInstant(day time.Time, m Minute, loc *time.Location) time.Time {
	y, mo, d := day.Date()
	hh, mm := int(m)/60, int(m)%60
	wall := time.Date(y, mo, d, hh, mm, 0, 0, time.UTC)
	var best time.Time
	for _, probe := range []time.Time{wall.Add(-14 * time.Hour), wall.Add(14 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		at := wall.Add(-time.Duration(off) * time.Second)
		lw := at.In(loc)
		if ly, lmo, ld := lw.Date(); ly == y && lmo == mo && ld == d && lw.Hour() == hh && lw.Minute() == mm {
			if best.IsZero() || at.Before(best) {
				best = at
			}
		}
	}
	if !best.IsZero() {
		return best
	}
	// A gap: find the jump, the first instant whose wall clock is past m.
	lo, hi := wall.Add(-14*time.Hour), wall.Add(14*time.Hour)
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		lw := mid.In(loc)
		past := lw.Year() > y || lw.Year() == y && (lw.Month() > mo || lw.Month() == mo && (lw.Day() > d || lw.Day() == d && Minute(lw.Hour()*60+lw.Minute()) >= m))
		if past {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi.Truncate(time.Second)
}

// dayNames are the weekday names, by language and time.Weekday.
var dayNames = map[string][7]string{
	"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

// Describe renders the weekly hours for a customer, in French ("fr") or
// English (anything else), on one line and in the GSM alphabet, so it fits
// an SMS cheaply: "du mardi au samedi 7h-19h, le dimanche 8h-13h30, fermé
// le lundi" / "Tuesday to Saturday 7:00-19:00, Sunday 8:00-13:30, closed
// on Monday". Days with the same spans are grouped, from Monday on.
func (h *Hours) Describe(lang string) string {
	if lang != "fr" {
		lang = "en"
	}
	names := dayNames[lang]
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	var parts, closed []string
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && slices.Equal(h.Week[order[j]], h.Week[order[i]]) {
			j++
		}
		spans := h.Week[order[i]]
		if len(spans) == 0 {
			for k := i; k < j; k++ {
				closed = append(closed, names[order[k]])
			}
			i = j
			continue
		}
		var days string
		switch {
		case j-i == 1 && lang == "fr":
			days = "le " + names[order[i]]
		case j-i == 1:
			days = names[order[i]]
		case j-i == 2 && lang == "fr":
			days = "le " + names[order[i]] + " et le " + names[order[j-1]]
		case j-i == 2:
			days = names[order[i]] + " and " + names[order[j-1]]
		case lang == "fr":
			days = "du " + names[order[i]] + " au " + names[order[j-1]]
		default:
			days = names[order[i]] + " to " + names[order[j-1]]
		}
		times := make([]string, len(spans))
		for k, s := range spans {
			times[k] = clockText(s.From, lang) + "-" + clockText(s.To, lang)
		}
		sep := " et "
		if lang == "en" {
			sep = " and "
		}
		parts = append(parts, days+" "+strings.Join(times, sep))
		i = j
	}
	if len(parts) == 0 {
		if lang == "fr" {
			return "fermé"
		}
		return "closed"
	}
	if len(closed) > 0 {
		if lang == "fr" {
			parts = append(parts, "fermé le "+strings.Join(closed, " et le "))
		} else {
			parts = append(parts, "closed on "+strings.Join(closed, " and "))
		}
	}
	return strings.Join(parts, ", ")
}

// clockText renders a time of day the way each language writes it: 7h,
// 13h30 in French; 7:00, 13:30 in English.
func clockText(m Minute, lang string) string {
	if lang == "fr" {
		if m%60 == 0 {
			return strconv.Itoa(int(m)/60) + "h"
		}
		return fmt.Sprintf("%dh%02d", int(m)/60, int(m)%60)
	}
	return fmt.Sprintf("%d:%02d", int(m)/60, int(m)%60)
}

// When renders an instant for a customer in the business's zone: "mardi à
// 7h" / "Tuesday at 7:00" within a week of now, with the date beyond.
func (h *Hours) When(t, now time.Time, lang string) string {
	loc := h.Location()
	w, n := t.In(loc), now.In(loc)
	if lang != "fr" {
		lang = "en"
	}
	names := dayNames[lang]
	ny, nm, nd := n.Date()
	days := int(time.Date(w.Year(), w.Month(), w.Day(), 12, 0, 0, 0, time.UTC).Sub(time.Date(ny, nm, nd, 12, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	clock := clockText(Minute(w.Hour()*60+w.Minute()), lang)
	switch {
	case days == 0 && lang == "fr":
		return "aujourd'hui à " + clock
	case days == 0:
		return "today at " + clock
	case days == 1 && lang == "fr":
		return "demain à " + clock
	case days == 1:
		return "tomorrow at " + clock
	case days < 7 && lang == "fr":
		return names[w.Weekday()] + " à " + clock
	case days < 7:
		return names[w.Weekday()] + " at " + clock
	case lang == "fr":
		return fmt.Sprintf("le %s %d/%02d à %s", names[w.Weekday()], w.Day(), int(w.Month()), clock)
	}
	return fmt.Sprintf("%s %s %d at %s", names[w.Weekday()], w.Month(), w.Day(), clock)
}

// Hours returns the saved business hours; ok is false when none are set.
func (d *Desk) Hours() (h Hours, ok bool, err error) {
	b, err := d.store.Setting(SettingHours)
	if err != nil || b == nil {
		return Hours{}, false, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return Hours{}, false, Wrap(Invalid, err, "the saved opening hours do not decode; set them again (couture hours set)")
	}
	return h, h.Set(), nil
}

// SetHours checks and saves the business hours.
func (d *Desk) SetHours(h Hours) error {
	if err := h.Check(); err != nil {
		return err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return d.store.SetSetting(SettingHours, b)
}
