package inbox

import (
	"slices"
	"testing"
)

func TestStem(t *testing.T) {
	tests := []struct {
		lang  string
		words []string // all give the same stem
	}{
		{"fr", []string{"ouvert", "ouverts", "ouverte", "ouvertes"}},
		{"fr", []string{"ouvrez", "ouvre", "ouvrir"}},
		{"fr", []string{"ferme", "fermes", "fermez", "fermer", "fermee", "fermees"}},
		{"fr", []string{"livrez", "livrer", "livree", "livrees", "livre", "livrent"}},
		{"fr", []string{"horaire", "horaires"}},
		{"fr", []string{"gateau", "gateaux"}},
		{"fr", []string{"commande", "commander", "commandes", "commandez"}},
		{"fr", []string{"reservation", "reservations"}},
		{"en", []string{"open", "opens", "opened", "opening"}},
		{"en", []string{"close", "closes", "closed", "closing"}},
		{"en", []string{"delivery", "deliveries"}},
		{"en", []string{"deliver", "delivers", "delivered", "delivering"}},
		{"en", []string{"cake", "cakes"}},
		{"en", []string{"shop", "shops", "shopping"}},
		{"en", []string{"hire", "hiring", "hired"}},
	}
	for _, tt := range tests {
		want := Stem(tt.words[0], tt.lang)
		for _, w := range tt.words[1:] {
			if got := Stem(w, tt.lang); got != want {
				t.Errorf("Stem(%q, %s) = %q, want %q (as %q)", w, tt.lang, got, want, tt.words[0])
			}
		}
	}
}

func TestFoldAndTokens(t *testing.T) {
	got := Tokens(Fold("Jusqu’à quelle HEURE êtes-vous ouverts, l'été ? Œuvre"))
	want := []string{"jusqu", "a", "quelle", "heure", "etes", "vous", "ouverts", "l", "ete", "oeuvre"}
	if !slices.Equal(got, want) {
		t.Errorf("Tokens = %q, want %q", got, want)
	}
}

func TestDetectLang(t *testing.T) {
	for text, want := range map[string]string{
		"Bonjour, vous êtes ouverts dimanche ?": "fr",
		"Hi, are you open on Sunday?":           "en",
		"Horaires ?":                            "",
		"Réservation":                           "fr",
		"Parking?":                              "",
	} {
		if got := DetectLang(text, Tokens(Fold(text))); got != want {
			t.Errorf("DetectLang(%q) = %q, want %q", text, got, want)
		}
	}
}

// Each escalation rule, on a message the library would otherwise answer.
func TestDecideRules(t *testing.T) {
	m := NewMatcher(defaultLibrary(t))
	tests := []struct {
		name, text string
		outcome    Outcome
		answer     string
		reason     string // a substring of the reason
	}{
		{"plain question", "Vous êtes ouverts le dimanche ?", OutcomeAnswer, "hours-fr", "matches"},
		{"english", "Are you open on Sundays?", OutcomeAnswer, "hours-en", "matches"},
		{"keyword typed alone", "Horaires ?", OutcomeAnswer, "hours-fr", "matches"},
		{"asks for a person (fr)", "Vous êtes ouverts dimanche ? Je voudrais parler à un conseiller", OutcomeEscalate, "", "person"},
		{"asks for a person (en)", "What are your opening hours? Can a human call me?", OutcomeEscalate, "", "person"},
		{"the reply keyword", "CONSEILLER", OutcomeEscalate, "", "person"},
		{"people are not a person", "Pouvez-vous faire un gâteau d'anniversaire personnalisé pour 12 personnes ?", OutcomeAnswer, "cake-order-fr", "matches"},
		{"negative word", "Your delivery was late and the croissants were stale", OutcomeEscalate, "", "negative"},
		{"refund", "Je veux être remboursée", OutcomeEscalate, "", "negative"},
		{"own order", "Is my order ready? What time do you close?", OutcomeEscalate, "", "own order"},
		{"second question", "Are you open on Sunday? Can I bring my dog?", OutcomeEscalate, "", "second question"},
		{"second question on the same topic", "Are you open on Sunday? Until what time?", OutcomeAnswer, "hours-en", "matches"},
		{"two topics", "Do you deliver on Sundays", OutcomeEscalate, "", "two answers are close"},
		{"nothing matches", "Do you have vegan croissants?", OutcomeEscalate, "", "no answer matches"},
		{"too little matches", "I left my umbrella yesterday near the terrace, did you find it", OutcomeEscalate, "", "too little"},
		{"a thank-you", "Merci beaucoup !", OutcomeNone, "", "nothing to answer"},
		{"an emoji", "👍", OutcomeNone, "", "nothing to answer"},
		{"a long story", "Hello, we are a group of twelve colleagues from the third floor and we would love to organise a surprise breakfast for our manager who retires next month, ideally with pastries and coffee", OutcomeEscalate, "", ""},
		{"quoted reply ignored", "Are you open on Sunday?\n\nOn Mon, Anna wrote:\n> I want a refund", OutcomeAnswer, "hours-en", "matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := m.Decide(tt.text)
			if d.Outcome != tt.outcome || d.Answer != tt.answer && tt.outcome == OutcomeAnswer {
				t.Fatalf("Decide(%q) = %s %s (%s), want %s %s", tt.text, d.Outcome, d.Answer, d.Reason, tt.outcome, tt.answer)
			}
			if !contains(d.Reason, tt.reason) {
				t.Errorf("reason %q, want it to mention %q", d.Reason, tt.reason)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
