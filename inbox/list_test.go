package inbox

import (
	"slices"
	"testing"
)

func TestReplySubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "Order 12", want: "Re: Order 12"},
		{in: "Re: Order 12", want: "Re: Order 12"},
		{in: "RE: Order 12", want: "RE: Order 12"},
		{in: "re:Order 12", want: "re:Order 12"},
		{in: "  Order 12  ", want: "Re: Order 12"},
		{in: "  Re: Order 12", want: "Re: Order 12"},
		{in: "Réservation", want: "Re: Réservation"},
		{in: "Fwd: Order 12", want: "Re: Fwd: Order 12"},
		{in: "Return", want: "Re: Return"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ReplySubject(tt.in); got != tt.want {
				t.Errorf("ReplySubject(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSortByWaiting(t *testing.T) {
	waiting := func(id CustomerID, since, last int) Customer {
		return Customer{ID: id, WaitingSince: at(since), LastMessageAt: at(last)}
	}
	idle := func(id CustomerID, last int) Customer {
		return Customer{ID: id, LastMessageAt: at(last)}
	}
	cs := []Customer{
		idle(1, 50),
		waiting(2, 30, 90),
		idle(3, 80),
		waiting(4, 10, 20),
		waiting(6, 20, 25),
		waiting(5, 20, 95), // same wait as 6: lower ID first
		idle(7, 80),        // same activity as 3: lower ID first
		idle(8, -1),        // never wrote
	}
	SortByWaiting(cs)
	var got []CustomerID
	for _, c := range cs {
		got = append(got, c.ID)
	}
	// Waiting longest first (4 since 10, 5 and 6 since 20, 2 since 30), then
	// the others, most recent activity first.
	want := []CustomerID{4, 5, 6, 2, 3, 7, 1, 8}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}
