package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ellipsize cuts where a truncating label cuts: the customer rows draw
// their texts with it and must read as labels did.
func TestEllipsizeCutsAsALabel(t *testing.T) {
	useEnglish(t)
	texts := []string{
		"Hello, I ordered two quiches and a fruit tart for a 10:00 pickup tomorrow",
		"Bonjour, Je me permets de vous relancer : notre bureau attend toujours la facture",
		"Martine Vidal",
		"Ünïcødé — «guillemets» et espaces insécables\u00a0: ça coupe ?",
		"WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
		"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
		"a b c d e f g h i j k l m n o p q r s t u v w x y z",
		"short",
	}
	styles := []struct {
		name string
		size fyne.ThemeSizeName
		bold bool
	}{{"caption", theme.SizeNameCaptionText, false}, {"text", theme.SizeNameText, false}, {"bold", theme.SizeNameText, true}}
	for _, st := range styles {
		for _, text := range texts {
			for _, width := range []float32{20, 37, 60, 101.5, 150, 233, 300} {
				l := widget.NewLabel(text)
				l.SizeName = st.size
				l.TextStyle.Bold = st.bold
				l.Truncation = fyne.TextTruncateEllipsis
				l.Resize(fyne.NewSize(width+2*theme.InnerPadding(), 40))
				want := labelShows(l)
				got := ellipsize(text, width, theme.Size(st.size), l.TextStyle)
				if got != want {
					t.Errorf("%s %q at %g: %q, a label shows %q", st.name, text, width, got, want)
				}
			}
		}
	}
}

// labelShows is the text a label draws.
func labelShows(l *widget.Label) string {
	s := ""
	walk(l, func(o fyne.CanvasObject) bool {
		if x, ok := o.(*canvas.Text); ok {
			s += x.Text
		}
		return true
	})
	return s
}
