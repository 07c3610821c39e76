package inbox

import (
	"slices"
	"strings"
)

// The level-1 matcher: it reads a customer's message and decides whether
// one entry of the answer library answers it beyond doubt. It is plain
// word matching (no model): the message and every keyword phrase are
// folded, tokenized and stemmed (stem.go); a phrase matches when its stems
// appear in order, at most two words apart; the answer that explains most of
// the message's content words wins. Anything else escalates.

// Outcome is what the level-1 bot decides for a message.
type Outcome string

// Outcomes.
const (
	// OutcomeAnswer: one answer matches beyond doubt; it is sent.
	OutcomeAnswer Outcome = "answer"
	// OutcomeEscalate: a person must answer; the customer is flagged.
	OutcomeEscalate Outcome = "escalate"
	// OutcomeNone: nothing to do (a thank-you, an emoji, a photo); the
	// message waits for a person as usual, without a flag.
	OutcomeNone Outcome = "none"
)

// Decision is the level-1 verdict on one message.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	// Answer is the chosen answer's ID (OutcomeAnswer).
	Answer string `json:"answer,omitempty"`
	// Lang is the message's language as detected ("fr", "en", "").
	Lang string `json:"lang"`
	// Reason says why, for the escalation event and for tests.
	Reason string `json:"reason"`
	// Score is how many content words the best answer explains, Coverage
	// their share of the message's content words; Second is the best
	// other answer's score.
	Score    float64 `json:"score"`
	Coverage float64 `json:"coverage"`
	Second   float64 `json:"second"`
}

// Thresholds of a confident match: the best answer explains at least
// minCoverage of the message's content words (minCoverage2 when it
// explains two or more), no other answer explains a content word it does
// not while scoring at least rivalShare of it, and the message has at most
// maxContent content words (longer ones are stories, not FAQ questions).
const (
	minCoverage  = 0.5
	minCoverage2 = 0.34
	rivalShare   = 0.5
	maxContent   = 14
)

// Matcher scores messages against an answer library. Build it with
// NewMatcher; it is immutable and safe for concurrent use.
type Matcher struct {
	answers []matchAnswer
}

type matchAnswer struct {
	id, lang string
	// phrases per stemming language: an answer in "fr" or "en" has one,
	// an answer for any language ("") has both.
	phrases map[string][][]string
}

// NewMatcher prepares the answers' keywords and titles for matching.
func NewMatcher(answers []Answer) *Matcher {
	m := &Matcher{}
	for _, a := range answers {
		ma := matchAnswer{id: a.ID, lang: a.Lang, phrases: map[string][][]string{}}
		langs := []string{a.Lang}
		if a.Lang == "" {
			langs = []string{"fr", "en"}
		}
		for _, lang := range langs {
			seen := map[string]bool{}
			for _, k := range append(slices.Clone(a.Keywords), a.Title) {
				var stems []string
				for _, t := range Tokens(Fold(k)) {
					stems = append(stems, Stem(t, lang))
				}
				key := strings.Join(stems, " ")
				if len(stems) == 0 || seen[key] {
					continue
				}
				seen[key] = true
				ma.phrases[lang] = append(ma.phrases[lang], stems)
			}
		}
		m.answers = append(m.answers, ma)
	}
	return m
}

// analysis is a message as the matcher sees it, in one stemming language.
type analysis struct {
	stems    []string
	content  []bool // content[i]: stems[i] is not a stop word
	nContent int
}

func analyze(tokens []string, lang string) analysis {
	stop := stopEN
	if lang == "fr" {
		stop = stopFR
	}
	a := analysis{stems: make([]string, len(tokens)), content: make([]bool, len(tokens))}
	for i, t := range tokens {
		a.stems[i] = Stem(t, lang)
		if !stop[t] && !stopDomain[t] {
			a.content[i] = true
			a.nContent++
		}
	}
	return a
}

// stopDomain are words every message to a bakery-café may carry without
// saying what it asks, and the thanks that close a conversation.
var stopDomain = setOf(`boulangerie boulanger cafe boutique magasin patisserie fournil shop bakery store place
aujourd hui demain soir matin midi semaine weekend
merci beaucoup infiniment bcp thanks thank lot great perfect parfait super genial top cool nickel ok okay accord
noted entendu`)

// cover returns the positions of content words the phrases explain.
func (a *analysis) cover(phrases [][]string) map[int]bool {
	covered := map[int]bool{}
	for _, p := range phrases {
		for start := range a.stems {
			pos, ok := a.matchAt(p, start)
			if !ok {
				continue
			}
			contentHit := false
			for _, i := range pos {
				if a.content[i] {
					covered[i] = true
					contentHit = true
				}
			}
			if !contentHit && len(pos) > 1 {
				// A phrase of stop words only ("where are you")
				// explains the whole phrase.
				for _, i := range pos {
					covered[-1-i] = true
				}
			}
		}
	}
	return covered
}

