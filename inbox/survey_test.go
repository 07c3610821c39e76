package inbox

import (
	"testing"
	"time"
)

func TestParseSurveyReply(t *testing.T) {
	tests := []struct {
		text string
		ces  int // 0: not an answer
		csat int
	}{
		// Digits.
		{"6", 6, 0},
		{"5", 5, 5},
		{" 7 ", 7, 0},
		{"6/7", 6, 0},
		{"5/5", 5, 5},
		{"4 sur 5", 0, 4},
		{"6 sur 7, merci !", 6, 0},
		{"5 out of 5", 0, 5},
		{"7 - thank you so much! Emily", 7, 0},
		{"Je dirais 6", 6, 0},
		{"0", 0, 0},
		{"8", 0, 0},
		{"10/10", 0, 0},
		{"6 or 7", 0, 0},
		// Number words.
		{"six", 6, 0},
		{"Sept !", 7, 0},
		{"five", 5, 5},
		{"un", 1, 1},
		{"trois", 3, 3},
		// Words, French and English.
		{"très facile", 7, 0},
		{"Très facile, merci", 7, 0},
		{"very easy, thanks!", 7, 0},
		{"facile", 6, 0},
		{"plutôt facile", 5, 0},
		{"pas facile", 2, 0},
		{"not easy", 2, 0},
		{"very difficult", 1, 0},
		{"excellent", 7, 5},
		{"Excellent !", 7, 5},
		{"nul", 1, 1},
		{"pas terrible", 2, 2},
		{"bof", 4, 3},
		{"satisfait", 6, 4},
		{"très satisfaite", 7, 5},
		{"pas du tout satisfait", 1, 1},
		{"great service", 7, 5},
		{"une très bonne expérience", 7, 5},
		// Emoji and stars.
		{"😀", 7, 5},
		{"😊", 6, 4},
		{"🙂", 6, 4},
		{"😐", 4, 3},
		{"🙁", 2, 2},
		{"😞", 1, 1},
		{"👍", 6, 4},
		{"merci 😍", 7, 5},
		{"⭐⭐⭐⭐", 4, 4},
		{"★★★★★", 5, 5},
		// The most explicit signal wins.
		{"très facile 😊", 7, 0},
		{"7 😊", 7, 0},
		{"4 ⭐⭐⭐⭐", 4, 4},
		{"3 ⭐⭐⭐⭐", 0, 0},
		{"😀 😞", 0, 0},
		// A normal message.
		{"2 baguettes pour demain svp", 0, 0},
		{"Do you also deliver on Sundays?", 0, 0},
		{"thanks", 0, 0},
		{"", 0, 0},
		{"Merci beaucoup pour votre aide, le gâteau était délicieux et les enfants ont adoré ! Vous êtes les meilleurs, on revient très vite", 0, 0},
		// A reply with the question quoted below.
		{"6\n\nOn Tue, 3 Mar 2026 at 10:00, Fournil wrote:\n> from 1 (very difficult) to 7 (very easy)", 6, 0},
		{"5\n> de 1 à 5", 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			for _, c := range []struct {
				kind SurveyKind
				want int
			}{{CES, tt.ces}, {CSAT, tt.csat}} {
				got, ok := ParseSurveyReply(c.kind, tt.text)
				if ok != (c.want != 0) || got != c.want {
					t.Errorf("ParseSurveyReply(%s, %q) = %d, %v; want %d", c.kind, tt.text, got, ok, c.want)
				}
			}
		})
	}
}

// The first message after a survey, from the party it went to, decides:
// a score is marked as the answer; anything else stays a normal message.
// Either way the survey stops waiting.
func TestMarkSurveyAnswers(t *testing.T) {
	anna := Identity{KindPhone, "+33639981142"}
	bob := Identity{KindEmail, "bob@example.org"}
	eve := Identity{KindTelegram, "12345"}
	pending := map[string]pendingSurvey{
		anna.String(): {Customer: 1, Kind: CES, SentAt: at(0)},
		bob.String():  {Customer: 2, Kind: CSAT, SentAt: at(0)},
		eve.String():  {Customer: 3, Kind: CSAT, SentAt: at(0)},
	}
	in := func(p Identity, min int, text string) Incoming {
		return Incoming{Message: Message{Direction: In, Party: p, SentAt: at(min), Text: text}}
	}
	b := Batch{Messages: []Incoming{
		in(anna, 12, "merci encore !"), // after the score below: a normal message
		in(anna, 10, "très facile 😊"),
		in(bob, -5, "5"),                         // before the survey
		in(bob, 20, "the croissants were stale"), // not a score
		in(eve, 8*24*60, "5"),                    // too late
	}}
	done := markSurveyAnswers(&b, pending, 7*24*time.Hour)
	got := b.Messages
	if got[1].Message.Event != EventSurveyAnswer || got[1].Message.Survey == nil || *got[1].Message.Survey != (SurveyScore{CES, 7}) {
		t.Errorf("Anna's answer = %+v, want a CES 7", got[1].Message)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if got[i].Message.Event != "" || got[i].Message.Survey != nil {
			t.Errorf("message %d (%q) marked as a survey answer", i, got[i].Message.Text)
		}
	}
	if len(done) != 3 || len(pending) != 0 {
		t.Errorf("done %v, still pending %v; want the three surveys done", done, pending)
	}
}

func TestSurveyQuestionFitsOneSMS(t *testing.T) {
	for _, k := range []SurveyKind{CES, CSAT} {
		for _, lang := range []string{"fr", "en"} {
			if c := CountSMS(SurveyQuestion(k, lang)); c.Segments != 1 || c.Encoding != GSM7 {
				t.Errorf("%s %s: %+v", k, lang, c)
			}
		}
	}
}
