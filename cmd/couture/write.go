package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
)

func init() {
	register(&command{name: "note", args: "ID TEXT… | ID --stdin", summary: "add an internal note to a customer", run: runNote})
	register(&command{name: "resolve", args: "ID", summary: "mark a customer's story resolved", run: statusCommand("resolve", (*inbox.Desk).Resolve)})
	register(&command{name: "reopen", args: "ID", summary: "reopen a customer", run: statusCommand("reopen", (*inbox.Desk).Reopen)})
	register(&command{name: "pending", args: "ID", summary: "mark a customer as waiting on them", run: statusCommand("pending", (*inbox.Desk).MarkPending)})
	register(&command{name: "snooze", args: "ID --until TIME|--for DURATION", summary: "hide a customer until a time", run: runSnooze})
	register(&command{name: "merge", args: "INTO FROM", summary: "merge customer FROM into INTO; prints the merge id", run: runMerge})
	register(&command{name: "unmerge", args: "MERGE_ID", summary: "undo a merge exactly", run: runUnmerge})
	register(&command{name: "rename", args: "ID NAME…", summary: "change a customer's display name", run: runRename})
}

// author is who the CLI acts as in the audit trail: $COUTURE_AGENT, else
// the login name.
func author() string {
	for _, k := range []string{"COUTURE_AGENT", "USER", "USERNAME"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	return "cli"
}

func runNote(e *env, args []string) error {
	fs := flag.NewFlagSet("note", flag.ContinueOnError)
	fromStdin := fs.Bool("stdin", false, "read the note from standard input")
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || (len(pos) == 1 && !*fromStdin) {
		return usagef("note takes a customer ID and the text (or --stdin)")
	}
	id, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	text := strings.Join(pos[1:], " ")
	if *fromStdin {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	m, err := a.desk.Note(id, author(), text)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "note %d added to customer %d\n", m.ID, id)
	return nil
}

func statusCommand(name string, fn func(*inbox.Desk, inbox.CustomerID, string) (inbox.Customer, error)) func(*env, []string) error {
	return func(e *env, args []string) error {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		id, err := customerArg(fs, args)
		if err != nil {
			return err
		}
		a, err := e.open()
		if err != nil {
			return err
		}
		c, err := fn(a.desk, id, author())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "customer %d (%s) is %s\n", c.ID, c.Name, c.Status)
		return nil
	}
}

func runSnooze(e *env, args []string) error {
	fs := flag.NewFlagSet("snooze", flag.ContinueOnError)
	until := fs.String("until", "", "RFC 3339 time or YYYY-MM-DD (local midnight)")
	dur := fs.Duration("for", 0, "duration, e.g. 4h or 72h")
	id, err := customerArg(fs, args)
	if err != nil {
		return err
	}
	if (*until == "") == (*dur == 0) {
		return usagef("snooze needs exactly one of --until TIME or --for DURATION")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	t := a.desk.Now().Add(*dur)
	if *until != "" {
		if t, err = parseWhen(*until); err != nil {
			return err
		}
	}
	c, err := a.desk.Snooze(id, author(), t)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "customer %d (%s) snoozed until %s\n", c.ID, c.Name, c.SnoozedUntil.Local().Format("2006-01-02 15:04"))
	return nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%q is not a time (use 2026-12-01, \"2026-12-01 09:00\" or RFC 3339)", s)
}

func runMerge(e *env, args []string) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	reason := fs.String("reason", "", "why (kept in the audit trail)")
	pos, err := parseArgs(fs, args, 2, "INTO and FROM customer IDs")
	if err != nil {
		return err
	}
	into, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	from, err := parseCustomerID(pos[1])
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	rs := *reason
	if rs == "" {
		rs = "merged by " + author()
	}
	m, err := a.desk.Merge(into, from, rs)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, mergeJSON{ID: m.ID, Into: m.Into, From: m.From, FromName: m.FromBefore.Name, At: rfc3339(m.At), Auto: m.Auto, Reason: m.Reason})
	}
	fmt.Fprintln(e.stdout, m.ID)
	fmt.Fprintf(e.stderr, "merged %s (%d) into %s (%d); undo with: couture unmerge %d\n", m.FromBefore.Name, m.From, m.IntoBefore.Name, m.Into, m.ID)
	return nil
}

func runUnmerge(e *env, args []string) error {
	fs := flag.NewFlagSet("unmerge", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 1, "one MERGE_ID (customers --json lists them under merges)")
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil || n == 0 {
		return usagef("%q is not a merge id", pos[0])
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	m, err := a.desk.Unmerge(inbox.MergeID(n))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merge %d undone: %s (%d) and %s (%d) are separate again\n", m.ID, m.IntoBefore.Name, m.Into, m.FromBefore.Name, m.From)
	return nil
}

func runRename(e *env, args []string) error {
	fs := flag.NewFlagSet("rename", flag.ContinueOnError)
	pos, err := flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("rename takes a customer ID and the new name")
	}
	id, err := parseCustomerID(pos[0])
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	c, err := a.desk.Rename(id, strings.Join(pos[1:], " "))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "customer %d is now %s\n", c.ID, c.Name)
	return nil
}
