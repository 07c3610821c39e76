package assets

import (
	_ "embed"

	"github.com/couture/couture/inbox"
)

// answersJSON is the default answer library of a small bakery-café, in
// French and English (the demo business's): opening hours, address,
// delivery, cake orders, payment, gift and loyalty cards, jobs, tables,
// Wi-Fi. Its keywords feed the level-1 bot; inbox/testdata/level1.json
// measures it.
//
//go:embed answers.json
var answersJSON []byte

// DefaultAnswers returns the default answer library, parsed and checked.
// Each call returns a fresh copy.
func DefaultAnswers() ([]inbox.Answer, error) { return inbox.ParseAnswers(answersJSON) }

// DefaultAnswersJSON returns the library as shipped, for `couture answers
// export --defaults`.
func DefaultAnswersJSON() []byte { return append([]byte(nil), answersJSON...) }
