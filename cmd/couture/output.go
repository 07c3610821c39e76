package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/couture/couture/inbox"
)

// writeJSON prints v as indented JSON. Lists are printed as arrays, never
// null.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// rfc3339 renders a time for JSON: RFC 3339 in UTC, nil for the zero time.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// ago renders a duration the way the customer list shows waiting times.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + " d"
	}
}

func parseCustomerID(s string) (inbox.CustomerID, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, usagef("%q is not a customer id (a positive number; couture customers lists them)", s)
	}
	return inbox.CustomerID(n), nil
}

// customerArg parses args with fs for a command that takes one customer
// ID, and returns the ID.
func customerArg(fs *flag.FlagSet, args []string) (inbox.CustomerID, error) {
	pos, err := parseArgs(fs, args, 1, "one customer ID")
	if err != nil {
		return 0, err
	}
	return parseCustomerID(pos[0])
}

// plural renders a count with the singular or plural form of a word.
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

var getenv = os.Getenv
