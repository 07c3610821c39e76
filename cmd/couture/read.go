package main

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/couture/couture/inbox"
)

func init() {
	register(&command{name: "customers", args: "[--status S] [--channel C] [--unread] [--query Q]", summary: "list customers, longest waiting first", run: runCustomers})
	register(&command{name: "timeline", args: "ID [--limit N] [--before CURSOR]", summary: "show a customer's messages on every channel", run: runTimeline})
	register(&command{name: "search", args: "QUERY", summary: "full-text search of every message", run: runSearch})
	register(&command{name: "stats", summary: "counts, response and resolution times", run: runStats})
}

// customerJSON is the stable JSON form of a customer.
type customerJSON struct {
	ID            inbox.CustomerID `json:"id"`
	Name          string           `json:"name"`
	Status        inbox.Status     `json:"status"`
	Identities    []inbox.Identity `json:"identities"`
	MessageCount  int              `json:"message_count"`
	Unread        int              `json:"unread"`
	LastMessageAt *string          `json:"last_message_at"`
	WaitingSince  *string          `json:"waiting_since"`
	SnoozedUntil  *string          `json:"snoozed_until"`
	LastChannel   string           `json:"last_channel"`
	Preview       string           `json:"preview"`
	Labels        []string         `json:"labels"`
	Escalated     bool             `json:"escalated"`
	Merges        []mergeJSON      `json:"merges"`
}

type mergeJSON struct {
	ID       inbox.MergeID    `json:"id"`
	Into     inbox.CustomerID `json:"into"`
	From     inbox.CustomerID `json:"from"`
	FromName string           `json:"from_name"`
	At       *string          `json:"at"`
	Auto     bool             `json:"auto"`
	Reason   string           `json:"reason"`
}

func toCustomerJSON(d *inbox.Desk, c *inbox.Customer) customerJSON {
	out := customerJSON{
		ID: c.ID, Name: c.Name, Status: c.EffectiveStatus(d.Now()), Identities: c.Identities,
		MessageCount: c.MessageCount, Unread: c.Unread,
		LastMessageAt: rfc3339(c.LastMessageAt), WaitingSince: rfc3339(c.WaitingSince),
		LastChannel: string(c.LastChannel), Preview: c.LastPreview, Merges: []mergeJSON{},
		Labels: c.Labels, Escalated: c.Escalated(),
	}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	if c.Status == inbox.Snoozed {
		out.SnoozedUntil = rfc3339(c.SnoozedUntil)
	}
	if out.Identities == nil {
		out.Identities = []inbox.Identity{}
	}
	for _, id := range c.Merges {
		m, err := d.MergeRecord(id)
		if err != nil {
			continue
		}
		out.Merges = append(out.Merges, mergeJSON{ID: m.ID, Into: m.Into, From: m.From, FromName: m.FromBefore.Name, At: rfc3339(m.At), Auto: m.Auto, Reason: m.Reason})
	}
	return out
}

