package ui

import (
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"fyne.io/fyne/v2/lang"

	"github.com/couture/couture/assets"
)

// Every string a person reads goes through tr (or trN for a count), with the
// English text as the key:
//
//	tr("Add an account")
//	tr("Syncing {{.Folder}}", map[string]any{"Folder": f})
//	trN("{{.Count}} unread", n, map[string]any{"Count": n})
//
// The French is in assets/translations/fr.json under the same English key;
// a key missing there shows in English (TestEveryStringIsTranslated lists
// them). The language is the system's (LC_ALL, LC_MESSAGES, LANG, LANGUAGE
// on Linux; the user's preferred languages on Windows and macOS), French
// when it is French, English otherwise; Fyne's own widgets (dialog buttons,
// entry menus) follow the same choice.

// translationsOnce loads the translation files into Fyne's lang bundle.
var translationsOnce sync.Once

func init() { loadTranslations() }

// loadTranslations adds assets/translations to Fyne's lang package, once.
// Adding them also makes lang choose the language again from the system
// locale.
func loadTranslations() {
	translationsOnce.Do(reloadTranslations)
}

// reloadTranslations adds the translation files again, which makes lang
// read the system locale again. Tests set LC_ALL and call it to switch
// between French and English.
func reloadTranslations() {
	if err := addTranslations(); err != nil {
		slog.Error("ui: load the translations", "err", err)
	}
}

func addTranslations() error {
	return lang.AddTranslationsFS(assets.Translations, "translations")
}

// tr translates the English text s into the user's language (Fyne's
// lang.X, with s as the key). s may be a text/template ("{{.Name}}") filled
// from data[0], a struct or a map[string]any.
func tr(s string, data ...any) string { return lang.X(translationKey(s), s, data...) }

// trN translates the English text s for a count n (Fyne's lang.XN): the
// translation files give "one" and "other" forms. s usually shows the count
// itself: trN("{{.Count}} queued", n, map[string]any{"Count": formatInt(n)}).
func trN(s string, n int, data ...any) string {
	return lang.XN(translationKey(s), s, n, data...)
}

// reservedKeys are the words go-i18n keeps for its own fields; a
// translation file whose top-level keys mix them with others does not load.
var reservedKeys = map[string]bool{
	"id": true, "description": true, "hash": true, "leftdelim": true, "rightdelim": true,
	"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true, "translation": true,
}

// translationKey is the key of the English text s in the translation files:
// s itself, or "text.<s>" for go-i18n's reserved words ("Other" is
// "text.Other" in fr.json).
func translationKey(s string) string {
	if reservedKeys[strings.ToLower(s)] {
		return "text." + s
	}
	return s
}

// language is the language lang chose for the GUI: "fr" or "en".
func language() string { return lang.X("couture.lang", "en") }

// formatInt writes n with the thousands separator of the GUI's language:
// "12,000" in English, "12 000" in French (a narrow no-break space, as
// French typography wants).
func formatInt(n int) string {
	sep := ","
	if language() == "fr" {
		sep = "\u202f"
	}
	return groupDigits(n, sep)
}

// groupDigits writes n with sep between groups of three digits.
func groupDigits(n int, sep string) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// formatFloat writes x with the decimal separator of the GUI's language and
// the given number of decimals: "4.5" in English, "4,5" in French.
func formatFloat(x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if language() == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
