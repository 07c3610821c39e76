package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/couture/couture/assets"
)

// translationFile reads one of assets/translations: key → a string, or the
// plural forms of a key.
func translationFile(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := assets.Translations.ReadFile("translations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// uiStrings returns the English texts the package translates: the literal
// first argument of every tr and trN call in its non-test files (plural
// says which), and the texts of its tables.
func uiStrings(t *testing.T) (texts map[string]bool) {
	t.Helper()
	texts = map[string]bool{} // text → is plural
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok || (id.Name != "tr" && id.Name != "trN") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			texts[s] = texts[s] || id.Name == "trN"
			return true
		})
	}
	for _, k := range accountKinds {
		texts[k.label] = false
	}
	for _, fields := range accountForms {
		for _, f := range fields {
			texts[f.label] = false
			if f.hint != "" {
				texts[f.hint] = false
			}
		}
	}
	for _, p := range reportPeriods {
		texts[p.label] = false
	}
	for _, r := range escalationReasons {
		texts[r] = false
	}
	return texts
}

// TestEveryStringIsTranslated checks that every text the GUI translates has
// its French in assets/translations/fr.json (a plural with "one" and
// "other" forms there and in en.json). A new tr("…") fails here until its
// French is added.
func TestEveryStringIsTranslated(t *testing.T) {
	fr, en := translationFile(t, "fr.json"), translationFile(t, "en.json")
	var missing []string
	for s, plural := range uiStrings(t) {
		v, ok := fr[translationKey(s)]
		switch {
		case !ok:
			missing = append(missing, strconv.Quote(translationKey(s)))
		case plural:
			forms, isMap := v.(map[string]any)
			enForms, enMap := en[translationKey(s)].(map[string]any)
			if !isMap || forms["one"] == nil || forms["other"] == nil || !enMap || enForms["one"] == nil || enForms["other"] == nil {
				t.Errorf("%q is counted (trN): give it \"one\" and \"other\" forms in fr.json and en.json", s)
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d texts have no French in assets/translations/fr.json:\n%s", len(missing), strings.Join(missing, ",\n"))
	}
}

// TestTranslationTemplates checks that every French text uses the same
// template fields ({{.Name}}) as its English key.
func TestTranslationTemplates(t *testing.T) {
	fields := func(s string) []string {
		var out []string
		for {
			i := strings.Index(s, "{{")
			if i < 0 {
				break
			}
			j := strings.Index(s[i:], "}}")
			if j < 0 {
				break
			}
			out = append(out, s[i:i+j+2])
			s = s[i+j+2:]
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for key, v := range translationFile(t, "fr.json") {
		var forms []string
		switch v := v.(type) {
		case string:
			forms = []string{v}
		case map[string]any:
			for _, f := range v {
				forms = append(forms, f.(string))
			}
		}
		for _, f := range forms {
			if got, want := fields(f), fields(strings.TrimPrefix(key, "text.")); !slices.Equal(got, want) {
				t.Errorf("fr.json %q → %q: fields %v, want %v", key, f, got, want)
			}
		}
	}
}

// TestTranslationsLoad checks that Fyne's lang accepts the files (go-i18n
// refuses a file that mixes its reserved words, "Other" say, with other
// keys; translationKey renames them).
func TestTranslationsLoad(t *testing.T) {
	if err := addTranslations(); err != nil {
		t.Fatal(err)
	}
}

func TestGroupDigits(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {12000, "12,000"}, {1234567, "1,234,567"}, {-3200, "-3,200"}}
	for _, tt := range tests {
		if got := groupDigits(tt.n, ","); got != tt.want {
			t.Errorf("groupDigits(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// useLanguage switches the GUI's language for one test: lang reads LC_ALL.
func useLanguage(t *testing.T, code string) {
	t.Helper()
	loc := map[string]string{"en": "en_US.UTF-8", "fr": "fr_FR.UTF-8"}[code]
	t.Setenv("LC_ALL", loc)
	reloadTranslations()
	t.Cleanup(func() {
		os.Setenv("LC_ALL", "en_US.UTF-8")
		reloadTranslations()
	})
	if got := language(); got != code {
		t.Fatalf("language() = %q after LC_ALL=%s", got, loc)
	}
}

func TestLanguageFollowsTheLocale(t *testing.T) {
	useLanguage(t, "fr")
	if got := statusText(AccountStatus{State: StateSyncing, Folder: "INBOX", Done: 3200, Total: 12000}, testNow); got != "Synchronisation INBOX 3\u202f200/12\u202f000" {
		t.Errorf("French status %q", got)
	}
	useLanguage(t, "en")
	if got := statusText(AccountStatus{State: StateSyncing, Folder: "INBOX", Done: 3200, Total: 12000}, testNow); got != "Syncing INBOX 3,200/12,000" {
		t.Errorf("English status %q", got)
	}
}
