package inbox

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SurveyKind is the one question a survey asks.
type SurveyKind string

// Survey kinds.
const (
	// CES is the Customer Effort Score: "How easy was it to get your
	// problem solved?", 1 (very difficult) to 7 (very easy).
	CES SurveyKind = "ces"
	// CSAT is customer satisfaction, 1 (very dissatisfied) to 5 (very
	// satisfied).
	CSAT SurveyKind = "csat"
)

// ParseSurveyKind validates a survey kind given by a person.
func ParseSurveyKind(s string) (SurveyKind, error) {
	switch SurveyKind(strings.ToLower(s)) {
	case CES:
		return CES, nil
	case CSAT:
		return CSAT, nil
	}
	return "", Errorf(Invalid, "unknown survey %q (ces: effort 1-7, csat: satisfaction 1-5)", s)
}

// Max is the top of the kind's scale.
func (k SurveyKind) Max() int {
	if k == CES {
		return 7
	}
	return 5
}

// SurveyScore is a survey question (Score 0) or a customer's answer to it.
type SurveyScore struct {
	Kind  SurveyKind `json:"kind"`
	Score int        `json:"score,omitempty"`
}

// SurveyQuestion is the text of the survey, in French ("fr") or English.
// It stays in the GSM alphabet and within one SMS.
func SurveyQuestion(kind SurveyKind, lang string) string {
	switch {
	case kind == CES && lang == "fr":
		return "Une dernière question : de 1 (très difficile) à 7 (très facile), a-t-il été facile de régler votre demande ? Répondez simplement par un chiffre."
	case kind == CES:
		return "One last question: from 1 (very difficult) to 7 (very easy), how easy was it to get your problem solved? Just reply with a number."
	case lang == "fr":
		return "Une dernière question : de 1 (pas du tout satisfait) à 5 (très satisfait), que pensez-vous de notre réponse ? Répondez simplement par un chiffre."
	}
	return "One last question: from 1 (very dissatisfied) to 5 (very satisfied), how satisfied are you with our help? Just reply with a number."
}