func runCustomers(e *env, args []string) error {
	fs := flag.NewFlagSet("customers", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	status := fs.String("status", "", "only open, pending, snoozed or resolved")
	channel := fs.String("channel", "", "only customers reachable on this channel")
	unread := fs.Bool("unread", false, "only customers with unread messages")
	query := fs.String("query", "", "name or address contains")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	f := inbox.Filter{Unread: *unread, Query: *query}
	if *status != "" {
		if f.Status, err = inbox.ParseStatus(*status); err != nil {
			return usagef("%s", inbox.Explain(err))
		}
	}
	if *channel != "" {
		if f.Channel, err = inbox.ParseChannel(*channel); err != nil {
			return usagef("%s", inbox.Explain(err))
		}
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	cs, err := a.desk.Customers(f)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]customerJSON, 0, len(cs))
		for i := range cs {
			out = append(out, toCustomerJSON(a.desk, &cs[i]))
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tWAITING\tMSGS\tNAME\tIDENTITIES")
	now := a.desk.Now()
	for _, c := range cs {
		waiting := "-"
		if !c.WaitingSince.IsZero() {
			waiting = ago(now.Sub(c.WaitingSince))
		}
		ids := make([]string, len(c.Identities))
		for i, id := range c.Identities {
			ids[i] = id.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.EffectiveStatus(now), waiting, c.MessageCount, c.Name, strings.Join(ids, ", "))
	}
	return tw.Flush()
}

// messageJSON is the stable JSON form of a timeline entry.
type messageJSON struct {
	ID          inbox.MessageID    `json:"id"`
	CustomerID  inbox.CustomerID   `json:"customer_id"`
	Channel     string             `json:"channel"`
	Account     string             `json:"account"`
	Direction   inbox.Direction    `json:"direction"`
	From        string             `json:"from"`
	To          string             `json:"to"`
	Subject     string             `json:"subject"`
	Text        string             `json:"text"`
	SentAt      *string            `json:"sent_at"`
	ExternalID  string             `json:"external_id"`
	State       string             `json:"state"`
	Event       string             `json:"event,omitempty"`
	Author      string             `json:"author,omitempty"`
	Warning     string             `json:"warning,omitempty"`
	Attachments []inbox.Attachment `json:"attachments"`
}

func toMessageJSON(m *inbox.Message) messageJSON {
	out := messageJSON{
		ID: m.ID, CustomerID: m.CustomerID, Channel: string(m.Channel), Account: m.Account,
		Direction: m.Direction, From: m.From, To: m.To, Subject: m.Subject, Text: m.Text,
		SentAt: rfc3339(m.SentAt), ExternalID: m.ExternalID, State: string(m.State),
		Event: m.Event, Author: m.Author, Warning: m.Warning, Attachments: m.Attachments,
	}
	if out.Attachments == nil {
		out.Attachments = []inbox.Attachment{}
	}
	return out
}

func runTimeline(e *env, args []string) error {
	fs := flag.NewFlagSet("timeline", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 200, "messages per page")
	before := fs.String("before", "", "cursor of an older page (printed on stderr after a page)")
	id, err := customerArg(fs, args)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return usagef("--limit must be positive")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	p, err := a.desk.Timeline(id, *before, *limit)
	if err != nil {
		return err
	}
	if p.Before != "" {
		fmt.Fprintf(e.stderr, "older messages: couture timeline %d --before %s\n", id, p.Before)
	}
	if *asJSON {
		out := make([]messageJSON, 0, len(p.Messages))
		for i := range p.Messages {
			out = append(out, toMessageJSON(&p.Messages[i]))
		}
		return writeJSON(e.stdout, out)
	}
	for _, m := range p.Messages {
		printMessage(e, &m)
	}
	return nil
}

func printMessage(e *env, m *inbox.Message) {
	when := m.SentAt.Local().Format("2006-01-02 15:04")
	switch m.Direction {
	case inbox.Event:
		fmt.Fprintf(e.stdout, "%s  — %s%s —\n", when, m.Text, by(m.Author))
		return
	case inbox.Note:
		fmt.Fprintf(e.stdout, "%s  [note%s] %s\n", when, by(m.Author), m.Text)
		return
	}
	arrow := "←"
	who := m.From
	if m.Direction == inbox.Out {
		arrow, who = "→", m.To
	}
	state := ""
	if m.State != inbox.StateNone {
		state = " (" + string(m.State) + ")"
	}
	fmt.Fprintf(e.stdout, "%s  %s %-8s %s%s%s\n", when, arrow, m.Channel, who, state, by(m.Author))
	if m.Subject != "" {
		fmt.Fprintf(e.stdout, "    Subject: %s\n", m.Subject)
	}
	for _, line := range strings.Split(strings.TrimRight(m.Text, "\n"), "\n") {
		fmt.Fprintf(e.stdout, "    %s\n", line)
	}
	for _, at := range m.Attachments {
		fmt.Fprintf(e.stdout, "    [attachment] %s (%s, %d bytes)\n", at.Name, at.Type, at.Size)
	}
}

func by(author string) string {
	if author == "" {
		return ""
	}
	return " by " + author
}

type hitJSON struct {
	MessageID  inbox.MessageID  `json:"message_id"`
	CustomerID inbox.CustomerID `json:"customer_id"`
	Channel    string           `json:"channel"`
	SentAt     *string          `json:"sent_at"`
	Snippet    string           `json:"snippet"`
}

func runSearch(e *env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 50, "most results")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("search takes a QUERY")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	hits, err := a.desk.Search(e.ctx, strings.Join(pos, " "), *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]hitJSON, 0, len(hits))
		for _, h := range hits {
			out = append(out, hitJSON{h.MessageID, h.CustomerID, string(h.Channel), rfc3339(h.SentAt), h.Snippet})
		}
		return writeJSON(e.stdout, out)
	}
	for _, h := range hits {
		fmt.Fprintf(e.stdout, "customer %d  %s  %-8s  %s\n", h.CustomerID, h.SentAt.Local().Format("2006-01-02 15:04"), h.Channel, h.Snippet)
	}
	if len(hits) == 0 {
		fmt.Fprintln(e.stderr, "no message matches")
	}
	return nil
}

func runStats(e *env, args []string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	_, err := parseArgs(fs, args, 0, "no arguments")
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	st, err := a.desk.Stats()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, st)
	}
	fmt.Fprintf(e.stdout, "customers  %d (open %d, pending %d, snoozed %d, resolved %d; %d waiting)\n", st.CustomersTotal, st.Open, st.Pending, st.Snoozed, st.Resolved, st.Waiting)
	fmt.Fprintf(e.stdout, "messages   %d (%d in Other)\n", st.MessagesTotal, st.OtherTotal)
	for _, ch := range inbox.Channels {
		if n := st.MessagesByChannel[ch]; n > 0 {
			fmt.Fprintf(e.stdout, "  %-9s %d\n", ch, n)
		}
	}
	fmt.Fprintf(e.stdout, "first response, median  %s (%s)\n", seconds(st.FirstResponseMedian), plural(st.FirstResponseCount, "story", "stories"))
	fmt.Fprintf(e.stdout, "resolution, median      %s (%s)\n", seconds(st.ResolutionMedian), plural(st.ResolutionCount, "story", "stories"))
	fmt.Fprintln(e.stdout, "couture report shows percentiles, first-contact resolution, CES and CSAT")
	return nil
}

func seconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f s", *s)
}