// matchAt matches phrase p starting at position start, allowing at most
// two words between consecutive stems.
func (a *analysis) matchAt(p []string, start int) ([]int, bool) {
	if a.stems[start] != p[0] {
		return nil, false
	}
	pos := []int{start}
	at := start
	for _, s := range p[1:] {
		found := -1
		for j := at + 1; j < len(a.stems) && j <= at+3; j++ {
			if a.stems[j] == s {
				found = j
				break
			}
		}
		if found < 0 {
			return nil, false
		}
		pos = append(pos, found)
		at = found
	}
	return pos, true
}

// score is one answer's result on a message.
type score struct {
	answer  *matchAnswer
	covered map[int]bool
	n       float64 // content words explained (a stop-word phrase counts one)
}

func newScore(ma *matchAnswer, covered map[int]bool) score {
	s := score{answer: ma, covered: covered}
	stopOnly := false
	for i := range covered {
		if i >= 0 {
			s.n++
		} else {
			stopOnly = true
		}
	}
	if stopOnly {
		s.n++
	}
	return s
}

// Decide runs the level-1 rules on a message, in this order: nothing to
// answer (politeness, emoji) → none; a request for a person, a negative
// word, a question about one's own order, a message too long → escalate;
// then the match: one answer explaining the message beyond doubt →
// answer; two close candidates, or a second question the answer does not
// cover → escalate.
func (m *Matcher) Decide(text string) Decision {
	text = quotedReply(text)
	folded := Fold(text)
	tokens := Tokens(folded)
	lang := DetectLang(text, tokens)
	d := Decision{Outcome: OutcomeEscalate, Lang: lang}
	if why := personRequest(tokens); why != "" {
		d.Reason = "asks for a person (" + why + ")"
		return d
	}
	if why := negative(tokens); why != "" {
		d.Reason = "negative word (" + why + ")"
		return d
	}
	langs := []string{lang}
	if lang == "" {
		langs = []string{"fr", "en"}
	}
	an := map[string]analysis{}
	content := 0
	for _, l := range langs {
		an[l] = analyze(tokens, l)
		content = max(content, an[l].nContent)
	}
	if content == 0 {
		return Decision{Outcome: OutcomeNone, Lang: lang, Reason: "nothing to answer"}
	}
	if why := ownOrder(tokens); why != "" {
		d.Reason = "about the customer's own order (" + why + ")"
		return d
	}
	if content > maxContent {
		d.Reason = "a long message: a person reads it"
		return d
	}
	var scores []score
	for i := range m.answers {
		ma := &m.answers[i]
		best := score{answer: ma}
		for _, l := range langs {
			if ma.lang != "" && ma.lang != l {
				continue
			}
			a := an[l]
			if s := newScore(ma, a.cover(ma.phrases[l])); s.n > best.n {
				best = s
			}
		}
		if best.n > 0 {
			scores = append(scores, best)
		}
	}
	slices.SortStableFunc(scores, func(a, b score) int {
		switch {
		case a.n > b.n:
			return -1
		case a.n < b.n:
			return 1
		}
		return 0
	})
	if len(scores) == 0 {
		d.Reason = "no answer matches"
		return d
	}
	best := scores[0]
	l := best.answer.lang
	if l == "" {
		l = langs[0]
	}
	d.Score = best.n
	d.Coverage = best.n / float64(an[l].nContent)
	if d.Coverage > 1 {
		d.Coverage = 1
	}
	for _, s := range scores[1:] {
		if s.answer.lang != "" && best.answer.lang != "" && s.answer.lang != best.answer.lang && lang == "" && s.n < best.n {
			continue // the same question in the other language, weaker
		}
		own := false
		for i := range s.covered {
			if i >= 0 && !best.covered[i] {
				own = true
			}
		}
		if own && s.n >= best.n*rivalShare {
			d.Second = s.n
			d.Reason = "two answers are close: " + best.answer.id + " and " + s.answer.id
			return d
		}
		d.Second = max(d.Second, s.n)
	}
	need := minCoverage
	if best.n >= 2 {
		need = minCoverage2
	}
	if d.Coverage < need {
		d.Reason = "not sure: the best answer " + best.answer.id + " explains too little of the message"
		return d
	}
	if why := otherQuestion(text, langs, best.answer); why != "" {
		d.Reason = why
		return d
	}
	d.Outcome, d.Answer, d.Reason = OutcomeAnswer, best.answer.id, "matches "+best.answer.id
	if d.Lang == "" {
		d.Lang = best.answer.lang
	}
	return d
}