// ParseSurveyReply reads a customer's answer to a survey: a digit ("6",
// "6/7", "4 sur 5", "5 out of 5"), a number word in French or English
// ("six", "sept", "five"), stars (⭐⭐⭐⭐), words ("très facile", "very
// easy", "excellent", "nul", "pas terrible") or an emoji (😀 😊 🙂 😐 🙁 😞).
// Politeness around it is fine ("7, merci !", "very easy, thanks"); any
// other word makes it a normal message (ok false), except a signature (one
// or two capitalized names). When several kinds of signal are present, the
// most explicit wins: digits and stars, then number words, then words,
// then emoji; two different values of the winning kind are no answer.
func ParseSurveyReply(kind SurveyKind, text string) (int, bool) {
	text = strings.TrimSpace(quotedReply(text))
	if text == "" || utf8.RuneCountInString(text) > 120 {
		return 0, false
	}
	max := kind.Max()
	// Emoji and stars are read from the runes, words from the tokens.
	var emoji []int
	stars := 0
	for _, r := range text {
		switch {
		case r == '⭐' || r == '★' || r == '🌟':
			stars++
		default:
			if lv, ok := emojiLevel[r]; ok {
				emoji = append(emoji, levelScore(kind, lv))
			}
		}
	}
	orig := Tokens(strings.NewReplacer("/", " / ").Replace(text))
	tokens := make([]string, len(orig))
	for i, t := range orig {
		tokens[i] = Fold(t)
	}
	var digits, numberWords, words []int
	unknown := 0
	for i := 0; i < len(tokens); {
		t := tokens[i]
		if n, err := strconv.Atoi(t); err == nil {
			if n < 1 || n > max {
				return 0, false
			}
			digits = append(digits, n)
			i++
			// "6/7", "4 sur 5", "5 out of 5": the scale follows.
			if j := scaleAfter(tokens, i, max); j > i {
				i = j
			}
			continue
		}
		if n, size := phraseScore(kind, tokens[i:]); size > 0 {
			words = append(words, n)
			i += size
			continue
		}
		if n, ok := numberWord[t]; ok && n <= max && (n > 1 || len(tokens) == 1) {
			numberWords = append(numberWords, n)
			i++
			continue
		}
		if t == "un" || t == "une" || t == "a" || t == "an" {
			i++ // an article, not a score
			continue
		}
		if surveyFiller[t] {
			i++
			continue
		}
		if r, _ := utf8.DecodeRuneInString(orig[i]); unicode.IsUpper(r) && unknown < 2 && isLetters(t) {
			unknown++ // a signature: "Emily", "Marc D"
			i++
			continue
		}
		return 0, false
	}
	if stars > 0 {
		if stars > max {
			return 0, false
		}
		digits = append(digits, stars)
	}
	for _, class := range [][]int{digits, numberWords, words, emoji} {
		if len(class) == 0 {
			continue
		}
		for _, v := range class[1:] {
			if v != class[0] {
				return 0, false
			}
		}
		return class[0], true
	}
	return 0, false
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

// scaleAfter skips "/ 7", "sur 7", "out of 7" or "on 7" after a score and
// returns the position after it, or i when none follows.
func scaleAfter(tokens []string, i, max int) int {
	m := strconv.Itoa(max)
	switch {
	case i+1 < len(tokens) && (tokens[i] == "sur" || tokens[i] == "on") && tokens[i+1] == m:
		return i + 2
	case i+2 < len(tokens) && tokens[i] == "out" && tokens[i+1] == "of" && tokens[i+2] == m:
		return i + 3
	case i < len(tokens) && tokens[i] == m && i > 0:
		// "6 / 7": Tokens dropped the slash; the next number is the scale
		// only when it is the top of the scale and nothing else follows
		// that would make it a second score.
		return i + 1
	}
	return i
}

var numberWord = map[string]int{
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7,
}

// surveyFiller are words around a score that say nothing else.
var surveyFiller = setOf(`merci thanks thank thx you vous beaucoup much so a lot bonjour hello hi je dirais i d say would
note score rating ma my pour moi for me c etait it was est etait s et and vraiment really bien sur of course
alors well voila here il y yes oui sincerement honestly toute l equipe team cordialement regards best cheers
experience service`)

// satisfaction levels 1..5 of words, folded; several words first. Negated
// forms ("pas facile", "not easy") are phrases of their own.
var satisfactionPhrases = map[string]int{
	"tres satisfait": 5, "tres satisfaite": 5, "very satisfied": 5, "very happy": 5, "tres content": 5, "tres contente": 5,
	"tres bien": 5, "tres bon": 5, "tres bonne": 5, "very good": 5, "very nice": 5, "au top": 5, "parfait": 5, "parfaite": 5, "excellent": 5, "excellente": 5,
	"genial": 5, "super": 5, "top": 5, "formidable": 5, "parfaitement": 5, "perfect": 5, "amazing": 5, "awesome": 5,
	"fantastic": 5, "great": 5, "wonderful": 5, "brilliant": 5, "outstanding": 5, "impeccable": 5, "exceptionnel": 5,
	"satisfait": 4, "satisfaite": 4, "satisfied": 4, "content": 4, "contente": 4, "happy": 4, "bien": 4, "bon": 4,
	"bonne": 4, "good": 4, "pretty good": 4, "plutot bien": 4, "pas mal": 4, "nice": 4, "sympa": 4,
	"moyen": 3, "moyenne": 3, "bof": 3, "ok": 3, "okay": 3, "correct": 3, "neutre": 3, "average": 3, "so so": 3,
	"meh": 3, "passable": 3, "mitige": 3, "mixed": 3,
	"pas terrible": 2, "pas top": 2, "pas bien": 2, "pas satisfait": 2, "pas satisfaite": 2, "pas content": 2,
	"mediocre": 2, "insatisfait": 2, "insatisfaite": 2, "not good": 2, "not great": 2, "dissatisfied": 2,
	"unhappy": 2, "bad": 2, "poor": 2, "decu": 2, "decue": 2, "disappointed": 2,
	"nul": 1, "nulle": 1, "horrible": 1, "terrible": 1, "catastrophique": 1, "affreux": 1, "tres mauvais": 1,
	"awful": 1, "worst": 1, "very bad": 1, "very dissatisfied": 1, "tres insatisfait": 1, "tres decu": 1,
	"tres decue": 1, "very disappointed": 1, "pire": 1, "lamentable": 1, "pas du tout satisfait": 1,
	"pas du tout satisfaite": 1, "not satisfied at all": 1, "not at all satisfied": 1,
}

// effortPhrases are CES answers on the 1..7 scale.
var effortPhrases = map[string]int{
	"tres facile": 7, "very easy": 7, "super facile": 7, "trop facile": 7, "hyper facile": 7, "effortless": 7,
	"tres simple": 7, "super simple": 7, "hyper simple": 7, "very simple": 7, "so easy": 7, "really easy": 7,
	"facile": 6, "easy": 6, "simple": 6,
	"plutot facile": 5, "assez facile": 5, "fairly easy": 5, "quite easy": 5, "rather easy": 5, "pretty easy": 5,
	"ni facile ni difficile": 4, "neither easy nor difficult": 4, "neither easy nor hard": 4,
	"plutot difficile": 3, "assez difficile": 3, "un peu difficile": 3, "un peu complique": 3, "fairly difficult": 3,
	"somewhat difficult": 3, "a bit difficult": 3, "a bit hard": 3, "not so easy": 3, "pas si facile": 3,
	"difficile": 2, "difficult": 2, "hard": 2, "complique": 2, "complicated": 2, "pas facile": 2, "not easy": 2,
	"pas simple":     2,
	"tres difficile": 1, "very difficult": 1, "very hard": 1, "tres complique": 1, "impossible": 1,
	"super difficile": 1, "galere": 1, "une galere": 1, "nightmare": 1, "un cauchemar": 1,
}

// longestPhrase is the most words any phrase above has.
const longestPhrase = 4

// phraseScore matches the longest known phrase at the start of tokens and
// returns its score on the kind's scale and its length in tokens.
func phraseScore(kind SurveyKind, tokens []string) (int, int) {
	for n := min(longestPhrase, len(tokens)); n >= 1; n-- {
		p := strings.Join(tokens[:n], " ")
		if kind == CES {
			if v, ok := effortPhrases[p]; ok {
				return v, n
			}
		}
		if lv, ok := satisfactionPhrases[p]; ok {
			return levelScore(kind, lv), n
		}
	}
	return 0, 0
}

// levelScore maps a satisfaction level 1..5 to the kind's scale: CES reads
// delight as very easy (5 → 7, 4 → 6, 3 → 4, 2 → 2, 1 → 1).
func levelScore(kind SurveyKind, level int) int {
	if kind == CES {
		return [...]int{0, 1, 2, 4, 6, 7}[level]
	}
	return level
}

// emojiLevel gives the satisfaction level of the faces and hands people
// answer with.
var emojiLevel = func() map[rune]int {
	m := map[rune]int{}
	for lv, s := range map[int]string{
		5: "😀😃😄😁😆🤩😍🥰😻❤💯🙌👏🥳😎💖💚💙🤗",
		4: "😊🙂☺👍👌😌😉",
		3: "😐😶🤷😑🫤",
		2: "🙁😕☹😟👎😒😬",
		1: "😞😢😭😠😡🤬😤💩😩😫🤮",
	} {
		for _, r := range s {
			m[r] = lv
		}
	}
	return m
}()

// SettingSurveys keeps the surveys waiting for an answer (JSON map from the
// identity the question went to, kind:address, to pendingSurvey).
const SettingSurveys = "surveys_pending"

type pendingSurvey struct {
	Customer CustomerID `json:"customer"`
	Kind     SurveyKind `json:"kind"`
	SentAt   time.Time  `json:"sent_at"`
	Message  MessageID  `json:"message"`
}

func (d *Desk) pendingSurveys() (map[string]pendingSurvey, error) {
	b, err := d.store.Setting(SettingSurveys)
	if err != nil || b == nil {
		return map[string]pendingSurvey{}, err
	}
	m := map[string]pendingSurvey{}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]pendingSurvey{}, Wrap(Invalid, err, "the pending surveys do not decode")
	}
	return m, nil
}

