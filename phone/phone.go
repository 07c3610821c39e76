// Package phone normalizes phone numbers to E.164 with the libphonenumber
// rules (github.com/nyaruka/phonenumbers), and finds the numbers people write
// inside messages. It implements inbox.PhoneNormalizer.
//
// # Valid numbers only
//
// A number is accepted only when libphonenumber's metadata says it is valid
// (phonenumbers.IsValidNumber), not merely possible: a phone identity links
// customers automatically, so a typo that happens to have the right length
// must not become an identity.
//
// The one exception is the ranges regulators reserve for fiction, which the
// metadata calls invalid but which demos and tests need because they never
// reach a real person: "+33 6 39 98 xx xx" (ARCEP, French mobiles),
// "+44 7700 900xxx" and "+44 1632 960xxx" (Ofcom drama numbers). The other
// reserved ranges are valid in the metadata already: "+33 1 99 00 xx xx",
// "+44 20 7946 0xxx", and in North America NXX-555-0100 to NXX-555-0199
// inside a real area code ("+1 202 555 0143"). The area code 555 itself does
// not exist, so "+1 555 010 0123" is refused, and "555-0123" has no area
// code to make it E.164. Twilio's test-credential numbers (+1 500 555 0006)
// are valid.
//
// Numbers with an extension ("+33 1 23 45 67 89 ext. 12") are refused: E.164
// has no room for the extension, and a switchboard number shared by many
// people must not link them into one customer.
package phone

import (
	"strings"
	"unicode"

	"github.com/couture/couture/inbox"
	"github.com/nyaruka/phonenumbers"
)

// Normalizer turns phone numbers as people and channels write them into
// E.164. The zero value accepts international numbers only. It is safe for
// concurrent use.
type Normalizer struct {
	// Region is the ISO 3166 code ("FR", "GB") of the country national
	// numbers ("06 12 34 56 78") belong to. Empty means numbers must be
	// written in international form (+33…, 0033…).
	Region string
}

var _ inbox.PhoneNormalizer = Normalizer{}

// NormalizePhone returns raw in E.164 ("+33612345678"). raw may carry a
// "whatsapp:" or "tel:" prefix (Twilio, RFC 3966), spaces, dots, dashes,
// slashes and brackets between the digits, a leading + or 00 international
// prefix, or be a national number of n.Region. Errors have code
// inbox.Invalid and say what to fix.
func (n Normalizer) NormalizePhone(raw string) (string, error) {
	region := strings.ToUpper(strings.TrimSpace(n.Region))
	s, err := clean(raw)
	if err != nil {
		return "", err
	}
	lead := strings.TrimLeft(s, "( ")
	intl := strings.HasPrefix(lead, "+") || strings.HasPrefix(lead, "00")
	if !intl {
		if region == "" {
			return "", inbox.Errorf(inbox.Invalid,
				"phone number %q has no country code: write it as +country number (no default region is set)", raw)
		}
		if !phonenumbers.GetSupportedRegions()[region] {
			return "", inbox.Errorf(inbox.Invalid,
				"phone number %q cannot be read: the default region %q is not an ISO 3166 country code like FR", raw, n.Region)
		}
	}
	num, perr := parse(s, region)
	if perr == nil && (phonenumbers.IsValidNumber(num) || fictional(num)) {
		// clean already refuses the characters that introduce an extension
		// ("ext", "x", "#", ";"); this guards against a silent drop should
		// it ever accept more.
		if num.GetExtension() != "" {
			return "", inbox.Errorf(inbox.Invalid,
				"phone number %q has an extension: give the number without it", raw)
		}
		e := phonenumbers.Format(num, phonenumbers.E164)
		if len(e) > 16 {
			// The metadata allows some national numbers (German ones) longer
			// than the 15 digits E.164 (section 6.1) gives a whole number.
			return "", inbox.Errorf(inbox.Invalid,
				"phone number %q is too long: an international number has at most 15 digits", raw)
		}
		return e, nil
	}
	return "", invalid(raw, region, intl, num, perr)
}

