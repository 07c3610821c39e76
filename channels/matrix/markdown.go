package matrix

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
)

// md renders CommonMark without raw HTML (goldmark's default drops it), so
// an answer cannot smuggle markup into the customer's client.
var md = goldmark.New()

// markdown renders an answer written in Markdown into the HTML of
// formatted_body (spec: "m.text", format org.matrix.custom.html). ok is
// false when the text has no formatting beyond paragraphs, so plain answers
// are sent as plain body only.
func markdown(text string) (string, bool) {
	var b bytes.Buffer
	if err := md.Convert([]byte(text), &b); err != nil {
		return "", false
	}
	out := strings.TrimSpace(b.String())
	rest := strings.NewReplacer("<p>", "", "</p>", "").Replace(out)
	if !strings.Contains(rest, "<") {
		return "", false
	}
	return out, true
}
