package channels

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/couture/couture/inbox"
)

func TestGSMAlphabet(t *testing.T) {
	// 3GPP TS 23.038 §6.2.1: some accented capitals and small letters are
	// in the basic table (é è ù ì ò à, Ç É); most French accents are not.
	for _, r := range "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r€^{}[]~|\\\f" {
		if !inbox.GSM7Only(string(r)) {
			t.Errorf("%q is in the GSM 7-bit alphabet or its extension", r)
		}
	}
	for _, r := range "çêâîôûëïÿœÀÈ`\t\x1b" {
		if inbox.GSM7Only(string(r)) {
			t.Errorf("%q is not in the GSM 7-bit alphabet", r)
		}
	}
}

func TestSMSSegments(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		segments int
		encoding string
		warn     string // a substring of the warning, "" for none
	}{
		{"empty", "", 0, GSM7, ""},
		{"short", "Bonjour", 1, GSM7, ""},
		{"160 ascii", strings.Repeat("a", 160), 1, GSM7, ""},
		{"161 ascii", strings.Repeat("a", 161), 2, GSM7, ""},
		{"306 ascii", strings.Repeat("a", 306), 2, GSM7, ""},
		{"307 ascii", strings.Repeat("a", 307), 3, GSM7, ""},
		{"french in gsm", "Café à emporter, délai réduit. Ça va ? Où ? Très bien.", 1, GSM7, ""},
		{"euro counts double", strings.Repeat("€", 80), 1, GSM7, ""},
		{"81 euros", strings.Repeat("€", 81), 2, GSM7, ""},
		{"escape never split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), 3, GSM7, ""},
		{"brackets and braces", "{[~^|\\]}", 1, GSM7, ""},
		{"small c cedilla", "Merci, ça marche", 1, UCS2, "“ç” is not in the GSM alphabet"},
		{"circumflex", "Votre commande est prête", 1, UCS2, "“ê”"},
		{"several odd", "ç ê â ç", 1, UCS2, "“ç”, “ê”, “â” are not"},
		{"tab", "a\tb", 1, UCS2, "the tab"},
		{"emoji", "Merci 😀", 1, UCS2, "“😀”"},
		{"70 ucs2", strings.Repeat("ç", 70), 1, UCS2, ""},
		{"71 ucs2", strings.Repeat("ç", 71), 2, UCS2, ""},
		{"134 ucs2", strings.Repeat("ç", 134), 2, UCS2, ""},
		{"135 ucs2", strings.Repeat("ç", 135), 3, UCS2, ""},
		{"35 emoji fill one", strings.Repeat("😀", 35), 1, UCS2, ""},
		{"36 emoji", strings.Repeat("😀", 36), 2, UCS2, ""},
		// 33 emoji fill 66 of a part's 67 units: the 34th never straddles.
		{"surrogate never split", strings.Repeat("😀", 67), 3, UCS2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, enc, warn := SMSSegments(tt.text)
			if n != tt.segments || enc != tt.encoding {
				t.Errorf("SMSSegments = %d %s, want %d %s", n, enc, tt.segments, tt.encoding)
			}
			if tt.warn == "" && enc == GSM7 && warn != "" {
				t.Errorf("unexpected warning %q", warn)
			}
			if !strings.Contains(warn, tt.warn) {
				t.Errorf("warning %q, want it to contain %q", warn, tt.warn)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		ch       inbox.ChannelKind
		text     string
		last     time.Time
		chars    int
		max      int
		segments int
		code     inbox.Code // "" when the answer may go
		msg      string     // a substring of the error or the warning
	}{
		{"telegram short", inbox.ChannelTelegram, "Bonjour", time.Time{}, 7, 4096, 0, "", ""},
		{"telegram at the limit", inbox.ChannelTelegram, strings.Repeat("é", 4096), time.Time{}, 4096, 4096, 0, "", ""},
		{"telegram too long", inbox.ChannelTelegram, strings.Repeat("a", 4097), time.Time{}, 4097, 4096, 0, inbox.Invalid, "Telegram allows 4096"},
		{"telegram emoji count two", inbox.ChannelTelegram, strings.Repeat("😀", 2049), time.Time{}, 4098, 4096, 0, inbox.Invalid, "4098 characters"},
		{"sms", inbox.ChannelSMS, strings.Repeat("a", 200), time.Time{}, 200, 1600, 2, "", ""},
		{"sms at the limit", inbox.ChannelSMS, strings.Repeat("a", 1600), time.Time{}, 1600, 1600, 11, "", ""},
		{"sms too long", inbox.ChannelSMS, strings.Repeat("a", 1601), time.Time{}, 1601, 1600, 11, inbox.Invalid, "at most 1600"},
		{"sms unicode", inbox.ChannelSMS, "Merci 😀", time.Time{}, 8, 1600, 1, "", "Unicode"},
		{"whatsapp in window", inbox.ChannelWhatsApp, "Bonjour", now.Add(-3 * time.Hour), 7, 1600, 0, "", ""},
		{"whatsapp window closing", inbox.ChannelWhatsApp, "Bonjour", now.Add(-23*time.Hour - 20*time.Minute), 7, 1600, 0, "", "closes in 40 min"},
		{"whatsapp window closed", inbox.ChannelWhatsApp, "Bonjour", now.Add(-25 * time.Hour), 7, 1600, 0, inbox.Conflict, "24-hour customer-service window"},
		{"whatsapp never wrote", inbox.ChannelWhatsApp, "Bonjour", time.Time{}, 7, 1600, 0, inbox.Conflict, "template"},
		{"whatsapp too long", inbox.ChannelWhatsApp, strings.Repeat("a", 1601), now.Add(-time.Hour), 1601, 1600, 0, inbox.Invalid, "at most 1600"},
		{"matrix", inbox.ChannelMatrix, "Bonjour", time.Time{}, MatrixEventSize("Bonjour"), 65536, 0, "", ""},
		{"matrix too big", inbox.ChannelMatrix, strings.Repeat("a", 33000), time.Time{}, MatrixEventSize(strings.Repeat("a", 33000)), 65536, 0, inbox.Invalid, "over 65536"},
		{"email", inbox.ChannelEmail, "Bonjour", time.Time{}, 7, 0, 0, "", ""},
		{"email huge", inbox.ChannelEmail, strings.Repeat("a", 11<<20), time.Time{}, 11 << 20, 0, 0, "", "over 10 MB"},
		{"unknown", "fax", "Bonjour", time.Time{}, 0, 0, 0, inbox.Invalid, "unknown channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Check(tt.ch, tt.text, tt.last, now)
			if inbox.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if l.Chars != tt.chars || l.Max != tt.max || l.Segments != tt.segments {
				t.Errorf("Limit %+v, want chars %d max %d segments %d", l, tt.chars, tt.max, tt.segments)
			}
			got := l.Warning
			if err != nil {
				got = inbox.Explain(err)
			}
			if tt.msg != "" && !strings.Contains(got, tt.msg) {
				t.Errorf("message %q, want it to contain %q", got, tt.msg)
			}
			if tt.msg == "" && got != "" {
				t.Errorf("unexpected message %q", got)
			}
		})
	}
}

func TestMatrixEventSizeCountsEscapes(t *testing.T) {
	plain, quoted := MatrixEventSize(strings.Repeat("a", 100)), MatrixEventSize(strings.Repeat(`"`, 100))
	if quoted-plain != 200 { // each quote becomes \" in body and formatted_body
		t.Errorf("100 quotes cost %d more bytes than 100 letters, want 200", quoted-plain)
	}
	if d := MatrixEventSize("é") - MatrixEventSize("a"); d != 2 {
		t.Errorf("é costs %d more bytes than a, want 2 (UTF-8, twice)", d)
	}
}

func FuzzSMSSegments(f *testing.F) {
	for _, s := range []string{"", "Bonjour", "ça", "😀", "€€€", strings.Repeat("a", 161), strings.Repeat("😀", 40), "\xff\xfe", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, enc, _ := SMSSegments(text)
		if text == "" {
			if n != 0 {
				t.Fatalf("empty text: %d segments", n)
			}
			return
		}
		total, single, part := 0, 160, 153
		for _, r := range text {
			switch {
			case enc == UCS2:
				total += utf16.RuneLen(r)
			case strings.ContainsRune("\f^{}\\[~]|€", r):
				total += 2
			case !inbox.GSM7Only(string(r)):
				t.Fatalf("GSM-7 chosen for %q", r)
			default:
				total++
			}
		}
		if enc == UCS2 {
			single, part = 70, 67
		}
		switch {
		case n < 1:
			t.Fatalf("%d segments for %q", n, text)
		case (total <= single) != (n == 1):
			t.Fatalf("%d units in %d segments (%s)", total, n, enc)
		case n > 1 && total > n*part:
			t.Fatalf("%d units do not fit %d segments of %d", total, n, part)
		case n > 1 && total <= (n-1)*(part-1):
			t.Fatalf("%d units need fewer than %d segments of %d", total, n, part)
		}
		for _, ch := range inbox.Channels {
			l, _ := Check(ch, text, time.Time{}, time.Time{})
			if l.Chars < 0 || (ch != inbox.ChannelEmail && ch != inbox.ChannelMatrix && l.Chars < utf8.RuneCountInString(text)) {
				t.Fatalf("%s: %d chars for %d runes", ch, l.Chars, utf8.RuneCountInString(text))
			}
		}
	})
}