// fiction lists the ranges reserved for fiction that the metadata calls
// invalid, as an E.164 prefix and the length of a whole number.
var fiction = []struct {
	prefix string
	length int
}{
	{"+3363998", 12},   // ARCEP: 06 39 98 00 00 to 06 39 98 99 99
	{"+447700900", 13}, // Ofcom: 07700 900000 to 07700 900999
	{"+441632960", 13}, // Ofcom: 01632 960000 to 01632 960999
}

// fictional reports whether num lies in a range reserved for fiction.
func fictional(num *phonenumbers.PhoneNumber) bool {
	e := phonenumbers.Format(num, phonenumbers.E164)
	for _, f := range fiction {
		if len(e) == f.length && strings.HasPrefix(e, f.prefix) {
			return true
		}
	}
	return false
}

// parse reads s, already cleaned, as a number of region. A leading 00 is the
// international prefix: phonenumbers knows it for regions that dial 00, and
// it is rewritten to + for the others and when there is no region.
func parse(s, region string) (*phonenumbers.PhoneNumber, error) {
	if strings.HasPrefix(s, "00") {
		if region != "" {
			if num, err := phonenumbers.Parse(s, region); err == nil && (phonenumbers.IsValidNumber(num) || fictional(num)) {
				return num, nil
			}
		}
		s = "+" + s[2:]
	}
	return phonenumbers.Parse(s, region)
}

// invalid explains why a number was refused.
func invalid(raw, region string, intl bool, num *phonenumbers.PhoneNumber, err error) error {
	where := "for region " + region
	if intl {
		where = "in any country"
		if err == nil {
			if r := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); r != "ZZ" && r != "001" {
				where = "for region " + r
			}
		}
	}
	if err == nil {
		switch phonenumbers.IsPossibleNumberWithReason(num) {
		case phonenumbers.TOO_SHORT:
			return inbox.Errorf(inbox.Invalid, "phone number %q is too short %s", raw, where)
		case phonenumbers.TOO_LONG:
			return inbox.Errorf(inbox.Invalid, "phone number %q is too long %s", raw, where)
		}
	} else if err == phonenumbers.ErrTooShortNSN {
		return inbox.Errorf(inbox.Invalid, "phone number %q is too short %s", raw, where)
	} else if err == phonenumbers.ErrInvalidCountryCode && intl {
		return inbox.Errorf(inbox.Invalid, "phone number %q does not start with a known country code", raw)
	}
	return inbox.Errorf(inbox.Invalid, "%q is not a valid phone number %s", raw, where)
}

// clean strips the channel prefix and checks the characters of raw: digits
// (any script, phonenumbers maps them), one + before the first digit, and
// the separators people put between groups ("(+33) 6 12…" is fine). Letters
// are refused, vanity numbers included.
func clean(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	for _, p := range []string{"whatsapp:", "tel:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if s == "" {
		return "", inbox.Errorf(inbox.Invalid, "the phone number is empty")
	}
	digits, plus := 0, false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '+' && !plus && digits == 0:
			plus = true
		case isSeparator(r):
		default:
			return "", inbox.Errorf(inbox.Invalid,
				"phone number %q contains %q: use digits, spaces and a leading + only", raw, r)
		}
	}
	if digits == 0 {
		return "", inbox.Errorf(inbox.Invalid, "phone number %q has no digits", raw)
	}
	if digits > 20 || len(s) > phonenumbers.MAX_INPUT_STRING_LENGTH {
		return "", inbox.Errorf(inbox.Invalid, "phone number %q is too long", raw)
	}
	return s, nil
}

func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\u00a0', '\u202f', '.', '-', '\u2010', '\u2011', '\u2013', '/', '(', ')':
		return true
	}
	return false
}

