package email

import (
	"regexp"
	"strings"
)

// Fold splits a message text into the new text the sender wrote (body) and
// what a reader can fold away (quoted): the signature and the quoted history,
// in their original order. quoted is always a tail of text, so body and
// quoted together are the whole text.
//
// The history starts at a line that only ever opens one:
//   - a separator such as "-----Original Message-----" or
//     "-----Message d'origine-----";
//   - an Outlook header block: "From:" or "De :" followed within a few
//     lines by at least two of Sent/Envoyé, Date, To/À, Cc, Subject/Objet;
//   - a dated attribution such as "On … wrote:" or "Le … a écrit :"
//     (possibly wrapped over two lines) not followed by quoted lines.
//
// An attribution followed by quoted lines (">", RFC 3676 section 4.5), the
// quoted lines themselves and the signature (from the "-- " line, RFC 3676
// section 4.3) fold only when nothing but other foldable lines follow them,
// so answers written between quotes stay in body. Forwarded messages
// ("---------- Forwarded message ---------") are content, never folded.
func Fold(text string) (body, quoted string) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	k := classify(lines)
	i := len(lines)
	for i > 0 && k[i-1] != lineText {
		i--
	}
	for i < len(lines) && k[i] == lineBlank {
		i++
	}
	body = strings.TrimRight(strings.Join(lines[:i], "\n"), " \t\n")
	quoted = strings.TrimRight(strings.Join(lines[i:], "\n"), " \t\n")
	return body, quoted
}

// lineKind says whether a line can be folded.
type lineKind int

const (
	lineText  lineKind = iota // new text
	lineBlank                 // empty or white space
	lineQuote                 // quoted, attribution, signature or history
)

// classify marks every line of lines.
func classify(lines []string) []lineKind {
	k := make([]lineKind, len(lines))
	hard := len(lines)
	for i := range lines {
		if isForward(lines[i]) {
			break
		}
		if n := historyStart(lines, i); n >= 0 {
			hard = n
			break
		}
	}
	inSig := false
	for i, l := range lines {
		switch {
		case i >= hard:
			k[i] = lineQuote
		case strings.TrimSpace(l) == "":
			k[i] = lineBlank
		case isQuote(l):
			k[i], inSig = lineQuote, false
		case attribution(lines, i) > 0:
			n := attribution(lines, i)
			for j := i; j < i+n && j < hard; j++ {
				k[j] = lineQuote
			}
			inSig = false
		case k[i] == lineQuote: // second line of an attribution
		case isSignature(l) || inSig:
			k[i], inSig = lineQuote, true
		}
	}
	return k
}

// historyStart returns the first line of the history when a hard marker
// starts at line i, else -1. An Outlook underscore rule just above a header
// block belongs to the history.
func historyStart(lines []string, i int) int {
	switch {
	case separator.MatchString(lines[i]):
		return i
	case outlookBlock(lines, i):
		if j := prevNonBlank(lines, i); j >= 0 && underscores.MatchString(lines[j]) {
			return j
		}
		return i
	}
	if n := attribution(lines, i); n > 0 && startsAttribution(lines[i]) && strings.ContainsAny(lines[i], "0123456789") {
		if j := nextNonBlank(lines, i+n); j >= 0 && !isQuote(lines[j]) {
			return i
		}
	}
	return -1
}

var (
	separator = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|message d'origine|message original|ursprüngliche nachricht|mensaje original)\s*-{2,}\s*$`)
	forward   = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(forwarded message|message transféré|message transfere|weitergeleitete nachricht|mensaje reenviado)\s*-{2,}|begin forwarded message:|début du message réexpédié\s*:)\s*$`)
	// Outlook header block fields, English and French (with the French
	// space before the colon, possibly non-breaking), German.
	fromField   = regexp.MustCompile(`(?i)^\s*\*?(from|de|von)\*?[\s\x{a0}\x{202f}]?:\*?\s*\S`)
	headerField = regexp.MustCompile(`(?i)^\s*\*?(sent|date|to|cc|subject|envoyé|à|a|objet|gesendet|an|betreff)\*?[\s\x{a0}\x{202f}]?:`)
	underscores = regexp.MustCompile(`^\s*_{10,}\s*$`)
	// Attributions: "On <date>, <name> wrote:", "Le <date>, <nom> a écrit :",
	// "Am <date> schrieb <name>:", and Thunderbird's "<name> wrote:".
	attributionLine = regexp.MustCompile(`(?i)^\s*(on\s.*\swrote|le\s.*\sa\sécrit|am\s.*\sschrieb\s.*|el\s.*\sescribió|.{1,120}\swrote)[\s\x{a0}\x{202f}]*:\s*$`)
)

// isForward reports whether l introduces a forwarded message.
func isForward(l string) bool { return forward.MatchString(l) }

// isQuote reports a line quoted with ">".
func isQuote(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }

// isSignature reports the signature separator "-- " (RFC 3676 section 4.3),
// also without its trailing space, which editors often strip.
func isSignature(l string) bool { return l == "-- " || l == "--" || l == "-- \r" }

// outlookBlock reports whether a From:/De : field starting at line i is
// followed within six lines by at least two other header fields.
func outlookBlock(lines []string, i int) bool {
	if !fromField.MatchString(lines[i]) {
		return false
	}
	n := 0
	for j := i + 1; j < len(lines) && j <= i+6; j++ {
		if headerField.MatchString(lines[j]) {
			n++
		}
	}
	return n >= 2
}

// attribution returns how many lines (1 or 2) an attribution starting at
// line i spans, 0 when there is none. Mail clients wrap long attributions.
func attribution(lines []string, i int) int {
	l := lines[i]
	if len(l) > 300 || strings.TrimSpace(l) == "" {
		return 0
	}
	if attributionLine.MatchString(l) {
		return 1
	}
	if i+1 < len(lines) && len(lines[i+1]) < 200 && strings.TrimSpace(lines[i+1]) != "" {
		joined := strings.TrimRight(l, " ") + " " + strings.TrimSpace(lines[i+1])
		if attributionLine.MatchString(joined) && startsAttribution(l) {
			return 2
		}
	}
	return 0
}

// startsAttribution reports whether l opens a two-line attribution; the
// generic "<name> wrote:" form must fit on one line.
func startsAttribution(l string) bool {
	f := strings.Fields(strings.ToLower(l))
	return len(f) > 0 && (f[0] == "on" || f[0] == "le" || f[0] == "am" || f[0] == "el")
}

// prevNonBlank returns the index of the last non-blank line before i, or -1.
func prevNonBlank(lines []string, i int) int {
	for j := i - 1; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) != "" {
			return j
		}
	}
	return -1
}

// nextNonBlank returns the index of the first non-blank line from i, or -1.
func nextNonBlank(lines []string, i int) int {
	for j := i; j < len(lines); j++ {
		if strings.TrimSpace(lines[j]) != "" {
			return j
		}
	}
	return -1
}
