package inbox

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// summaryReach is how many timeline entries the continuity rule reads at
// most; a customer with a longer history gets no summary (their first use
// of a channel cannot be told cheaply, and such a history is not "new").
const summaryReach = 2000

// summarize adds the continuity summary when a known customer writes on a
// channel for the first time: an event entry placed right after that first
// message, telling whoever answers what came before on the other channels
// (last subject, last three messages, status, latest note), so nobody asks
// the customer to repeat. It does it once per channel, and only for a first
// message at most SummaryFresh old.
func (d *Desk) summarize(id CustomerID, ch ChannelKind, w *work) error {
	if ch == ChannelNone {
		return nil
	}
	var all []Message // newest first
	before := ""
	for {
		p, err := d.store.Timeline(id, before, 100)
		if err != nil {
			return err
		}
		for i := len(p.Messages) - 1; i >= 0; i-- {
			all = append(all, p.Messages[i])
		}
		if p.Before == "" {
			break
		}
		if len(all) >= summaryReach {
			return nil
		}
		before = p.Before
	}
	first := -1
	for i, m := range all {
		if (m.Direction == In || m.Direction == Out) && m.Channel == ch {
			first = i
		}
	}
	if first < 0 || all[first].Direction != In || w.now.Sub(all[first].SentAt) > SummaryFresh {
		return nil
	}
	at := all[first].SentAt
	for _, m := range all[:first] {
		if m.Direction == Event && m.Event == EventSummary && m.SentAt.Equal(at) {
			return nil // done already
		}
	}
	earlier := all[first+1:]
	known := false
	for _, m := range earlier {
		if m.Direction == In || m.Direction == Out {
			known = true
			break
		}
	}
	if !known {
		return nil
	}
	text := SummaryText(ch, earlier, w.zone())
	ev := Message{Direction: Event, Event: EventSummary, Text: text, Author: BotAuthor, SentAt: at}
	_, err := d.writeOne(id, nil, ev)
	return err
}

// zone is where times in summaries are shown: the business hours' zone,
// else UTC.
func (w *work) zone() *time.Location {
	if w.hoursOK {
		return w.hours.Location()
	}
	return time.UTC
}

// SummaryText writes the continuity summary of a customer's story before
// their first message on channel ch, from their earlier timeline entries
// (newest first). Times are shown in loc (UTC when nil).
func SummaryText(ch ChannelKind, newestFirst []Message, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	var channels []string
	seen := map[ChannelKind]bool{}
	for _, m := range newestFirst {
		if (m.Direction == In || m.Direction == Out) && m.Channel != ChannelNone && !seen[m.Channel] {
			seen[m.Channel] = true
			channels = append(channels, string(m.Channel))
		}
	}
	fmt.Fprintf(&b, "First message on %s. Before, this customer wrote on %s.\n", ch, strings.Join(channels, ", "))
	// The status the story had: the newest status change, or what the
	// newest message implies (an answer waits on the customer).
	status, since := "open", time.Time{}
	for _, m := range newestFirst {
		switch {
		case m.Direction == Event && (m.Event == EventResolved || m.Event == EventPending || m.Event == EventSnoozed):
			status, since = m.Event, m.SentAt
		case m.Direction == Event && m.Event == EventReopened, m.Direction == In && m.Event != EventSurveyAnswer:
			status, since = "open", m.SentAt
		case m.Direction == Out && Answers(m.Direction, m.Event):
			status, since = "pending", m.SentAt
		default:
			continue
		}
		break
	}
	if since.IsZero() {
		fmt.Fprintf(&b, "Status: %s\n", status)
	} else {
		fmt.Fprintf(&b, "Status: %s since %s\n", status, since.In(loc).Format("2006-01-02 15:04"))
	}
	for _, m := range newestFirst {
		if (m.Direction == In || m.Direction == Out) && strings.TrimSpace(m.Subject) != "" {
			fmt.Fprintf(&b, "Last subject: %s\n", strings.TrimSpace(m.Subject))
			break
		}
	}
	var last []string
	for _, m := range newestFirst {
		if m.Direction != In && m.Direction != Out {
			continue
		}
		arrow, who := "←", ""
		if m.Direction == Out {
			arrow = "→"
			if m.Author != "" {
				who = " (" + m.Author + ")"
			}
		}
		last = append(last, fmt.Sprintf("  %s %s %s%s: %s", arrow, m.Channel, m.SentAt.In(loc).Format("2006-01-02 15:04"), who, shorten(m.Text, 90)))
		if len(last) == 3 {
			break
		}
	}
	b.WriteString("Last messages:\n")
	for i := len(last) - 1; i >= 0; i-- {
		b.WriteString(last[i] + "\n")
	}
	for _, m := range newestFirst {
		if m.Direction == Note {
			who := ""
			if m.Author != "" {
				who = " (" + m.Author + ")"
			}
			fmt.Fprintf(&b, "Latest note%s: %s\n", who, shorten(m.Text, 140))
			break
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// shorten puts text on one line and cuts it at n runes.
func shorten(text string, n int) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n-1]) + "…"
	}
	return s
}
