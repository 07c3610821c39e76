package inbox

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// SettingAnswers is the setting the answer library is saved under: a JSON
// array of Answer.
const SettingAnswers = "answers"

// Answer is one entry of the answer library: a canned answer written once
// in light Markdown and rendered for each channel when used (RenderAnswer),
// so a customer reads the same words whatever channel they ask on.
type Answer struct {
	// ID is a short slug, unique in the library ("hours-fr").
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Tags  []string `json:"tags,omitempty"`
	// Body is light Markdown: paragraphs separated by blank lines (a
	// single line break is kept), **bold**, *italic* or _italic_, lists
	// ("- item", "1. item"), links [text](https://…), and the
	// placeholders {first_name}, {business_name} and {opening_hours}.
	Body string `json:"body"`
	// Keywords are the words and phrases the level-1 matcher looks for
	// in a customer's message (any inflection: they are stemmed).
	Keywords []string `json:"keywords,omitempty"`
	// Lang is the language of the body, "fr" or "en"; "" for any.
	Lang string `json:"lang,omitempty"`
}

// Placeholders an answer body may use.
const (
	PlaceFirstName    = "first_name"
	PlaceBusinessName = "business_name"
	PlaceOpeningHours = "opening_hours"
)

var answerPlaceholders = []string{PlaceFirstName, PlaceBusinessName, PlaceOpeningHours}

// Check validates an answer and tidies its fields.
func (a *Answer) Check() error {
	a.ID = strings.TrimSpace(a.ID)
	a.Title = strings.TrimSpace(a.Title)
	a.Body = strings.TrimSpace(strings.ReplaceAll(a.Body, "\r\n", "\n"))
	a.Lang = strings.TrimSpace(strings.ToLower(a.Lang))
	if !IsSlug(a.ID) {
		return Errorf(Invalid, "answer id %q must be lower-case letters, digits and dashes", a.ID)
	}
	if a.Title == "" {
		return Errorf(Invalid, "answer %s has no title", a.ID)
	}
	if a.Body == "" {
		return Errorf(Invalid, "answer %s has no text", a.ID)
	}
	if a.Lang != "" && a.Lang != "fr" && a.Lang != "en" {
		return Errorf(Invalid, "answer %s: language %q is not fr, en or empty (any)", a.ID, a.Lang)
	}
	for _, p := range placeholdersIn(a.Body) {
		if !slices.Contains(answerPlaceholders, p) {
			return Errorf(Invalid, "answer %s uses the unknown placeholder {%s} (known: {first_name}, {business_name}, {opening_hours})", a.ID, p)
		}
	}
	a.Tags = tidyList(a.Tags)
	a.Keywords = tidyList(a.Keywords)
	return nil
}

func tidyList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// placeholdersIn returns the names written {like_this} in s.
func placeholdersIn(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		name := s[i+1 : i+j]
		if name != "" && strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_') }) < 0 {
			out = append(out, name)
		}
		s = s[i+j+1:]
	}
}

// IsSlug reports whether s is a slug, as answer ids and the demo's story
// ids are: lower-case ASCII letters, digits and dashes, neither starting
// nor ending with a dash.
func IsSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Slug makes an answer id from a title: "Horaires d'ouverture" →
// "horaires-d-ouverture".
func Slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// ParseAnswers decodes a library (a JSON array of answers) and checks every
// entry; ids must be unique.
func ParseAnswers(data []byte) ([]Answer, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []Answer
	if err := dec.Decode(&list); err != nil {
		return nil, Wrap(Invalid, err, "the answer library is not a JSON array of answers ("+err.Error()+")")
	}
	seen := map[string]bool{}
	for i := range list {
		if err := list[i].Check(); err != nil {
			return nil, err
		}
		if seen[list[i].ID] {
			return nil, Errorf(Invalid, "answer id %s appears twice", list[i].ID)
		}
		seen[list[i].ID] = true
	}
	return list, nil
}

// Answers returns the answer library, in its saved order; nil when none
// was ever saved (the CLI and the demo install assets.DefaultAnswers).
func (d *Desk) Answers() ([]Answer, error) {
	b, err := d.store.Setting(SettingAnswers)
	if err != nil || b == nil {
		return nil, err
	}
	list, err := ParseAnswers(b)
	if err != nil {
		return nil, Wrap(Invalid, err, "the saved answer library does not decode; import it again")
	}
	return list, nil
}

// HasAnswers reports whether a library was ever saved (even an empty one).
func (d *Desk) HasAnswers() (bool, error) {
	b, err := d.store.Setting(SettingAnswers)
	return b != nil, err
}

// Answer returns one entry of the library.
func (d *Desk) Answer(id string) (Answer, error) {
	list, err := d.Answers()
	if err != nil {
		return Answer{}, err
	}
	for _, a := range list {
		if a.ID == id {
			return a, nil
		}
	}
	return Answer{}, Errorf(NotFound, "no answer %q in the library (couture answers list)", id)
}

// SetAnswers replaces the whole library.
func (d *Desk) SetAnswers(list []Answer) error {
	seen := map[string]bool{}
	for i := range list {
		if err := list[i].Check(); err != nil {
			return err
		}
		if seen[list[i].ID] {
			return Errorf(Invalid, "answer id %s appears twice", list[i].ID)
		}
		seen[list[i].ID] = true
	}
	if list == nil {
		list = []Answer{}
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return d.store.SetSetting(SettingAnswers, b)
}

// AddAnswer adds an answer; an empty ID is made from the title.
func (d *Desk) AddAnswer(a Answer) (Answer, error) {
	if strings.TrimSpace(a.ID) == "" {
		a.ID = Slug(a.Title)
	}
	if err := a.Check(); err != nil {
		return a, err
	}
	list, err := d.Answers()
	if err != nil {
		return a, err
	}
	if slices.ContainsFunc(list, func(x Answer) bool { return x.ID == a.ID }) {
		return a, Errorf(Conflict, "an answer %s exists already; edit it or pick another id", a.ID)
	}
	return a, d.SetAnswers(append(list, a))
}

// EditAnswer changes one answer.
func (d *Desk) EditAnswer(id string, edit func(*Answer)) (Answer, error) {
	list, err := d.Answers()
	if err != nil {
		return Answer{}, err
	}
	i := slices.IndexFunc(list, func(x Answer) bool { return x.ID == id })
	if i < 0 {
		return Answer{}, Errorf(NotFound, "no answer %q in the library (couture answers list)", id)
	}
	edit(&list[i])
	list[i].ID = id
	if err := list[i].Check(); err != nil {
		return Answer{}, err
	}
	return list[i], d.SetAnswers(list)
}

// RemoveAnswer deletes one answer.
func (d *Desk) RemoveAnswer(id string) error {
	list, err := d.Answers()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(x Answer) bool { return x.ID == id })
	if i < 0 {
		return Errorf(NotFound, "no answer %q in the library (couture answers list)", id)
	}
	return d.SetAnswers(slices.Delete(list, i, i+1))
}

// ImportAnswers merges answers into the library: an entry with a known id
// replaces it, a new one is appended. It returns how many were added and
// replaced.
func (d *Desk) ImportAnswers(in []Answer) (added, replaced int, err error) {
	list, err := d.Answers()
	if err != nil {
		return 0, 0, err
	}
	for _, a := range in {
		if err := a.Check(); err != nil {
			return 0, 0, err
		}
		if i := slices.IndexFunc(list, func(x Answer) bool { return x.ID == a.ID }); i >= 0 {
			list[i] = a
			replaced++
		} else {
			list = append(list, a)
			added++
		}
	}
	return added, replaced, d.SetAnswers(list)
}
