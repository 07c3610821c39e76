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
	Escalated         int                 `json:"escalated"`
	MessagesByChannel map[ChannelKind]int `json:"messages_by_channel"`
	// Medians and 90th percentiles in seconds; null when there is no
	// sample yet. A first response is the first answer (a person's or the
	// bot's; acknowledgements and surveys are not answers) after the
	// inbound message that opened a story; a resolution runs from that
	// message to the "resolved" event.
	FirstResponseMedian *float64 `json:"first_response_median_s"`
	ResolutionMedian    *float64 `json:"resolution_median_s"`
	FirstResponseCount  int      `json:"first_response_count"`
	ResolutionCount     int      `json:"resolution_count"`
	FirstResponseP90    *float64 `json:"first_response_p90_s"`
	ResolutionP90       *float64 `json:"resolution_p90_s"`
	// First-contact resolution: of the resolutions whose window of FCRDays
	// has ended (FCREligible), those with no new inbound message from the
	// customer on any channel within it (FCRCount); FCRRate is their share,
	// null when none is eligible yet.
	FCRRate     *float64 `json:"fcr_rate"`
	FCRCount    int      `json:"fcr_count"`
	FCREligible int      `json:"fcr_eligible"`
	FCRDays     int      `json:"fcr_days"`
	// Survey answers: Customer Effort Score (1-7) and satisfaction (1-5).
	CESAverage  *float64 `json:"ces_average"`
	CESCount    int      `json:"ces_count"`
	CSATAverage *float64 `json:"csat_average"`
	CSATCount   int      `json:"csat_count"`
	// Automation: bot answers, escalations, acknowledgements and surveys
	// sent.
	BotAnswers       int `json:"bot_answers"`
	Escalations      int `json:"escalations"`
	Acknowledgements int `json:"acknowledgements"`
	SurveysSent      int `json:"surveys_sent"`
	// Volume of customer messages (inbound, Other and survey answers
	// excluded) by hour of the day and by date over the last 30 days, in
	// Zone (the business hours' time zone, UTC when none is set).
	Zone         string         `json:"zone"`
	VolumeByHour [24]int        `json:"volume_by_hour"`
	VolumeByDay  map[string]int `json:"volume_by_day"`
	// ByChannel breaks messages, response and resolution times and FCR
	// down by channel; a story belongs to the channel of the message that
	// opened it.
	ByChannel map[ChannelKind]*Totals `json:"by_channel"`
}

// story follows one customer's timeline, oldest first, and turns it into
// first-response and resolution samples. A story starts with an inbound
// message when none is open (a survey answer starts nothing); its first
// answer is the first response (acknowledgements and surveys do not
// count); a "resolved" event ends it.
type story struct {
	start    time.Time
	channel  ChannelKind
	answered bool
}

func (s *story) add(e Entry, frt, res *[]float64) {
	f, r := s.next(e)
	if f != nil {
		*frt = append(*frt, *f)
	}
	if r != nil {
		*res = append(*res, *r)
	}
}

// next advances the story by one entry and returns a first-response or a
// resolution sample, in seconds, when the entry makes one.
func (s *story) next(e Entry) (frt, res *float64) {
	switch {
	case e.Direction == In && e.Event != EventSurveyAnswer:
		if s.start.IsZero() {
			s.start, s.channel, s.answered = e.SentAt, e.Channel, false
		}
	case Answers(e.Direction, e.Event):
		if !s.start.IsZero() && !s.answered {
			v := e.SentAt.Sub(s.start).Seconds()
			s.answered = true
			return &v, nil
		}
	case e.Direction == Event && e.Event == EventResolved:
		if !s.start.IsZero() {
			v := e.SentAt.Sub(s.start).Seconds()
			s.start = time.Time{}
			return nil, &v
		}
	}
	return nil, nil
}

// Stats computes the inbox statistics in one pass over the store.
func (d *Desk) Stats() (Stats, error) {
	st := Stats{MessagesByChannel: map[ChannelKind]int{}, VolumeByDay: map[string]int{}, ByChannel: map[ChannelKind]*Totals{}}
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
		if c.Escalated() {
			st.Escalated++
		}
	}
	var all Totals
	loc := d.zone()
	st.Zone = loc.String()
	today := now.In(loc)
	for i := 0; i < 30; i++ {
		st.VolumeByDay[time.Date(today.Year(), today.Month(), today.Day()-i, 12, 0, 0, 0, loc).Format(time.DateOnly)] = 0
	}
	f, err := d.collect(now, func(e *fact) {
		if e.Direction == In || e.Direction == Out {
			st.MessagesTotal++
			st.MessagesByChannel[e.Channel]++
		}
		if e.Customer == OtherID {
			if e.Direction == In || e.Direction == Out {
				st.OtherTotal++
			}
			return
		}
		all.count(e)
		if e.Channel != ChannelNone {
			channelTotals(st.ByChannel, e.Channel).count(e)
		}
		if e.Direction == In && e.Event != EventSurveyAnswer {
			w := e.SentAt.In(loc)
			st.VolumeByHour[w.Hour()]++
			if k := w.Format(time.DateOnly); hasKey(st.VolumeByDay, k) {
				st.VolumeByDay[k]++
			}
		}
	})
	if err != nil {
		return st, err
	}
	st.FCRDays = int(f.window / (24 * time.Hour))
	f.totals(&all, "", time.Time{}, time.Time{})
	for ch, t := range st.ByChannel {
		f.totals(t, ch, time.Time{}, time.Time{})
	}
	st.FirstResponseMedian, st.FirstResponseP90, st.FirstResponseCount = all.FirstResponseMedian, all.FirstResponseP90, all.FirstResponseCount
	st.ResolutionMedian, st.ResolutionP90, st.ResolutionCount = all.ResolutionMedian, all.ResolutionP90, all.ResolutionCount
	st.FCRRate, st.FCRCount, st.FCREligible = all.FCRRate, all.FCRCount, all.FCREligible
	st.CESAverage, st.CESCount, st.CSATAverage, st.CSATCount = all.CESAverage, all.CESCount, all.CSATAverage, all.CSATCount
	st.BotAnswers, st.Escalations, st.Acknowledgements, st.SurveysSent = all.BotAnswers, all.Escalations, all.Acknowledgements, all.SurveysSent
	return st, nil
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
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