func (d *Desk) savePendingSurveys(m map[string]pendingSurvey) error {
	if len(m) == 0 {
		return d.store.SetSetting(SettingSurveys, nil)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return d.store.SetSetting(SettingSurveys, b)
}

// SendSurvey queues the survey question on the channel the customer last
// wrote on, written by the bot, and remembers it so that the customer's
// next message there is read as the answer (see Desk.Ingest). Resolve
// calls it when the survey rule is enabled.
func (d *Desk) SendSurvey(ctx context.Context, id CustomerID, kind SurveyKind) (Message, error) {
	if _, err := ParseSurveyKind(string(kind)); err != nil {
		return Message{}, err
	}
	c, err := d.store.Customer(id)
	if err != nil {
		return Message{}, err
	}
	ch := DefaultChannel(&c)
	if ch == ChannelNone {
		return Message{}, Errorf(Invalid, "%s has no channel to send the survey on", c.Name)
	}
	svc, _ := d.Service()
	lang := svc.Lang
	if last, err := d.lastOn(id, ch, Identity{}); err == nil && last.Direction == In {
		if l := DetectLang(last.Text, Tokens(Fold(last.Text))); l != "" {
			lang = l
		}
	}
	m, err := d.Reply(ctx, Reply{
		Customer: id, Channel: ch, Text: SurveyQuestion(kind, lang),
		Author: BotAuthor, Event: EventSurvey, Auto: AutoGenerated, Survey: &SurveyScore{Kind: kind},
	})
	if err != nil {
		return m, err
	}
	d.rules.Lock()
	defer d.rules.Unlock()
	pending, err := d.pendingSurveys()
	if err != nil {
		return m, err
	}
	pending[m.Party.String()] = pendingSurvey{Customer: id, Kind: kind, SentAt: m.SentAt, Message: m.ID}
	return m, d.savePendingSurveys(pending)
}

// markSurveyAnswers reads, before a batch is stored, the first message
// from each party that has a survey pending: a score becomes a survey
// answer (Event EventSurveyAnswer, Survey set), which Apply records without
// reopening the story; anything else stays a normal message. Either way
// the survey is no longer pending; the returned surveys (party → time the
// question was sent) are removed once the batch is stored.
func markSurveyAnswers(b *Batch, pending map[string]pendingSurvey, window time.Duration) map[string]time.Time {
	if len(pending) == 0 {
		return nil
	}
	var idx []int
	for i := range b.Messages {
		in := &b.Messages[i]
		if in.Other || in.Message.Direction != In {
			continue
		}
		if _, ok := pending[in.Message.Party.String()]; ok {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, c int) int { return b.Messages[a].Message.SentAt.Compare(b.Messages[c].Message.SentAt) })
	done := map[string]time.Time{}
	for _, i := range idx {
		m := &b.Messages[i].Message
		key := m.Party.String()
		p, ok := pending[key]
		if !ok || !m.SentAt.After(p.SentAt) {
			continue
		}
		delete(pending, key)
		done[key] = p.SentAt
		if m.SentAt.Sub(p.SentAt) > window || m.Auto != "" {
			continue
		}
		if score, ok := ParseSurveyReply(p.Kind, m.Text); ok {
			m.Event = EventSurveyAnswer
			m.Survey = &SurveyScore{Kind: p.Kind, Score: score}
		}
	}
	return done
}
