package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenNow is the fixed clock of the golden tests ($COUTURE_NOW): a Friday
// afternoon in Lyon, 17:00 Paris time.
const goldenNow = "2026-11-20T16:00:00Z"

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/couture -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// demoAt loads the demo into a fresh store with the clock held at
// goldenNow, for every command the test runs.
func demoAt(t *testing.T) string {
	t.Helper()
	t.Setenv("COUTURE_NOW", goldenNow)
	dir := t.TempDir()
	ok(t, dir, "demo")
	return dir
}

// The reports of the demo business, frozen: stats --json (the fields the
// GUI and scripts read) and the readable report.
func TestReportsGolden(t *testing.T) {
	dir := demoAt(t)
	stats := ok(t, dir, "stats", "--json")
	golden(t, "stats.json.golden", stats)
	golden(t, "report.golden", ok(t, dir, "report", "--days", "30"))
	golden(t, "report-7.json.golden", ok(t, dir, "report", "--days", "7", "--json"))

	// The numbers the issue asks for are there, with real values.
	st := decode[map[string]any](t, stats)
	for _, f := range []string{"first_response_median_s", "first_response_p90_s", "resolution_median_s", "resolution_p90_s", "fcr_rate", "ces_average", "csat_average"} {
		if v, ok := st[f].(float64); !ok || v <= 0 {
			t.Errorf("stats %s = %v, want a positive number", f, st[f])
		}
	}
	for f, min := range map[string]float64{"fcr_count": 1, "fcr_eligible": 2, "ces_count": 2, "csat_count": 2, "bot_answers": 2, "escalations": 1, "surveys_sent": 3} {
		if v, _ := st[f].(float64); v < min {
			t.Errorf("stats %s = %v, want at least %v", f, st[f], min)
		}
	}
	if h, _ := st["volume_by_hour"].([]any); len(h) != 24 {
		t.Errorf("volume_by_hour = %v", st["volume_by_hour"])
	}
	if d, _ := st["volume_by_day"].(map[string]any); len(d) != 30 {
		t.Errorf("volume_by_day has %d days, want 30", len(d))
	}
	if ch, _ := st["by_channel"].(map[string]any); len(ch) != 5 {
		t.Errorf("by_channel = %v", st["by_channel"])
	}
}

// The demo shows the service layer: the escalated customer on top, the
// bot's answers and the surveys on the timelines.
func TestDemoServiceStories(t *testing.T) {
	dir := demoAt(t)
	cs := decode[[]custJSON](t, ok(t, dir, "customers", "--json"))
	if cs[0].Name != "Rachel Adams" {
		t.Errorf("first customer %s, want Rachel Adams (escalated by the bot)", cs[0].Name)
	}
	var events []string
	bot := 0
	for _, c := range cs {
		for _, m := range decode[[]struct {
			Direction string `json:"direction"`
			Event     string `json:"event"`
			Author    string `json:"author"`
			Text      string `json:"text"`
			State     string `json:"state"`
		}](t, ok(t, dir, "timeline", fmt.Sprint(c.ID), "--json")) {
			if m.Author == "bot" {
				events = append(events, m.Event)
				if m.Event == "bot-answer" {
					bot++
					if m.State != "sent" || !strings.Contains(m.Text, "HUMAN") && !strings.Contains(m.Text, "CONSEILLER") {
						t.Errorf("bot answer %+v", m)
					}
				}
			}
		}
	}
	count := func(ev string) int {
		n := 0
		for _, e := range events {
			if e == ev {
				n++
			}
		}
		return n
	}
	if bot < 2 || count("escalated") != 1 || count("survey") < 3 || count("summary") < 1 {
		t.Errorf("automatic entries %v: want bot answers, one escalation, surveys, a continuity summary", events)
	}
	golden(t, "settings.golden", ok(t, dir, "business"))
	golden(t, "hours.golden", ok(t, dir, "hours", "show"))
}

