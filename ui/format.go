package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/couture/couture/inbox"
)

// This file turns domain values into the short texts the views show. The
// functions are pure (now is a parameter) so tests pin them down.

// shortWait is a wait in one unit, rounded down: "now", "5 min", "2 h",
// "3 d", "6 w". A negative duration (clock skew) reads "now".
func shortWait(d time.Duration) string {
	switch {
	case d < time.Minute:
		return tr("now")
	case d < time.Hour:
		return unitText("{{.N}} min", d/time.Minute)
	case d < 24*time.Hour:
		return unitText("{{.N}} h", d/time.Hour)
	case d < 14*24*time.Hour:
		return unitText("{{.N}} d", d/(24*time.Hour))
	}
	return unitText("{{.N}} w", d/(7*24*time.Hour))
}

// unitTexts are the waits translated so far: every row of the customer
// list shows one, and a translation filled from data parses its template
// each time (tens of microseconds).
var unitTexts sync.Map // unitKey → string

type unitKey struct {
	lang, unit string
	n          time.Duration
}

// unitText is tr(unit) with .N set to n, remembered per language.
func unitText(unit string, n time.Duration) string {
	k := unitKey{language(), unit, n}
	if s, ok := unitTexts.Load(k); ok {
		return s.(string)
	}
	s := tr(unit, map[string]any{"N": int(n)})
	unitTexts.Store(k, s)
	return s
}

// waitingText is how long the customer's oldest unanswered message has
// waited at now, "" when nothing waits.
func waitingText(c *inbox.Customer, now time.Time) string {
	if c.WaitingSince.IsZero() {
		return ""
	}
	return shortWait(now.Sub(c.WaitingSince))
}

// longWait says that a customer waited long enough to be shown in the
// warning colour.
const longWait = 24 * time.Hour

// weekdayName is a day's name, in full or in three letters.
func weekdayName(d time.Weekday, short bool) string {
	switch d {
	case time.Monday:
		return pick(short, tr("Mon"), tr("Monday"))
	case time.Tuesday:
		return pick(short, tr("Tue"), tr("Tuesday"))
	case time.Wednesday:
		return pick(short, tr("Wed"), tr("Wednesday"))
	case time.Thursday:
		return pick(short, tr("Thu"), tr("Thursday"))
	case time.Friday:
		return pick(short, tr("Fri"), tr("Friday"))
	case time.Saturday:
		return pick(short, tr("Sat"), tr("Saturday"))
	}
	return pick(short, tr("Sun"), tr("Sunday"))
}

// monthName is a month's name, in full or in three letters.
func monthName(m time.Month, short bool) string {
	switch m {
	case time.January:
		return pick(short, tr("Jan"), tr("January"))
	case time.February:
		return pick(short, tr("Feb"), tr("February"))
	case time.March:
		return pick(short, tr("Mar"), tr("March"))
	case time.April:
		return pick(short, tr("Apr"), tr("April"))
	case time.May:
		return pick(short, tr("May"), tr("May"))
	case time.June:
		return pick(short, tr("Jun"), tr("June"))
	case time.July:
		return pick(short, tr("Jul"), tr("July"))
	case time.August:
		return pick(short, tr("Aug"), tr("August"))
	case time.September:
		return pick(short, tr("Sep"), tr("September"))
	case time.October:
		return pick(short, tr("Oct"), tr("October"))
	case time.November:
		return pick(short, tr("Nov"), tr("November"))
	}
	return pick(short, tr("Dec"), tr("December"))
}

func pick(short bool, a, b string) string {
	if short {
		return a
	}
	return b
}

// clockText is a time of day, "14:05".
func clockText(t time.Time) string { return t.Format("15:04") }

// dateShort is a day in a few letters: "2 Mar", "2 Mar 2025" in another
// year than now's.
func dateShort(t, now time.Time) string {
	s := fmt.Sprintf("%d %s", t.Day(), monthName(t.Month(), true))
	if t.Year() != now.Year() {
		s += fmt.Sprintf(" %d", t.Year())
	}
	return s
}

