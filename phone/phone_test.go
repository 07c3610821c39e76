package phone

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/couture/couture/inbox"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name   string
		region string
		raw    string
		want   string
		// wantErr is a part of the error message when an error is expected.
		wantErr string
	}{
		// France.
		{name: "FR international", raw: "+33 6 12 34 56 78", want: "+33612345678"},
		{name: "FR national with region", region: "FR", raw: "06 12 34 56 78", want: "+33612345678"},
		{name: "FR national dots", region: "FR", raw: "06.12.34.56.78", want: "+33612345678"},
		{name: "FR national dashes", region: "FR", raw: "06-12-34-56-78", want: "+33612345678"},
		{name: "FR region lower case", region: "fr", raw: "0612345678", want: "+33612345678"},
		{name: "FR 00 prefix without region", raw: "0033 6 12 34 56 78", want: "+33612345678"},
		{name: "FR 00 prefix with region", region: "FR", raw: "00 33 6 12 34 56 78", want: "+33612345678"},
		{name: "FR trunk zero in brackets", raw: "+33 (0)1 23 45 67 89", want: "+33123456789"},
		{name: "FR fiction range", raw: "+33 1 99 00 12 34", want: "+33199001234"},
		{name: "FR national without region", raw: "06 12 34 56 78", wantErr: "has no country code"},
		{name: "FR too short for region", region: "FR", raw: "06 12 34", wantErr: "too short for region FR"},
		{name: "FR mobile fiction range", raw: "+33 6 39 98 11 42", want: "+33639981142"},
		{name: "FR mobile fiction range national", region: "FR", raw: "06 39 98 11 42", want: "+33639981142"},
		{name: "FR mobile fiction range too long", raw: "+33 6 39 98 11 42 1", wantErr: "too long for region FR"},
		{name: "FR mobile next to fiction range", raw: "+33 6 39 97 11 42", wantErr: "not a valid phone number for region FR"},

		// Prefixes channels put in front.
		{name: "WhatsApp prefix", raw: "whatsapp:+33612345678", want: "+33612345678"},
		{name: "WhatsApp prefix upper case", raw: "WhatsApp:+44 7911 123456", want: "+447911123456"},
		{name: "tel URI", raw: "tel:+1-202-555-0143", want: "+12025550143"},
		{name: "tel URI with parameters", raw: "tel:+33612345678;ext=12", wantErr: `contains ';'`},
		{name: "prefix only", raw: "whatsapp:", wantErr: "empty"},

		// United Kingdom.
		{name: "GB London", raw: "+44 20 7946 0958", want: "+442079460958"},
		{name: "GB national", region: "GB", raw: "020 7946 0958", want: "+442079460958"},
		{name: "GB mobile", region: "GB", raw: "07911 123456", want: "+447911123456"},
		{name: "GB mobile drama range", region: "GB", raw: "07700 900318", want: "+447700900318"},
		{name: "GB 01632 drama range", raw: "+44 1632 960123", want: "+441632960123"},
		{name: "GB next to drama range", region: "GB", raw: "07700 901123", wantErr: "not a valid phone number for region GB"},
		{name: "GB London drama range", raw: "+44 20 7946 0123", want: "+442079460123"},
		{name: "GB number dialled from FR", region: "FR", raw: "00 44 20 7946 0958", want: "+442079460958"},

		// United States.
		{name: "US international", raw: "+1 (202) 555-0143", want: "+12025550143"},
		{name: "US national", region: "US", raw: "(202) 555-0143", want: "+12025550143"},
		{name: "US national with trunk 1", region: "US", raw: "1 202 555 0143", want: "+12025550143"},
		{name: "US dialled with 011", region: "US", raw: "011 44 20 7946 0958", want: "+442079460958"},
		{name: "US dialled with 00", region: "US", raw: "0044 20 7946 0958", want: "+442079460958"},
		{name: "US 555 area code is invalid", raw: "+1 555 010 0123", wantErr: "not a valid phone number for region US"},
		{name: "US 555-01xx short form is invalid", raw: "+1 555 0123", wantErr: "not a valid phone number"},
		{name: "US 555-01xx without area code", region: "US", raw: "555-0123", wantErr: "not a valid phone number for region US"},
		{name: "US fictional range in a real area code", raw: "+1 202 555 0199", want: "+12025550199"},
		{name: "US Twilio magic number", raw: "+1 500 555 0006", want: "+15005550006"},
		{name: "US vanity letters", region: "US", raw: "1-800-FLOWERS", wantErr: `contains 'F'`},

		// Germany.
		{name: "DE Berlin", raw: "+49 30 901820", want: "+4930901820"},
		{name: "DE national with slash", region: "DE", raw: "030/12345678", want: "+493012345678"},
		{name: "DE mobile", region: "DE", raw: "0151 23456789", want: "+4915123456789"},
		{name: "DE longer than E.164 allows", region: "DE", raw: "0201 00000000000", wantErr: "at most 15 digits"},
		{name: "DE trunk zero in brackets", raw: "+49 (0)30 12345678", want: "+493012345678"},

		// Small countries: fewer than 8 digits is fine when valid.
		{name: "Niue", raw: "+683 7012", want: "+6837012"},

		// Other scripts' digits.
		{name: "fullwidth digits", region: "FR", raw: "０６１２３４５６７８", want: "+33612345678"},

		// Garbage.
		{name: "empty", raw: "", wantErr: "empty"},
		{name: "blank", raw: "   ", wantErr: "empty"},
		{name: "letters", raw: "hello", wantErr: `contains 'h'`},
		{name: "letters among digits", region: "FR", raw: "06 12 34 AB 78", wantErr: `contains 'A'`},
		{name: "extension", raw: "+33 1 23 45 67 89 ext. 12", wantErr: `contains 'e'`},
		{name: "plus in the middle", raw: "+33+612345678", wantErr: `contains '+'`},
		{name: "double plus", raw: "++33612345678", wantErr: `contains '+'`},
		{name: "separators only", raw: "+ - ( )", wantErr: "has no digits"},
		{name: "too short", raw: "+33 6", wantErr: "too short in any country"},
		{name: "too short after 00", region: "FR", raw: "0033 6", wantErr: "too short"},
		{name: "plus alone", raw: "+", wantErr: "has no digits"},
		{name: "country code in brackets", raw: "(+33) 6 12 34 56 78", want: "+33612345678"},
		{name: "plus after a digit", raw: "3+3 6 12 34 56 78", wantErr: `contains '+'`},
		{name: "too long", raw: "+33 6 12 34 56 78 90 12 34 56 78 90", wantErr: "too long"},
		{name: "unknown country code", raw: "+999 123 456 789", wantErr: "known country code"},
		{name: "country code zero", raw: "+0 123 456 789", wantErr: "known country code"},
		{name: "unknown region", region: "XX", raw: "06 12 34 56 78", wantErr: `default region "XX"`},
		{name: "unknown region with international number", region: "XX", raw: "+33 6 12 34 56 78", want: "+33612345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalizer{Region: tt.region}.NormalizePhone(tt.raw)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("NormalizePhone(%q) = %q, want an error containing %q", tt.raw, got, tt.wantErr)
				}
				if code := inbox.ErrorCode(err); code != inbox.Invalid {
					t.Errorf("error code = %q, want %q (error %v)", code, inbox.Invalid, err)
				}
				if !strings.Contains(inbox.Explain(err), tt.wantErr) {
					t.Errorf("error %q does not contain %q", inbox.Explain(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizePhone(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// The message names the region, so a person knows what was assumed.
func TestNormalizePhoneMessage(t *testing.T) {
	_, err := Normalizer{Region: "FR"}.NormalizePhone("01 02 03")
	want := `phone number "01 02 03" is too short for region FR`
	if err == nil || inbox.Explain(err) != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	_, err = Normalizer{Region: "FR"}.NormalizePhone("08 99 99 99 99 99")
	if err == nil || !strings.HasSuffix(inbox.Explain(err), "for region FR") {
		t.Fatalf("error = %v, want one ending in %q", err, "for region FR")
	}
}

// Through inbox.NewIdentity, the Normalizer makes SMS and WhatsApp senders one
// identity.
func TestNormalizerAsIdentity(t *testing.T) {
	n := Normalizer{Region: "FR"}
	sms, err := inbox.NewIdentity(inbox.KindPhone, "06 12 34 56 78", n)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := inbox.NewIdentity(inbox.KindPhone, "whatsapp:+33612345678", n)
	if err != nil {
		t.Fatal(err)
	}
	if sms != wa {
		t.Errorf("SMS identity %v and WhatsApp identity %v differ", sms, wa)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name   string
		region string
		text   string
		want   []string
	}{
		{
			name:   "FR signature",
			region: "FR",
			text:   "Bonne journée,\nAnna Martin\nTél. : 06 12 34 56 78\nBureau : +33 (0)1 23 45 67 89",
			want:   []string{"+33612345678", "+33123456789"},
		},
		{
			name:   "duplicates in two forms",
			region: "FR",
			text:   "Call me on 06.12.34.56.78 or, from abroad, +33 6 12 34 56 78.",
			want:   []string{"+33612345678"},
		},
		{
			name: "international only without region",
			text: "UK office +44 20 7946 0958, home 06 12 34 56 78",
			want: []string{"+442079460958"},
		},
		{
			name:   "US signature with brackets",
			region: "US",
			text:   "John Doe | Acme | (202) 555-0143 | john@acme.example",
			want:   []string{"+12025550143"},
		},
		{
			name:   "DE with slash",
			region: "DE",
			text:   "Telefon: 030/12345678\nMobil: 0151 23456789",
			want:   []string{"+493012345678", "+4915123456789"},
		},
		{
			name:   "two numbers joined by a slash",
			region: "FR",
			text:   "06 12 34 56 78 / 01 23 45 67 89",
			want:   []string{"+33612345678", "+33123456789"},
		},
		{
			name:   "country code in brackets",
			region: "FR",
			text:   "Hotel Lutetia (+33) 1 23 45 67 89",
			want:   []string{"+33123456789"},
		},
		{
			name:   "WhatsApp line",
			region: "FR",
			text:   "WhatsApp: +33612345678",
			want:   []string{"+33612345678"},
		},
		{
			name:   "number at the end of a sentence",
			region: "GB",
			text:   "Ring 020 7946 0958.",
			want:   []string{"+442079460958"},
		},
		{name: "dates are not numbers", region: "FR", text: "Livré le 29/03/2026, commande du 2026-03-29, 29.03.2026."},
		// These dates are valid German and Austrian phone numbers.
		{name: "DE dates", region: "DE", text: "Lieferung am 29.03.2026 oder 2026-03-29, Rechnung vom 05/12/2025"},
		{name: "AT dates", region: "AT", text: "Termin am 1.4.2026 oder 31.12.2025"},
		{name: "IBAN", region: "FR", text: "IBAN FR76 3000 6000 0112 3456 7890 189"},
		{name: "order reference", region: "FR", text: "Order #0612345678 and ref ABC0612345678"},
		{name: "amount", region: "FR", text: "Total: 1 234 567,89 €"},
		{name: "url", region: "FR", text: "https://example.org/track/0612345678"},
		{name: "time", region: "FR", text: "Rendez-vous à 10:30:00 le 12"},
		{name: "empty", region: "FR", text: ""},
		{name: "too short", region: "FR", text: "Code 1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Find(tt.text, tt.region)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Find(%q, %q) = %q, want %q", tt.text, tt.region, got, tt.want)
			}
		})
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+33 6 12 34 56 78", "06 12 34 56 78", "whatsapp:+33612345678", "tel:+1-202-555-0143",
		"0033612345678", "(202) 555-0143", "+44 (0)20 7946 0958", "030/12345678", "+1 555 0123",
		"hello", "", "+", "00", "++1", "tel:", "+33 6 39 98 11 42", "07700 900318", "０６１２３４５６７８", "+683 7012", "011 44 20 7946 0958",
	} {
		f.Add(s, "FR")
		f.Add(s, "")
	}
	f.Add("(202) 555-0143", "US")
	f.Add("0151 23456789", "DE")
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := Normalizer{Region: region}.NormalizePhone(raw)
		if err != nil {
			if inbox.ErrorCode(err) != inbox.Invalid {
				t.Fatalf("NormalizePhone(%q) error %v has code %q, want %q", raw, err, inbox.ErrorCode(err), inbox.Invalid)
			}
			if got != "" {
				t.Fatalf("NormalizePhone(%q) returned %q with an error", raw, got)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("NormalizePhone(%q, region %q) = %q, not E.164", raw, region, got)
		}
		// E.164 is a fixed point, whatever the region.
		again, err := Normalizer{}.NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want %q (from %q, region %q)", got, again, err, got, raw, region)
		}
		// Find sees the same number in a sentence.
		if found := Find("Call "+got+" today", ""); !slices.Equal(found, []string{got}) {
			t.Fatalf("Find(%q) = %q, want [%q]", "Call "+got+" today", found, got)
		}
	})
}

func BenchmarkNormalizePhone(b *testing.B) {
	n := Normalizer{Region: "FR"}
	inputs := []string{"06 12 34 56 78", "whatsapp:+447911123456", "+1 (202) 555-0143", "0033 1 23 45 67 89"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := n.NormalizePhone(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	text := strings.Repeat("Hello, thanks for the quick answer on order 2026-03-29.\n", 20) +
		"--\nAnna Martin\nTél. 06 12 34 56 78 · Bureau +33 1 23 45 67 89\n"
	b.ReportAllocs()
	for b.Loop() {
		if got := Find(text, "FR"); len(got) != 2 {
			b.Fatalf("Find = %q", got)
		}
	}
}
