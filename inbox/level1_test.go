package inbox

import (
	"encoding/json"
	"os"
	"testing"
)

// defaultLibrary reads the default answer library the product ships
// (assets/answers.json; inbox cannot import assets, so the test reads the
// file).
func defaultLibrary(t *testing.T) []Answer {
	t.Helper()
	b, err := os.ReadFile("../assets/answers.json")
	if err != nil {
		t.Fatal(err)
	}
	list, err := ParseAnswers(b)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestLevel1Questions runs the level-1 matcher on 100 realistic customer
// questions (testdata/level1.json) against the default library. The bot
// must decide right on at least 90 of them and never send a wrong answer:
// escalating is always acceptable, answering with the wrong entry is not.
func TestLevel1Questions(t *testing.T) {
	b, err := os.ReadFile("testdata/level1.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Lang   string `json:"lang"`
		Text   string `json:"text"`
		Expect string `json:"expect"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 100 {
		t.Fatalf("%d questions in testdata/level1.json, want 100", len(cases))
	}
	m := NewMatcher(defaultLibrary(t))
	right, wrong := 0, 0
	for _, c := range cases {
		d := m.Decide(c.Text)
		got := string(d.Outcome)
		if d.Outcome == OutcomeAnswer {
			got = d.Answer
		}
		switch {
		case got == c.Expect:
			right++
		case d.Outcome == OutcomeAnswer:
			wrong++
			t.Errorf("WRONG ANSWER %q: sent %s, want %s (%s; score %.1f coverage %.2f second %.1f)", c.Text, d.Answer, c.Expect, d.Reason, d.Score, d.Coverage, d.Second)
		default:
			t.Logf("missed %q: %s, want %s (%s; score %.1f coverage %.2f second %.1f)", c.Text, got, c.Expect, d.Reason, d.Score, d.Coverage, d.Second)
		}
		if c.Lang != d.Lang && d.Lang != "" {
			t.Logf("language of %q: %s, want %s", c.Text, d.Lang, c.Lang)
		}
	}
	t.Logf("level-1: %d/100 right, %d wrong answers", right, wrong)
	if right < 90 {
		t.Errorf("level-1 decided right on %d of 100 questions, want at least 90", right)
	}
}