// sameDay reports whether a and b fall on the same calendar day (in a's
// location).
func sameDay(a, b time.Time) bool {
	b = b.In(a.Location())
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// whenShort is the corner of a list row: the time today, "Yesterday", the
// weekday within the week, else the date.
func whenShort(t, now time.Time) string {
	t, now = t.In(time.Local), now.In(time.Local)
	switch {
	case t.IsZero():
		return ""
	case sameDay(t, now):
		return clockText(t)
	case sameDay(t, now.AddDate(0, 0, -1)):
		return tr("Yesterday")
	case now.Sub(t) < 6*24*time.Hour && t.Before(now):
		return weekdayName(t.Weekday(), true)
	}
	return dateShort(t, now)
}

// dayText is a day separator of the timeline: "Today", "Yesterday",
// "Monday 2 March", "Monday 2 March 2025".
func dayText(t, now time.Time) string {
	t, now = t.In(time.Local), now.In(time.Local)
	switch {
	case sameDay(t, now):
		return tr("Today")
	case sameDay(t, now.AddDate(0, 0, -1)):
		return tr("Yesterday")
	}
	s := fmt.Sprintf("%s %d %s", weekdayName(t.Weekday(), false), t.Day(), monthName(t.Month(), false))
	if t.Year() != now.Year() {
		s += fmt.Sprintf(" %d", t.Year())
	}
	return s
}

// stampText is a message's time in its bubble: "14:05", or with the date
// when it is not today ("2 Mar 14:05").
func stampText(t, now time.Time) string {
	t = t.In(time.Local)
	if sameDay(t, now.In(time.Local)) {
		return clockText(t)
	}
	return dateShort(t, now.In(time.Local)) + " " + clockText(t)
}

// sizeText is a file size: "812 B", "14 KB", "2.3 MB".
func sizeText(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	}
	return formatFloat(float64(n)/1e6, 1) + " MB"
}

// stateText is a delivery state for a person.
func stateText(s inbox.State) string {
	switch s {
	case inbox.StateQueued:
		return tr("queued")
	case inbox.StateSending:
		return tr("sending")
	case inbox.StateSent:
		return tr("sent")
	case inbox.StateDelivered:
		return tr("delivered")
	case inbox.StateFailed:
		return tr("failed")
	case inbox.StateUncertain:
		return tr("maybe sent")
	}
	return ""
}

// customerStatusText names a customer's status for a person.
func customerStatusText(s inbox.Status) string {
	switch s {
	case inbox.Open:
		return tr("Open")
	case inbox.Pending:
		return tr("Pending")
	case inbox.Resolved:
		return tr("Resolved")
	case inbox.Snoozed:
		return tr("Snoozed")
	}
	return string(s)
}

// eventText is an event entry of the timeline in words: "Resolved by
// Camille". Events the store words itself (merges, escalations, summaries)
// keep their text.
func eventText(m *inbox.Message) string {
	by := map[string]any{"Author": authorName(m.Author)}
	has := m.Author != ""
	pick := func(plain, withAuthor string) string {
		if has {
			return tr(withAuthor, by)
		}
		return tr(plain)
	}
	switch m.Event {
	case inbox.EventResolved:
		return pick("Resolved", "Resolved by {{.Author}}")
	case inbox.EventReopened:
		return pick("Reopened", "Reopened by {{.Author}}")
	case inbox.EventSnoozed:
		return pick("Snoozed", "Snoozed by {{.Author}}")
	case inbox.EventPending:
		return pick("Marked as waiting on the customer", "Marked as waiting on the customer by {{.Author}}")
	case inbox.EventEscalated:
		return escalationText(m.Text)
	}
	if t := strings.TrimSpace(m.Text); t != "" {
		return t
	}
	return m.Event
}

// escalationReasons are the bot's fixed reasons for handing a story to a
// person (inbox's Decision.Reason), which read in the person's language; a
// detail in brackets stays as the bot wrote it.
var escalationReasons = []string{
	"a long message: a person reads it", "asks for a person", "negative word",
	"about the customer's own order", "no answer matches",
	"a new question after the bot's answer", "no question the bot can read",
}

// escalationText is the "Escalated to a person: …" event in the person's
// language.
func escalationText(text string) string {
	reason, ok := strings.CutPrefix(strings.TrimSpace(text), inbox.EscalatedPrefix)
	if !ok {
		return text
	}
	head, detail, bracket := strings.Cut(reason, " (")
	if slices.Contains(escalationReasons, head) {
		reason = tr(head)
		if bracket {
			reason += " (" + detail
		}
	}
	return tr("Escalated to a person: {{.Reason}}", map[string]any{"Reason": reason})
}