// Find returns the phone numbers written in text (a signature, say), in
// E.164, in order of first appearance, without duplicates; nil when there
// are none. National numbers are read as numbers of region; with region ""
// only international numbers are found.
//
// phonenumbers v1.8.1 has no matcher (NewPhoneNumberMatcher is an
// unimplemented stub), so Find picks candidates itself: runs of digits and
// separators on one line, not glued to letters or other digits, then keeps
// those NormalizePhone accepts. Dates ("2026-03-29") are skipped. The result
// feeds link suggestions, which a person confirms, so a rare false positive
// costs a click, not a merge.
func Find(text, region string) []string {
	n := Normalizer{Region: region}
	var out []string
	tried, seen := map[string]bool{}, map[string]bool{}
	for _, c := range candidates(text) {
		if tried[c] {
			continue
		}
		tried[c] = true
		e164, err := n.NormalizePhone(c)
		if err != nil || seen[e164] {
			continue
		}
		seen[e164] = true
		out = append(out, e164)
	}
	return out
}

// candidates returns the runs of text that may be phone numbers. A run
// starts with + or a digit (or an opening bracket before a digit), continues
// with digits and separators on the same line, and ends with a digit. A run
// touching a letter, a digit-like symbol or a word character on either side
// is part of something else (an IBAN, a reference, a URL) and is dropped.
// Runs joined by " / " are split: "06 12 34 56 78 / 01 23 45 67 89".
func candidates(text string) []string {
	rs := []rune(text)
	var out []string
	for i := 0; i < len(rs); {
		r := rs[i]
		startsRun := unicode.IsDigit(r) ||
			(r == '+' && i+1 < len(rs) && (unicode.IsDigit(rs[i+1]) || rs[i+1] == '(')) ||
			(r == '(' && i+1 < len(rs) && (unicode.IsDigit(rs[i+1]) || rs[i+1] == '+'))
		if !startsRun {
			i++
			continue
		}
		start := i
		j := i + 1
		lastDigit := i
		if !unicode.IsDigit(r) {
			lastDigit = -1
		}
		for j < len(rs) && (unicode.IsDigit(rs[j]) || isSeparator(rs[j]) || (rs[j] == '+' && j == start+1 && rs[start] == '(')) {
			if unicode.IsDigit(rs[j]) {
				lastDigit = j
			}
			j++
		}
		i = j
		if lastDigit < 0 {
			continue
		}
		end := lastDigit + 1
		// A closing bracket right after the last digit belongs to the run.
		if end < len(rs) && rs[end] == ')' {
			end++
		}
		if glued(rs, start-1) || glued(rs, end) {
			continue
		}
		for _, part := range strings.Split(string(rs[start:end]), " / ") {
			part = strings.TrimSpace(part)
			if plausible(part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// glued reports whether the rune at i (outside the run) ties the run to a
// word: letters, digits, and the symbols of references, amounts and URLs.
func glued(rs []rune, i int) bool {
	if i < 0 || i >= len(rs) {
		return false
	}
	r := rs[i]
	switch r {
	case '_', '@', '#', '%', '$', '€', '£', '&', '=', '/', '\\', '+':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// plausible filters candidates before the (slower) full parse: enough
// digits, not too many, and not a date.
func plausible(s string) bool {
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	return digits >= 6 && digits <= 17 && !isDate(s)
}

// isDate reports whether s looks like 2026-03-29, 29/03/2026 or 29.03.2026:
// three groups of digits joined by the same separator, with a 4-digit
// year at one end.
func isDate(s string) bool {
	for _, sep := range []string{"-", "/", "."} {
		g := strings.Split(s, sep)
		if len(g) != 3 {
			continue
		}
		ok := true
		for _, x := range g {
			x = strings.TrimSpace(x)
			if x == "" || len(x) > 4 || strings.TrimFunc(x, unicode.IsDigit) != "" {
				ok = false
			}
		}
		if ok && (len(strings.TrimSpace(g[0])) == 4 || len(strings.TrimSpace(g[2])) == 4) {
			return true
		}
	}
	return false
}
