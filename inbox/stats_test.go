package inbox

import (
	"slices"
	"testing"
)

func TestStory(t *testing.T) {
	e := func(d Direction, min int) Entry { return Entry{Direction: d, SentAt: at(min)} }
	ev := func(kind string, min int) Entry { return Entry{Direction: Event, Event: kind, SentAt: at(min)} }
	tests := []struct {
		name        string
		oldestFirst []Entry
		// Samples in minutes.
		firstResponse []float64
		resolution    []float64
	}{
		{
			name:          "answered then resolved",
			oldestFirst:   []Entry{e(In, 0), e(Out, 5), ev(EventResolved, 60)},
			firstResponse: []float64{5}, resolution: []float64{60},
		},
		{
			name:          "first response counts from the first inbound",
			oldestFirst:   []Entry{e(In, 0), e(In, 10), e(Out, 30), e(Out, 40)},
			firstResponse: []float64{30},
		},
		{
			name:          "inbound after the answer does not restart the story",
			oldestFirst:   []Entry{e(In, 0), e(Out, 5), e(In, 20), e(Out, 25), ev(EventResolved, 30)},
			firstResponse: []float64{5}, resolution: []float64{30},
		},
		{
			name:        "business writes first: no sample",
			oldestFirst: []Entry{e(Out, 0), ev(EventResolved, 5)},
		},
		{
			name:        "resolved without an answer",
			oldestFirst: []Entry{e(In, 0), ev(EventResolved, 15)},
			resolution:  []float64{15},
		},
		{
			name:          "two stories",
			oldestFirst:   []Entry{e(In, 0), e(Out, 10), ev(EventResolved, 20), e(Out, 25), e(In, 100), e(Out, 102), ev(EventResolved, 130)},
			firstResponse: []float64{10, 2}, resolution: []float64{20, 30},
		},
		{
			name:          "notes and other events are not answers",
			oldestFirst:   []Entry{e(In, 0), e(Note, 1), ev(EventSnoozed, 2), ev(EventReopened, 3), ev(EventMerged, 4), e(Out, 6)},
			firstResponse: []float64{6},
		},
		{
			name:        "resolving twice counts once",
			oldestFirst: []Entry{e(In, 0), ev(EventResolved, 10), ev(EventResolved, 20)},
			resolution:  []float64{10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s story
			var frt, res []float64
			for _, e := range tt.oldestFirst {
				s.add(e, &frt, &res)
			}
			if want := seconds(tt.firstResponse); !slices.Equal(frt, want) {
				t.Errorf("first response samples = %v s, want %v s", frt, want)
			}
			if want := seconds(tt.resolution); !slices.Equal(res, want) {
				t.Errorf("resolution samples = %v s, want %v s", res, want)
			}
		})
	}
}

func seconds(minutes []float64) []float64 {
	var out []float64
	for _, m := range minutes {
		out = append(out, m*60)
	}
	return out
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
		none bool
	}{
		{name: "none", none: true},
		{name: "empty", xs: []float64{}, none: true},
		{name: "one", xs: []float64{7}, want: 7},
		{name: "odd unsorted", xs: []float64{9, 1, 5}, want: 5},
		{name: "even averages the middle two", xs: []float64{40, 10, 30, 20}, want: 25},
		{name: "duplicates", xs: []float64{3, 3, 1, 3}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Median(tt.xs)
			if tt.none {
				if got != nil {
					t.Fatalf("Median(%v) = %v, want nil", tt.xs, *got)
				}
				return
			}
			if got == nil || *got != tt.want {
				t.Fatalf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			if !slices.IsSorted(tt.xs) {
				t.Errorf("Median left %v unsorted; it sorts in place", tt.xs)
			}
		})
	}
}