// otherQuestion checks that every question of a message with several is
// about the chosen answer: "Are you open Sunday? Do you deliver?" escalates.
func otherQuestion(text string, langs []string, ma *matchAnswer) string {
	var questions []string
	start := 0
	for i, r := range text {
		switch r {
		case '?':
			questions = append(questions, text[start:i])
			start = i + 1
		case '.', '!', '\n':
			start = i + 1
		}
	}
	if len(questions) < 2 {
		return ""
	}
	for _, q := range questions {
		tokens := Tokens(Fold(q))
		explained := false
		contentless := true
		for _, l := range langs {
			a := analyze(tokens, l)
			if a.nContent > 0 {
				contentless = false
			}
			if ma.lang != "" && ma.lang != l {
				continue
			}
			if newScore(ma, a.cover(ma.phrases[l])).n > 0 {
				explained = true
			}
		}
		if !explained && !contentless {
			return "a second question: " + strings.TrimSpace(q) + "?"
		}
	}
	return ""
}

// quotedReply drops the quoted part of an e-mail reply: lines starting
// with ">" and everything after an attribution line ("On … wrote:", "Le …
// a écrit :") or an "Original Message" separator.
func quotedReply(text string) string {
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		lt := strings.ToLower(t)
		if strings.HasPrefix(t, ">") {
			continue
		}
		if (strings.HasPrefix(lt, "on ") && strings.HasSuffix(lt, "wrote:")) ||
			(strings.HasPrefix(lt, "le ") && (strings.HasSuffix(lt, "a écrit :") || strings.HasSuffix(lt, "a écrit:"))) ||
			strings.Contains(lt, "original message") || strings.Contains(lt, "message d'origine") {
			break
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// personWords ask for a person; "personne" counts in the singular only
// ("un gâteau pour 8 personnes" is not a request).
var personWords = setOf(`human humain humaine person personne agent someone somebody conseiller conseillere
representative operator operateur manager responsable gerant gerante quelqu`)

// personPhrases are requests in two or more words (folded tokens).
var personPhrases = [][]string{
	{"real", "person"}, {"speak", "to"}, {"talk", "to"}, {"call", "me"}, {"phone", "me"}, {"ring", "me"},
	{"parler", "a"}, {"appelez", "moi"}, {"rappeler"}, {"rappelez"}, {"me", "rappeler"}, {"joindre"},
}

// personRequest reports the word or phrase asking for a person, "" if none.
func personRequest(tokens []string) string {
	for _, t := range tokens {
		if personWords[t] {
			return t
		}
	}
	return phraseIn(tokens, personPhrases)
}

// negativeWords are complaints, anger, refunds, health scares and
// cancellations: a person answers those. They match the folded word or,
// when they end with "*", any word starting with them.
var negativeWords = strings.Fields(`rembours* nul nulle nuls decu decue decus decevant* plainte* reclamation* inadmissible
inacceptable scandal* honte* honteu* arnaque* furieu* mecontent* enerve* colere degoutant* deplorable lamentable malade
intoxi* erreur* probleme* souci annul* rassis brule* froid* retard* mauvais* horrible*
complain* complaint* angry furious refund* disappoint* terrible awful horrible worst unacceptable rude disgusting
sick poison* wrong mistake* error* problem* issue* broken cancel* scam* lawyer* chargeback overcharg* stale cold
missing never upset dirty hair insect* allerg* allergi*`)

// negativePhrases are complaints in several words.
var negativePhrases = [][]string{
	{"pas", "content"}, {"pas", "recu"}, {"jamais", "recu"}, {"jamais", "arrive"}, {"charged", "twice"}, {"not", "happy"},
}

func negative(tokens []string) string {
	for _, t := range tokens {
		for _, w := range negativeWords {
			if p, ok := strings.CutSuffix(w, "*"); ok && strings.HasPrefix(t, p) || t == w {
				return t
			}
		}
	}
	return phraseIn(tokens, negativePhrases)
}

// ownOrderPhrases refer to one's own order: its state needs a person.
var ownOrderPhrases = [][]string{
	{"ma", "commande"}, {"notre", "commande"}, {"j", "ai", "commande"}, {"nous", "avons", "commande"},
	{"mon", "gateau"}, {"le", "gateau", "que"}, {"my", "order"}, {"our", "order"}, {"i", "ordered"}, {"we", "ordered"},
	{"my", "cake"}, {"order", "number"},
}

func ownOrder(tokens []string) string {
	if why := phraseIn(tokens, ownOrderPhrases); why != "" {
		return why
	}
	for i, t := range tokens {
		// "order #4521", "commande n° 4521"
		if (t == "order" || t == "commande") && i+1 < len(tokens) && isNumber(tokens[i+1]) {
			return t + " " + tokens[i+1]
		}
	}
	return ""
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// phraseIn returns the first phrase found as consecutive tokens.
func phraseIn(tokens []string, phrases [][]string) string {
	for _, p := range phrases {
		for i := 0; i+len(p) <= len(tokens); i++ {
			if slices.Equal(tokens[i:i+len(p)], p) {
				return strings.Join(p, " ")
			}
		}
	}
	return ""
}
