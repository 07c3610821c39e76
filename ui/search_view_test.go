package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

func TestSearchOpensTheCustomerAtTheMessage(t *testing.T) {
	desk := openDesk(t, true)
	ingestAll(t, desk, inbox.Incoming{Message: msg("b2", inbox.ChannelSMS, inbox.In, bobPhone, 47*time.Hour, "Is my order ready?")})
	v, w := showView(t, desk, nil)

	tests := []struct {
		name   string
		query  string
		hits   int
		keys   []fyne.KeyName
		pick   int    // the hit the keys pick
		filter string // status menu after the open
	}{
		{"one hit", "deliver", 1, nil, 0, "Open · 2"},
		{"a resolved customer", "thanks", 1, nil, 0, "Resolved · 1"},
		{"nothing", "croissant", 0, nil, 0, ""},
		{"pick with the arrows", "order", 2, []fyne.KeyName{fyne.KeyDown, fyne.KeyDown, fyne.KeyUp, fyne.KeyDown}, 1, "Open · 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctrl(w, fyne.KeyK)
			if !v.search.visible() {
				t.Fatal("Ctrl+K opens no search")
			}
			test.Type(v.search.entry, tt.query) // replaces the last query, selected
			if v.search.entry.Text != tt.query {
				t.Fatalf("the search holds %q after typing %q", v.search.entry.Text, tt.query)
			}
			if len(v.search.hits) != tt.hits {
				t.Fatalf("%d hits for %q, want %d (%q)", len(v.search.hits), tt.query, tt.hits, v.search.info.Text)
			}
			if tt.hits == 0 {
				if want := "Nothing found for “" + tt.query + "”."; v.search.info.Text != want {
					t.Errorf("info %q, want %q", v.search.info.Text, want)
				}
				typeKey(v.search.entry, fyne.KeyEscape)
				return
			}
			for _, k := range tt.keys {
				typeKey(v.search.entry, k)
			}
			typeKey(v.search.entry, fyne.KeyReturn)
			frame(w)
			if v.search.visible() {
				t.Error("the search stays open")
			}
			hit := v.search.hits[tt.pick]
			if v.timeline.header.Text != hit.Name || v.timeline.mark != hit.MessageID {
				t.Errorf("open %q at %d, want %q at %d", v.timeline.header.Text, v.timeline.mark, hit.Name, hit.MessageID)
			}
			if !v.timeline.showing || v.timeline.built[hit.MessageID] == nil {
				t.Errorf("message %d is not on the timeline", hit.MessageID)
			}
			if v.customers.status.Selected != tt.filter {
				t.Errorf("status filter %q, want %q", v.customers.status.Selected, tt.filter)
			}
			if i := v.customers.index(); i < 0 || rowNames(v)[i] != hit.Name {
				t.Errorf("the list selects row %d of %q", i, rowNames(v))
			}
		})
	}
}
