package inbox

import (
	"strings"
	"testing"
)

// The vectors follow 3GPP TS 23.038 (alphabet and extension table) and TS
// 23.040 (160/153 septets, 70/67 UCS-2 units); channels/limits_test.go
// checks the same ones against the send box's counter.
func TestCountSMS(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		encoding string
		units    int
		segments int
	}{
		{"empty", "", GSM7, 0, 0},
		{"short", "Bonjour", GSM7, 7, 1},
		{"160 septets", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 septets", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 septets", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 septets", strings.Repeat("a", 307), GSM7, 307, 3},
		{"french in the basic table", "Café à emporter, délai réduit. Ça va ? Où ? Très bien.", GSM7, 54, 1},
		{"every basic character", strings.ReplaceAll(gsmBasic, "\x00", ""), GSM7, 127, 1},
		{"extension counts two", "{[~^|\\]}€\f", GSM7, 20, 1},
		{"80 euros", strings.Repeat("€", 80), GSM7, 160, 1},
		{"81 euros", strings.Repeat("€", 81), GSM7, 162, 2},
		{"escape never split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), GSM7, 306, 3},
		{"small c cedilla is not GSM", "Merci, ça marche", UCS2, 16, 1},
		{"circumflex is not GSM", "Votre commande est prête", UCS2, 24, 1},
		{"tab is not GSM", "a\tb", UCS2, 3, 1},
		{"70 ucs2", strings.Repeat("ç", 70), UCS2, 70, 1},
		{"71 ucs2", strings.Repeat("ç", 71), UCS2, 71, 2},
		{"134 ucs2", strings.Repeat("ç", 134), UCS2, 134, 2},
		{"135 ucs2", strings.Repeat("ç", 135), UCS2, 135, 3},
		{"emoji counts two", "Merci 😀", UCS2, 8, 1},
		{"35 emoji fill one", strings.Repeat("😀", 35), UCS2, 70, 1},
		{"36 emoji", strings.Repeat("😀", 36), UCS2, 72, 2},
		{"surrogate never split", strings.Repeat("😀", 67), UCS2, 134, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CountSMS(tt.text)
			if got.Encoding != tt.encoding || got.Units != tt.units || got.Segments != tt.segments {
				t.Errorf("CountSMS = %+v, want %s, %d units, %d segments", got, tt.encoding, tt.units, tt.segments)
			}
			if GSM7Only(tt.text) != (tt.encoding == GSM7) {
				t.Errorf("GSM7Only = %v, want %v", !(tt.encoding == GSM7), tt.encoding == GSM7)
			}
		})
	}
}

// The tables are exactly the standard's: 127 characters in the basic table
// (128 codes less the escape), 10 in the extension table.
func TestGSMTables(t *testing.T) {
	basic, ext := 0, 0
	for _, c := range gsmSeptets {
		switch c {
		case 1:
			basic++
		case 2:
			ext++
		}
	}
	if basic != 127 || ext != 10 {
		t.Errorf("%d basic and %d extension characters, want 127 and 10", basic, ext)
	}
	for _, r := range "çâêîôûëïÿœ`\t" {
		if _, ok := gsmSeptets[r]; ok {
			t.Errorf("%q is not in GSM 03.38", r)
		}
	}
}
