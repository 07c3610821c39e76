package assets

import "embed"

// Translations holds the GUI's translation files, translations/en.json and
// translations/fr.json, in the go-i18n JSON format Fyne's lang package reads
// (lang.AddTranslationsFS(assets.Translations, "translations")). A key is
// the English text itself; en.json only carries the English plural forms.
//
//go:embed translations/*.json
var Translations embed.FS