// authorName is who wrote an answer or a note: the bot reads "Couture bot".
func authorName(a string) string {
	if a == inbox.BotAuthor {
		return tr("Couture bot")
	}
	return a
}

// identityText is an identity as a person reads it, without its kind.
func identityText(id inbox.Identity) string { return id.Address }

// identityChannels are the channels an identity can be answered on: a
// phone number takes SMS and WhatsApp.
func identityChannels(id inbox.Identity) []inbox.ChannelKind {
	var out []inbox.ChannelKind
	for _, ch := range inbox.Channels {
		if ch.IdentityKind() == id.Kind {
			out = append(out, ch)
		}
	}
	return out
}

// rowChannels are the channel badges of a customer row: one per identity
// kind, in the order of inbox.Channels. A phone number shows WA when the
// customer last wrote by WhatsApp, SMS otherwise (the row has no room, and
// no per-row read, for the history of every number).
func rowChannels(c *inbox.Customer) []inbox.ChannelKind {
	var out []inbox.ChannelKind
	has := func(k inbox.IdentityKind) bool {
		for _, id := range c.Identities {
			if id.Kind == k {
				return true
			}
		}
		return false
	}
	for _, ch := range inbox.Channels {
		switch {
		case ch == inbox.ChannelSMS && has(inbox.KindPhone):
			if c.LastChannel == inbox.ChannelWhatsApp {
				ch = inbox.ChannelWhatsApp
			}
			out = append(out, ch)
		case ch == inbox.ChannelWhatsApp:
		case has(ch.IdentityKind()):
			out = append(out, ch)
		}
	}
	return out
}

// cutBody shortens a long body for the timeline: at most maxRunes runes and
// maxLines lines, cut at a line or word end. more is false when body fits.
func cutBody(body string, maxRunes, maxLines int) (short string, more bool) {
	lines := 0
	for i, r := range body {
		if r == '\n' {
			lines++
			if lines >= maxLines {
				return strings.TrimRight(body[:i], "\n ") + "…", true
			}
		}
		if utf8.RuneCountInString(body[:i]) >= maxRunes {
			cut := body[:i]
			if j := strings.LastIndexAny(cut, " \n"); j > len(cut)/2 {
				cut = cut[:j]
			}
			return strings.TrimRight(cut, "\n ") + "…", true
		}
	}
	return body, false
}

// foldQuoted splits an e-mail body into what the person wrote and the
// quoted history below it: the lines from an attribution ("On … wrote:",
// "Le … a écrit :", "-----Original Message-----") or from the first ">"
// line after which every line is quoted or blank. Quotes interleaved with
// answers stay as they are. quoted is "" when nothing is folded.
func foldQuoted(body string) (own, quoted string) {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	quotedFrom := func(i int) bool {
		for _, l := range lines[i:] {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, ">") {
				return false
			}
		}
		return true
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		cut := -1
		switch {
		case t == "":
		case isSeparatorLine(t):
			cut = i
		case isAttribution(t) && quotedFrom(i+1):
			cut = i
		case i+1 < len(lines) && isAttribution(t+" "+strings.TrimSpace(lines[i+1])) && !isAttribution(t) && quotedFrom(i+2):
			cut = i
		case strings.HasPrefix(t, ">") && quotedFrom(i):
			cut = i
		}
		if cut > 0 {
			own = strings.TrimRight(strings.Join(lines[:cut], "\n"), "\n ")
			quoted = strings.Join(lines[cut:], "\n")
			if own == "" {
				return body, ""
			}
			return own, quoted
		}
	}
	return body, ""
}

// isAttribution recognizes the line a mail client writes above a quote.
func isAttribution(t string) bool {
	lower := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lower, "on ") && strings.HasSuffix(lower, "wrote:"):
		return true
	case strings.HasPrefix(lower, "le ") && (strings.HasSuffix(lower, "a écrit :") || strings.HasSuffix(lower, "a écrit:") || strings.HasSuffix(lower, "a écrit\u00a0:")):
		return true
	}
	return false
}

// isSeparatorLine recognizes Outlook's separators above a forwarded or
// quoted message.
func isSeparatorLine(t string) bool {
	lower := strings.ToLower(t)
	return strings.HasPrefix(lower, "-----original message-----") ||
		strings.HasPrefix(lower, "-----message d'origine-----") ||
		(len(t) >= 20 && strings.Trim(t, "_") == "")
}
