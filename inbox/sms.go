package inbox

import "unicode/utf16"

// SMS encodings.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// SMS segment sizes (3GPP TS 23.040 §9.2.3.24 and TS 23.038): one message
// carries 160 GSM 7-bit septets or 70 UCS-2 units; each part of a
// concatenated message loses 7 septets (6 octets of user data header).
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmBasic is the GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) in
// code order 0x00–0x7F. 0x1B is the escape to the extension table, not a
// character (a NUL stands in for it here).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅå" +
	"Δ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ" +
	" !\"#¤%&'()*+,-./" +
	"0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNO" +
	"PQRSTUVWXYZÄÖÑÜ§" +
	"¿abcdefghijklmno" +
	"pqrstuvwxyzäöñüà"

// gsmExtension is the default extension table (§6.2.1.1): form feed, ^ { }
// \ [ ~ ] | and €. Each is sent as the escape plus one septet: two septets.
const gsmExtension = "\f^{}\\[~]|€"

// gsmSeptets maps every character GSM-7 can carry to its cost in septets.
var gsmSeptets = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		if r != 0 {
			m[r] = 1
		}
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// SMSCount is how an SMS text is sent.
type SMSCount struct {
	// Encoding is GSM7 when every character is in the GSM default alphabet
	// or its extension table, else UCS2.
	Encoding string `json:"encoding"`
	// Units is the length in septets (GSM-7: extension characters count
	// two) or UTF-16 code units (UCS-2: characters outside the Basic
	// Multilingual Plane, emoji among them, count two).
	Units int `json:"units"`
	// Segments is how many SMS the carrier sends and bills; 0 for "".
	Segments int `json:"segments"`
}

// CountSMS measures text as an SMS: a single message holds 160 septets or 70
// UCS-2 units, a concatenated one 153 or 67 a part. Parts are cut the way
// handsets and Twilio cut them: an escape sequence or a surrogate pair is
// never split, so a part may carry one unit less.
//
// The domain owns this rule (answers are rendered here, within segments);
// channels/limits.go applies the same tables and packing for the send box,
// and the two must agree (inbox/sms_test.go and channels/limits_test.go
// check the same vectors).
func CountSMS(text string) SMSCount {
	if text == "" {
		return SMSCount{Encoding: GSM7}
	}
	costs := make([]int, 0, len(text))
	enc := GSM7
	for _, r := range text {
		c, ok := gsmSeptets[r]
		if !ok {
			enc = UCS2
			break
		}
		costs = append(costs, c)
	}
	single, part := gsmSingle, gsmPart
	if enc == UCS2 {
		single, part = ucs2Single, ucs2Part
		costs = costs[:0]
		for _, r := range text {
			n := utf16.RuneLen(r)
			if n < 0 { // invalid rune: sent as U+FFFD
				n = 1
			}
			costs = append(costs, n)
		}
	}
	total := 0
	for _, c := range costs {
		total += c
	}
	out := SMSCount{Encoding: enc, Units: total, Segments: 1}
	if total <= single {
		return out
	}
	used := 0
	for _, c := range costs {
		if used+c > part {
			out.Segments++
			used = 0
		}
		used += c
	}
	return out
}

// GSM7Only reports whether text fits the GSM 7-bit alphabet and its
// extension table.
func GSM7Only(text string) bool {
	for _, r := range text {
		if _, ok := gsmSeptets[r]; !ok {
			return false
		}
	}
	return true
}
