package inbox

import (
	"slices"
	"time"
)

// Stats are the numbers of the inbox, computed from the timelines.
type Stats struct {
	MessagesTotal     int                 `json:"messages_total"`
	OtherTotal        int                 `json:"other_total"`
	CustomersTotal    int                 `json:"customers_total"`
	Open              int                 `json:"open"`
	Pending           int                 `json:"pending"`
	Snoozed           int                 `json:"snoozed"`
	Resolved          int                 `json:"resolved"`
	Waiting           int                 `json:"waiting"`
	MessagesByChannel map[ChannelKind]int `json:"messages_by_channel"`
	// Medians in seconds; null when there is no sample yet.
	FirstResponseMedian *float64 `json:"first_response_median_s"`
	ResolutionMedian    *float64 `json:"resolution_median_s"`
	FirstResponseCount  int      `json:"first_response_count"`
	ResolutionCount     int      `json:"resolution_count"`
}

// story follows one customer's timeline, oldest first, and turns it into
// first-response and resolution samples. A story starts with an inbound
// message when none is open; its first outbound message is the first
// response; a "resolved" event ends it.
type story struct {
	start    time.Time
	answered bool
}

func (s *story) add(e Entry, frt, res *[]float64) {
	switch {
	case e.Direction == In:
		if s.start.IsZero() {
			s.start, s.answered = e.SentAt, false
		}
	case e.Direction == Out:
		if !s.start.IsZero() && !s.answered {
			*frt = append(*frt, e.SentAt.Sub(s.start).Seconds())
			s.answered = true
		}
	case e.Direction == Event && e.Event == EventResolved:
		if !s.start.IsZero() {
			*res = append(*res, e.SentAt.Sub(s.start).Seconds())
			s.start = time.Time{}
		}
	}
}

// Stats computes the inbox statistics in one pass over the store.
func (d *Desk) Stats() (Stats, error) {
	st := Stats{MessagesByChannel: map[ChannelKind]int{}}
	cs, err := d.store.Customers()
	if err != nil {
		return st, err
	}
	now := d.clock()
	for i := range cs {
		c := &cs[i]
		if c.ID == OtherID {
			continue
		}
		st.CustomersTotal++
		switch c.EffectiveStatus(now) {
		case Open:
			st.Open++
		case Pending:
			st.Pending++
		case Snoozed:
			st.Snoozed++
		case Resolved:
			st.Resolved++
		}
		if !c.WaitingSince.IsZero() {
			st.Waiting++
		}
	}
	var frt, res []float64
	var cur CustomerID
	var s story
	first := true
	err = d.store.Scan(func(id CustomerID, e Entry) error {
		if first || id != cur {
			cur, s, first = id, story{}, false
		}
		if e.Direction != In && e.Direction != Out {
			if id != OtherID {
				s.add(e, &frt, &res)
			}
			return nil
		}
		st.MessagesTotal++
		st.MessagesByChannel[e.Channel]++
		if id == OtherID {
			st.OtherTotal++
			return nil
		}
		s.add(e, &frt, &res)
		return nil
	})
	if err != nil {
		return st, err
	}
	st.FirstResponseCount, st.ResolutionCount = len(frt), len(res)
	st.FirstResponseMedian = Median(frt)
	st.ResolutionMedian = Median(res)
	return st, nil
}

// Median returns the median of xs, nil for none. xs is sorted in place.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	n := len(xs)
	m := xs[n/2]
	if n%2 == 0 {
		m = (xs[n/2-1] + xs[n/2]) / 2
	}
	return &m
}