func TestAnswersCommands(t *testing.T) {
	t.Setenv("COUTURE_NOW", goldenNow)
	dir := t.TempDir()
	golden(t, "answers-list.golden", ok(t, dir, "answers", "list"))
	ok(t, dir, "business", "--name", "Fournil & Café", "--lang", "fr")
	ok(t, dir, "hours", "set", "--zone", "Europe/Paris", "--tue", "07:00-19:00", "--wed", "07:00-19:00", "--thu", "07:00-19:00", "--fri", "07:00-19:00", "--sat", "07:00-19:00", "--sun", "08:00-13:30", "--holiday", "2026-12-25")
	golden(t, "answer-sms.golden", ok(t, dir, "answers", "show", "hours-fr", "--channel", "sms"))
	golden(t, "answer-email.golden", ok(t, dir, "answers", "show", "address-en", "--channel", "email"))
	golden(t, "answer-telegram.golden", ok(t, dir, "answers", "show", "cake-order-fr", "--channel", "telegram"))

	// add (body on stdin), edit, show, remove.
	r := couture(t, dir, "Oui, un **arceau vélo** devant la boutique.\n\n- gratuit\n- abrité", "answers", "add", "--title", "Vélo", "--tags", "pratique", "--keywords", "vélo,arceau", "--lang", "fr")
	if r.code != 0 || !strings.Contains(r.stdout, "answer velo added") {
		t.Fatalf("answers add: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := couture(t, dir, "", "answers", "add", "--title", "Vide"); r.code != 2 {
		t.Errorf("answers add without a body: exit %d", r.code)
	}
	ok(t, dir, "answers", "edit", "velo", "--title", "Garer son vélo")
	show := ok(t, dir, "answers", "show", "velo", "--channel", "whatsapp")
	if !strings.Contains(show, "*arceau vélo*") || !strings.Contains(show, "- abrité") {
		t.Errorf("show on WhatsApp = %q", show)
	}
	list := decode[[]map[string]any](t, ok(t, dir, "answers", "list", "--json", "--lang", "fr"))
	found := false
	for _, a := range list {
		found = found || a["id"] == "velo" && a["title"] == "Garer son vélo"
	}
	if !found || len(list) != 11 {
		t.Errorf("%d French answers, velo edited %v", len(list), found)
	}
	// export, remove, import back.
	exported := filepath.Join(t.TempDir(), "answers.json")
	ok(t, dir, "answers", "export", "--out", exported)
	ok(t, dir, "answers", "remove", "velo")
	if r := couture(t, dir, "", "answers", "remove", "velo"); r.code != 1 || !strings.Contains(r.stderr, "no answer") {
		t.Errorf("remove twice: %d %q", r.code, r.stderr)
	}
	if out := ok(t, dir, "answers", "import", exported); !strings.Contains(out, "1 added, 20 replaced") {
		t.Errorf("import = %q", out)
	}
	var again bytes.Buffer
	again.WriteString(ok(t, dir, "answers", "export"))
	var a, b []map[string]any
	json.Unmarshal(again.Bytes(), &a)
	raw, _ := os.ReadFile(exported)
	json.Unmarshal(raw, &b)
	if len(a) != len(b) || len(a) != 21 {
		t.Errorf("export after import: %d answers, want %d", len(a), len(b))
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"id": "x", "title": "X", "body": "Hi {nom}"}]`), 0o644)
	if r := couture(t, dir, "", "answers", "import", bad); r.code != 1 || !strings.Contains(r.stderr, "{nom}") {
		t.Errorf("import of an unknown placeholder: %d %q", r.code, r.stderr)
	}
}

// squash puts text on one line with single spaces, for checks that do not
// care about column widths.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestServiceSettingsCommands(t *testing.T) {
	t.Setenv("COUTURE_NOW", goldenNow)
	dir := t.TempDir()
	if r := couture(t, dir, "", "hours", "set", "--zone", "Mars/Olympus", "--mon", "08:00-19:00"); r.code != 1 || !strings.Contains(r.stderr, "unknown time zone") {
		t.Errorf("bad zone: %d %q", r.code, r.stderr)
	}
	if r := couture(t, dir, "", "hours", "set", "--zone", "Europe/Paris", "--mon", "19:00-08:00"); r.code != 2 {
		t.Errorf("span over midnight: %d %q", r.code, r.stderr)
	}
	out := ok(t, dir, "hours", "set", "--zone", "Europe/Paris", "--mon", "08:00-12:00,14:00-19:00", "--sat", "9h-13h", "--holiday", "2026-12-25,2027-01-01")
	for _, want := range []string{"Monday 08:00-12:00, 14:00-19:00", "Sunday closed", "holidays 2026-12-25, 2027-01-01", "now closed, opens Sat 2026-11-21 09:00 CET"} {
		if !strings.Contains(squash(out), want) {
			t.Errorf("hours set printed %q, want %q", out, want)
		}
	}
	h := decode[map[string]any](t, ok(t, dir, "hours", "show", "--json"))
	if h["zone"] != "Europe/Paris" {
		t.Errorf("hours --json = %v", h)
	}
	out = ok(t, dir, "auto-ack", "on", "--channels", "sms,email", "--every", "12")
	if !strings.Contains(squash(out), "auto-ack on (outside business hours, sms, email, at most one per customer in 12 h)") {
		t.Errorf("auto-ack on printed %q", out)
	}
	out = ok(t, dir, "bot", "on")
	if !strings.Contains(squash(out), "bot on (every channel)") {
		t.Errorf("bot on printed %q", out)
	}
	out = ok(t, dir, "survey", "on", "--kind", "csat")
	if !strings.Contains(squash(out), "survey on (CSAT") {
		t.Errorf("survey on printed %q", out)
	}
	svc := decode[map[string]any](t, ok(t, dir, "business", "--json"))
	if ack := svc["ack"].(map[string]any); ack["enabled"] != true || ack["every_hours"].(float64) != 12 {
		t.Errorf("service = %v", svc)
	}
	if r := couture(t, dir, "", "survey", "on", "--kind", "nps"); r.code != 2 {
		t.Errorf("survey kind nps: exit %d", r.code)
	}
	if r := couture(t, dir, "", "bot", "maybe"); r.code != 2 {
		t.Errorf("bot maybe: exit %d", r.code)
	}
	for text, want := range map[string]string{
		"Vous êtes ouverts le dimanche ?": "answer hours-fr",
		"I want a refund":                 "escalate: negative word (refund)",
		"Merci !":                         "nothing to do",
	} {
		if got := ok(t, dir, "bot", "test", text); !strings.HasPrefix(got, want) {
			t.Errorf("bot test %q = %q, want %q", text, got, want)
		}
	}
	// Sender rules.
	out = ok(t, dir, "sender", "other", "@minoterie-lyonnais.example")
	if !strings.Contains(out, "email:@minoterie-lyonnais.example is not a customer") {
		t.Errorf("sender other printed %q", out)
	}
	ok(t, dir, "sender", "customer", "Shop <NoReply@Laiterie.example>")
	rules := decode[map[string][]string](t, ok(t, dir, "sender", "list", "--json"))
	if len(rules["customers"]) != 1 || rules["customers"][0] != "email:noreply@laiterie.example" || len(rules["others"]) != 1 {
		t.Errorf("sender rules = %v", rules)
	}
	if r := couture(t, dir, "", "sender", "other", "not an address"); r.code != 1 {
		t.Errorf("sender other garbage: exit %d %q", r.code, r.stderr)
	}
	ok(t, dir, "sender", "forget", "@minoterie-lyonnais.example")
}
