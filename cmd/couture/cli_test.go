package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/couture/couture/storage"
)

// binary is the couture command built once for the package's tests: the
// CLI tests drive the real program, flags, exit codes and all.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "couture-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "couture")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build couture: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// couture runs the binary on the data directory dir.
func couture(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--data-dir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "COUTURE_SECRETS=file", "COUTURE_AGENT=test")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run couture %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// ok runs the binary and fails the test unless it exits 0.
func ok(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := couture(t, dir, "", args...)
	if r.code != 0 {
		t.Fatalf("couture %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

type custJSON struct {
	ID         uint64 `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Identities []struct {
		Kind    string `json:"kind"`
		Address string `json:"address"`
	} `json:"identities"`
	MessageCount  int     `json:"message_count"`
	LastMessageAt *string `json:"last_message_at"`
	WaitingSince  *string `json:"waiting_since"`
	Merges        []struct {
		ID   uint64 `json:"id"`
		From uint64 `json:"from"`
	} `json:"merges"`
}

type msgJSON struct {
	ID         uint64 `json:"id"`
	CustomerID uint64 `json:"customer_id"`
	Channel    string `json:"channel"`
	Account    string `json:"account"`
	Direction  string `json:"direction"`
	From       string `json:"from"`
	To         string `json:"to"`
	Subject    string `json:"subject"`
	Text       string `json:"text"`
	SentAt     string `json:"sent_at"`
	ExternalID string `json:"external_id"`
	State      string `json:"state"`
}

func TestDemoCustomersTimelineStats(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "demo")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if len(cs) < 30 {
		t.Fatalf("demo has %d customers, want about 40", len(cs))
	}
	statuses := map[string]int{}
	kinds := map[string]bool{}
	for i, c := range cs {
		statuses[c.Status]++
		for _, id := range c.Identities {
			kinds[id.Kind] = true
		}
		if c.ID == 0 || c.Name == "" || c.MessageCount == 0 || c.LastMessageAt == nil {
			t.Fatalf("customer %+v is incomplete", c)
		}
		if _, err := time.Parse(time.RFC3339, *c.LastMessageAt); err != nil {
			t.Fatalf("last_message_at %q: %v", *c.LastMessageAt, err)
		}
		// Longest waiting first.
		if i > 0 && c.WaitingSince != nil && cs[i-1].WaitingSince != nil && *c.WaitingSince < *cs[i-1].WaitingSince {
			t.Fatalf("customers not ordered by waiting time at %d", i)
		}
	}
	for _, s := range []string{"open", "pending", "resolved", "snoozed"} {
		if statuses[s] == 0 {
			t.Errorf("no %s customer in the demo: %v", s, statuses)
		}
	}
	for _, k := range []string{"email", "phone", "telegram", "matrix"} {
		if !kinds[k] {
			t.Errorf("no %s identity in the demo", k)
		}
	}
	// Loading the demo again changes nothing.
	ok(t, dir, "demo")
	if again := decode[[]custJSON](t, ok(t, dir, "customers", "--json")); len(again) != len(cs) {
		t.Fatalf("second demo load: %d customers, want %d", len(again), len(cs))
	}
	tl := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--json"))
	if len(tl) == 0 {
		t.Fatal("empty timeline")
	}
	for i := 1; i < len(tl); i++ {
		if tl[i].SentAt < tl[i-1].SentAt {
			t.Fatalf("timeline out of order: %s after %s", tl[i].SentAt, tl[i-1].SentAt)
		}
	}
	page := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(cs[0].ID), "--limit", "1", "--json"))
	if len(page) != 1 || page[0].ID != tl[len(tl)-1].ID {
		t.Fatalf("--limit 1 gave %+v, want the newest message", page)
	}
	st := decode[map[string]any](t, ok(t, dir, "stats", "--json"))
	for _, f := range []string{"messages_total", "other_total", "customers_total", "open", "pending", "snoozed", "resolved", "messages_by_channel", "first_response_median_s", "resolution_median_s"} {
		if _, ok := st[f]; !ok {
			t.Errorf("stats has no %s", f)
		}
	}
	if st["customers_total"].(float64) != float64(len(cs)) || st["other_total"].(float64) == 0 {
		t.Errorf("stats = %v", st)
	}
	if out := ok(t, dir, "search", "--json", "gâteau"); !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Errorf("search --json printed %q", out)
	}
}

func TestMergeThenUnmergeGivesBackBothTimelines(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "demo")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	a, b := cs[0].ID, cs[1].ID
	tlA := ok(t, dir, "timeline", fmt.Sprint(a), "--json")
	tlB := ok(t, dir, "timeline", fmt.Sprint(b), "--json")
	mergeID := strings.TrimSpace(ok(t, dir, "merge", fmt.Sprint(a), fmt.Sprint(b)))
	merged := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(a), "--json"))
	if len(merged) != len(decode[[]msgJSON](t, tlA))+len(decode[[]msgJSON](t, tlB))+1 {
		t.Fatalf("merged timeline has %d entries", len(merged))
	}
	after := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	found := false
	for _, c := range after {
		if c.ID == b {
			t.Fatalf("customer %d still listed after merge", b)
		}
		if c.ID == a {
			for _, m := range c.Merges {
				found = found || fmt.Sprint(m.ID) == mergeID && m.From == b
			}
		}
	}
	if !found {
		t.Fatalf("customers --json does not list merge %s under merges", mergeID)
	}
	ok(t, dir, "unmerge", mergeID)
	if got := ok(t, dir, "timeline", fmt.Sprint(a), "--json"); got != tlA {
		t.Fatalf("timeline %d after unmerge differs:\n%s\nwant\n%s", a, got, tlA)
	}
	if got := ok(t, dir, "timeline", fmt.Sprint(b), "--json"); got != tlB {
		t.Fatalf("timeline %d after unmerge differs", b)
	}
	if r := couture(t, dir, "", "unmerge", mergeID); r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("second unmerge: exit %d, stderr %q", r.code, r.stderr)
	}
}

func writeMail(t *testing.T, path, from, to, id, subject, body string, when time.Time) {
	t.Helper()
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		from, to, subject, id, when.Format(time.RFC1123Z), body)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportMaildirTwiceAndMbox(t *testing.T) {
	dir, md := t.TempDir(), t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	writeMail(t, filepath.Join(md, "cur", "1.host:2,S"), "Anna Martin <anna@example.org>", "shop@fournil.example", "a1@example.org", "Gâteau", "Bonjour, un gâteau pour samedi ?", t0)
	writeMail(t, filepath.Join(md, "new", "2.host"), "bob@example.net", "shop@fournil.example", "b1@example.net", "Order", "Do you deliver?", t0.Add(time.Hour))
	writeMail(t, filepath.Join(md, "cur", "3.host:2,S"), "shop@fournil.example", "anna@example.org", "s1@fournil.example", "Re: Gâteau", "Oui bien sûr.", t0.Add(2*time.Hour))
	// The same Message-ID twice (a copy in another folder) stays one.
	writeMail(t, filepath.Join(md, ".Archive", "cur", "4.host:2,S"), "Anna Martin <anna@example.org>", "shop@fournil.example", "a1@example.org", "Gâteau", "Bonjour, un gâteau pour samedi ?", t0)
	os.MkdirAll(filepath.Join(md, ".Archive", "new"), 0o755)
	os.MkdirAll(filepath.Join(md, ".Archive", "tmp"), 0o755)

	ok(t, dir, "import", "maildir", md, "--me", "shop@fournil.example")
	first := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	st1 := ok(t, dir, "stats", "--json")
	ok(t, dir, "import", "maildir", md, "--me", "shop@fournil.example")
	if st2 := ok(t, dir, "stats", "--json"); st2 != st1 {
		t.Fatalf("second import changed the counts:\n%s\nwas\n%s", st2, st1)
	}
	if len(first) != 2 {
		t.Fatalf("customers = %+v, want anna and bob", first)
	}
	var anna custJSON
	for _, c := range first {
		if c.Name == "Anna Martin" {
			anna = c
		}
	}
	if anna.MessageCount != 2 {
		t.Fatalf("anna = %+v, want 2 messages (one in, one answer)", anna)
	}
	tl := decode[[]msgJSON](t, ok(t, dir, "timeline", fmt.Sprint(anna.ID), "--json"))
	if tl[0].Direction != "in" || tl[1].Direction != "out" || tl[1].Subject != "Re: Gâteau" {
		t.Fatalf("anna's timeline = %+v", tl)
	}

	// mbox export of anna, imported into a fresh store, gives the same story.
	box := filepath.Join(t.TempDir(), "anna.mbox")
	ok(t, dir, "export", fmt.Sprint(anna.ID), "--format", "mbox", "--out", box)
	other := t.TempDir()
	out := ok(t, other, "import", "mbox", box, "--me", "shop@fournil.example")
	if !strings.Contains(out, "2 new") {
		t.Fatalf("mbox import: %s", out)
	}
	ok(t, other, "import", "mbox", box, "--me", "shop@fournil.example")
	if cs := decode[[]custJSON](t, ok(t, other, "customers", "--json")); len(cs) != 1 || cs[0].MessageCount != 2 {
		t.Fatalf("after mbox import twice: %+v", cs)
	}
	exp := decode[map[string]any](t, ok(t, dir, "export", fmt.Sprint(anna.ID)))
	if msgs, _ := exp["messages"].([]any); len(msgs) != 2 {
		t.Fatalf("json export = %v", exp)
	}
}

func TestSecondProcessFailsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := couture(t, dir, "", "customers")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "already open by another Couture") {
		t.Fatalf("stderr = %q", r.stderr)
	}
}

func TestUsageAndErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"timeline without id", []string{"timeline"}, 2, "one customer ID"},
		{"bad id", []string{"timeline", "abc"}, 2, "not a customer id"},
		{"unknown flag", []string{"customers", "--nope"}, 2, "flag provided but not defined"},
		{"bad status", []string{"customers", "--status", "closed"}, 2, "unknown status"},
		{"missing customer", []string{"timeline", "999"}, 1, "customer 999 does not exist"},
		{"empty note", []string{"note", "999", " "}, 1, ""},
		{"snooze without time", []string{"snooze", "1"}, 2, "--until"},
		{"merge self", []string{"merge", "1", "1"}, 1, "itself"},
		{"restore garbage", []string{"restore", "/nonexistent/backup.tar"}, 1, "cannot open the backup"},
		{"help", []string{"help"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := couture(t, dir, "", c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", r.code, c.code, r.stderr)
			}
			if c.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("stderr is not one line: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Fatalf("stderr %q does not say %q", r.stderr, c.want)
			}
		})
	}
}

func TestStatusNoteSearchBackupRestore(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "demo")
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json", "--status", "open"))
	id := fmt.Sprint(cs[0].ID)
	ok(t, dir, "note", id, "called back, wants the invoice by mail")
	ok(t, dir, "resolve", id)
	if c := decode[[]custJSON](t, ok(t, dir, "customers", "--json", "--status", "resolved")); !containsID(c, cs[0].ID) {
		t.Fatal("resolved customer not listed as resolved")
	}
	ok(t, dir, "snooze", id, "--for", "48h")
	ok(t, dir, "reopen", id)
	hits := decode[[]struct {
		MessageID  uint64 `json:"message_id"`
		CustomerID uint64 `json:"customer_id"`
		Snippet    string `json:"snippet"`
	}](t, ok(t, dir, "search", "--json", "invoice", "mail"))
	if len(hits) == 0 || !strings.Contains(hits[0].Snippet, "invoice") {
		t.Fatalf("search for the note: %+v", hits)
	}
	backup := filepath.Join(t.TempDir(), "backup.tar")
	ok(t, dir, "backup", backup)
	before := ok(t, dir, "customers", "--json")
	restored := t.TempDir()
	ok(t, restored, "restore", backup)
	if got := ok(t, restored, "customers", "--json"); got != before {
		t.Fatal("restored store lists different customers")
	}
	ok(t, dir, "compact")
	if got := ok(t, dir, "customers", "--json"); got != before {
		t.Fatal("compact changed the customers")
	}
}

func containsID(cs []custJSON, id uint64) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}
