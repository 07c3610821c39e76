package inbox

import (
	"strings"
	"unicode"
)

// This file is the language layer of the level-1 matcher: accent folding, a
// tokenizer that knows French elisions, stop words, and two light stemmers.
//
// The stemmers are a documented simplification of Snowball's French and
// English (Porter 2) algorithms: they work on accent-folded words, strip
// the inflections that matter for matching a short customer question
// against answer keywords (plurals, feminine forms, the common verb
// endings, -ing/-ed), and skip Snowball's region (R1/R2) bookkeeping
// except for one rule: a stem keeps at least three letters. Both sides of a
// comparison (keywords and messages) go through the same stemmer, so a stem
// only has to be consistent, not a real word ("ouverts", "ouverte" and
// "ouvert" all give "ouvert"; "livrez", "livrer" and "livrée" give "livr").

// foldTable maps the accented letters of French, English and the common
// Western European languages to their base letters.
var foldTable = map[rune]string{
	'à': "a", 'â': "a", 'ä': "a", 'á': "a", 'ã': "a", 'å': "a",
	'ç': "c",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'î': "i", 'ï': "i", 'í': "i", 'ì': "i",
	'ô': "o", 'ö': "o", 'ó': "o", 'ò': "o", 'õ': "o", 'ø': "o",
	'û': "u", 'ù': "u", 'ü': "u", 'ú': "u",
	'ÿ': "y", 'ñ': "n",
	'œ': "oe", 'æ': "ae", 'ß': "ss",
	'’': "'", '‘': "'", 'ʼ': "'", '`': "'",
}

// Fold lower-cases s and removes accents: "Fermé à Noël" → "ferme a noel".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tokens splits folded text into words: letters and digits; an apostrophe
// splits a word, so a French elided article or pronoun is a token of its
// own, a stop word ("l'adresse" → "l", "adresse"; "jusqu'à" → "jusqu", "a";
// "don't" → "don", "t").
// Hyphens split too ("wi-fi" → "wi", "fi"; "est-ce" → "est", "ce").
func Tokens(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// stopFR and stopEN are function words and politeness that say nothing
// about what a customer asks. Interrogatives that carry a topic ("où",
// "where", "when") are stop words too: keyword phrases that need them
// ("where are you", "à quelle heure") match them in sequence.
var stopFR = setOf(`a au aux avec c ca ce ceci cela ces cet cette chez d dans de des du elle elles en est et etre eu
es etes sont suis sommes ete il ils j je l la le les leur leurs lui m ma me mes moi mon n ne nos notre nous on ou par pas
plus pour qu que qui quoi s sa se ses si son sur t ta te tes toi ton tu un une vos votre vous y
bonjour bonsoir salut coucou merci svp stp plait madame monsieur cordialement bien tres aussi alors donc mais oui non
peut peux pouvez pourriez pourrais puis voudrais voudrions voulons veux souhaite souhaiterais aimerais savoir
ai as avez avons avoir aurais auriez faites faire fait fais possible bonne journee encore deja
quel quelle quels quelles comment combien quand ou est-ce`)

var stopEN = setOf(`a an and or of to in on at for from by with about as is are was were be been being am do does did done
you your yours we our ours us i me my mine it its this that these those there here what which who whom when where
why how can could would will shall should may might must please thanks thank thx hi hello hey dear regards best cheers
just also any some so if not no yes ok okay have has had get got im ive id ll re ve s t d m don doesn didn isn aren
let like want wanted wondering know tell quick question there's anyone anything something one much many
today tonight tomorrow morning afternoon evening again still`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Stem returns the stem of a folded word in lang ("fr" or "en"; any other
// value stems as English).
func Stem(word, lang string) string {
	if lang == "fr" {
		return stemFR(word)
	}
	return stemEN(word)
}

// frSuffixes are removed longest first, once, when at least three letters
// remain: noun and adjective endings, then verb endings.
var frSuffixes = []string{
	"issements", "issement", "atrices", "ateurs", "ations", "ements",
	"eraient", "iraient", "issions", "issiez", "issons", "issent",
	"atrice", "ateur", "ation", "ement", "ement", "euses", "erons", "eront", "erait", "erais", "eriez",
	"aient", "erez", "euse", "ions", "iez", "ons", "ent", "ait", "ais", "ant",
	"ees", "ee", "es", "ez", "er", "ir", "e",
}

func stemFR(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "eaux"):
		w = w[:len(w)-1] // gateaux → gateau
	case strings.HasSuffix(w, "aux") && len(w) > 5:
		w = w[:len(w)-3] + "al" // journaux → journal
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 4:
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "x") && len(w) > 4:
		w = w[:len(w)-1]
	}
	for _, s := range frSuffixes {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= 3 {
			return w[:len(w)-len(s)]
		}
	}
	return w
}

func isVowel(b byte) bool { return strings.IndexByte("aeiouy", b) >= 0 }

func hasVowel(s string) bool {
	for i := 0; i < len(s); i++ {
		if isVowel(s[i]) {
			return true
		}
	}
	return false
}

// stemEN strips plurals, possessives, -ing, -ed and a final e, and undoes a
// doubled final consonant (shopping → shop).
func stemEN(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y" // deliveries → delivery
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	for _, s := range []string{"ing", "ed"} {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= 3 && hasVowel(w[:len(w)-len(s)]) {
			w = w[:len(w)-len(s)]
			if n := len(w); n >= 2 && w[n-1] == w[n-2] && !isVowel(w[n-1]) && strings.IndexByte("lsz", w[n-1]) < 0 {
				w = w[:n-1]
			}
			break
		}
	}
	if strings.HasSuffix(w, "e") && len(w) > 3 {
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "y") && len(w) > 3 && !isVowel(w[len(w)-2]) {
		w = w[:len(w)-1] + "i" // delivery, deliveri(es) meet
	}
	return w
}

// DetectLang guesses whether folded tokens are French or English from the
// stop words each language uses, then from accents in the original text;
// "" when it cannot tell.
func DetectLang(original string, tokens []string) string {
	fr, en := 0, 0
	for _, t := range tokens {
		if frOnly[t] {
			fr++
		}
		if enOnly[t] {
			en++
		}
	}
	switch {
	case fr > en:
		return "fr"
	case en > fr:
		return "en"
	}
	if strings.ContainsAny(original, "éèêàçùûôîœÉÈÀÇ") {
		return "fr"
	}
	return ""
}

// frOnly and enOnly are frequent words of one language that are not words
// of the other.
var frOnly = setOf(`le la les des du de et est sont vous nous je tu il elle ils un une pour avec dans sur pas ce cette
quel quelle quels quelles ou bonjour bonsoir merci votre vos notre mon ma mes qui que quoi peut pouvez etes avez faites
chez aujourd demain soir matin jusqu heure heures combien comment quand oui non svp est-ce au aux`)

var enOnly = setOf(`the and is are you your we our i my it this that what which who when where why how can could would
will do does did have has hello hi hey thanks thank please there of to in at for from with about any some tonight
tomorrow morning today open close`)
