package inbox

import (
	"math"
	"slices"
	"time"
)

// fact is one timeline entry as the statistics see it.
type fact struct {
	Entry
	Customer CustomerID
}

// sample is a first-response or resolution time, dated by the start of
// its story (first response) or the resolution (resolution time).
type sample struct {
	at      time.Time
	channel ChannelKind
	secs    float64
}

// fcrOutcome is one resolution whose first-contact window has ended:
// ok when no inbound message came within it.
type fcrOutcome struct {
	at      time.Time // the resolution
	channel ChannelKind
	ok      bool
}

// surveyFact is one parsed survey answer.
type surveyFact struct {
	at      time.Time
	channel ChannelKind
	kind    SurveyKind
	score   int
}

// facts are what one pass over the timelines yields for the reports.
type facts struct {
	window  time.Duration
	frt     []sample
	res     []sample
	fcr     []fcrOutcome
	surveys []surveyFact
}

// zone is the business's time zone for reports: the hours' zone, else UTC.
func (d *Desk) zone() *time.Location {
	if h, _, err := d.Hours(); err == nil && h.Zone != "" {
		return h.Location()
	}
	return time.UTC
}

// collect walks every timeline once (Store.Scan), calls each for every
// entry, and returns the samples of the customers' stories: first
// response and resolution times, first-contact resolutions decided at now,
// survey answers.
//
// First-contact resolution (FCR) is read from the timeline, not from
// tickets: a story's resolution counts as resolved on first contact when
// the customer sends no new inbound message, on ANY channel, within the
// window (Service.FCRDays, 7 days by default) after it; it counts against
// when one arrives within the window; a resolution whose window has not
// ended at now counts neither way. Survey answers are not new contacts.
func (d *Desk) collect(now time.Time, each func(*fact)) (*facts, error) {
	svc, _ := d.Service()
	f := &facts{window: time.Duration(svc.FCRDays) * 24 * time.Hour}
	var (
		cur       CustomerID
		s         story
		first     = true
		open      []fcrOutcome // resolutions waiting for their window
		surveyIDs []MessageID
	)
	closeCustomer := func() {
		for _, r := range open {
			if now.Sub(r.at) >= f.window {
				r.ok = true
				f.fcr = append(f.fcr, r)
			}
		}
		open = open[:0]
	}
	err := d.store.Scan(func(id CustomerID, e Entry) error {
		if first || id != cur {
			if !first {
				closeCustomer()
			}
			cur, s, first = id, story{}, false
		}
		x := fact{Entry: e, Customer: id}
		if each != nil {
			each(&x)
		}
		if id == OtherID {
			return nil
		}
		if e.Direction == In && e.Event != EventSurveyAnswer {
			// A new contact decides every resolution still open; it
			// counts once its window has ended, like the others.
			for _, r := range open {
				r.ok = e.SentAt.Sub(r.at) > f.window
				if now.Sub(r.at) >= f.window {
					f.fcr = append(f.fcr, r)
				}
			}
			open = open[:0]
		}
		if e.Event == EventSurveyAnswer {
			surveyIDs = append(surveyIDs, e.ID)
		}
		ch := s.channel
		frt, res := s.next(e)
		if frt != nil {
			f.frt = append(f.frt, sample{at: s.start, channel: ch, secs: *frt})
		}
		if res != nil {
			f.res = append(f.res, sample{at: e.SentAt, channel: ch, secs: *res})
			open = append(open, fcrOutcome{at: e.SentAt, channel: ch})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !first {
		closeCustomer()
	}
	// Scores live in the messages; there are few of them.
	for _, id := range surveyIDs {
		m, err := d.store.Message(id)
		if err != nil {
			return nil, err
		}
		if m.Survey != nil && m.Survey.Score > 0 {
			f.surveys = append(f.surveys, surveyFact{at: m.SentAt, channel: m.Channel, kind: m.Survey.Kind, score: m.Survey.Score})
		}
	}
	return f, nil
}

// Totals are the customer-service numbers of a set of messages and stories:
// the whole inbox, a channel, or one bucket of a report. Times are in
// seconds; a median, percentile, rate or average is null without samples.
type Totals struct {
	// Inbound counts customers' messages (survey answers excluded),
	// Outbound every message sent to them (the bot's included).
	Inbound             int      `json:"inbound"`
	Outbound            int      `json:"outbound"`
	FirstResponseMedian *float64 `json:"first_response_median_s"`
	FirstResponseP90    *float64 `json:"first_response_p90_s"`
	FirstResponseCount  int      `json:"first_response_count"`
	ResolutionMedian    *float64 `json:"resolution_median_s"`
	ResolutionP90       *float64 `json:"resolution_p90_s"`
	ResolutionCount     int      `json:"resolution_count"`
	FCRRate             *float64 `json:"fcr_rate"`
	FCRCount            int      `json:"fcr_count"`
	FCREligible         int      `json:"fcr_eligible"`
	CESAverage          *float64 `json:"ces_average"`
	CESCount            int      `json:"ces_count"`
	CSATAverage         *float64 `json:"csat_average"`
	CSATCount           int      `json:"csat_count"`
	BotAnswers          int      `json:"bot_answers"`
	Escalations         int      `json:"escalations"`
	Acknowledgements    int      `json:"acknowledgements"`
	SurveysSent         int      `json:"surveys_sent"`
}

func channelTotals(m map[ChannelKind]*Totals, ch ChannelKind) *Totals {
	t, ok := m[ch]
	if !ok {
		t = &Totals{}
		m[ch] = t
	}
	return t
}

// count adds one customer timeline entry's message and automation counts.
func (t *Totals) count(e *fact) {
	switch {
	case e.Direction == In && e.Event != EventSurveyAnswer:
		t.Inbound++
	case e.Direction == Out:
		t.Outbound++
		switch e.Event {
		case EventBotAnswer:
			t.BotAnswers++
		case EventAck:
			t.Acknowledgements++
		case EventSurvey:
			t.SurveysSent++
		}
	case e.Direction == Event && e.Event == EventEscalated:
		t.Escalations++
	}
}

// totals fills t's sample-based numbers from the facts of channel ch (""
// for all) dated in [from, to) (zero times: no bound).
func (f *facts) totals(t *Totals, ch ChannelKind, from, to time.Time) {
	in := func(at time.Time, c ChannelKind) bool {
		return (ch == "" || c == ch) && (from.IsZero() || !at.Before(from)) && (to.IsZero() || at.Before(to))
	}
	var frt, res []float64
	for _, s := range f.frt {
		if in(s.at, s.channel) {
			frt = append(frt, s.secs)
		}
	}
	for _, s := range f.res {
		if in(s.at, s.channel) {
			res = append(res, s.secs)
		}
	}
	t.FirstResponseCount, t.ResolutionCount = len(frt), len(res)
	t.FirstResponseMedian, t.FirstResponseP90 = Median(frt), Percentile(frt, 90)
	t.ResolutionMedian, t.ResolutionP90 = Median(res), Percentile(res, 90)
	t.FCRCount, t.FCREligible = 0, 0
	for _, o := range f.fcr {
		if in(o.at, o.channel) {
			t.FCREligible++
			if o.ok {
				t.FCRCount++
			}
		}
	}
	t.FCRRate = ratio(t.FCRCount, t.FCREligible)
	var ces, csat []float64
	for _, s := range f.surveys {
		if !in(s.at, s.channel) {
			continue
		}
		if s.kind == CES {
			ces = append(ces, float64(s.score))
		} else {
			csat = append(csat, float64(s.score))
		}
	}
	t.CESCount, t.CESAverage = len(ces), average(ces)
	t.CSATCount, t.CSATAverage = len(csat), average(csat)
}

func ratio(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	r := round(float64(n)/float64(of), 4)
	return &r
}

func average(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	a := round(sum/float64(len(xs)), 2)
	return &a
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// Percentile returns the p-th percentile of xs by the nearest-rank method
// (the smallest value at least p % of the samples are at or below), nil
// for none. xs is sorted in place.
func Percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	rank := int(math.Ceil(p / 100 * float64(len(xs))))
	rank = min(max(rank, 1), len(xs))
	v := xs[rank-1]
	return &v
}

// Report is the customer-service report of a period, for charts: totals,
// a series of buckets (days, weeks…) and a breakdown by channel. A message
// belongs to the bucket of its time; a first response to the bucket its
// story started in; a resolution and its FCR outcome to the bucket of the
// resolution; a survey score to the bucket of the answer.
type Report struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Zone   string    `json:"zone"`
	Bucket string    `json:"bucket"` // as time.Duration prints it: "24h0m0s"
	// FCRDays is the first-contact window; resolutions of the last FCRDays
	// are not counted yet.
	FCRDays   int                     `json:"fcr_days"`
	Totals    Totals                  `json:"totals"`
	ByChannel map[ChannelKind]*Totals `json:"by_channel"`
	Series    []Point                 `json:"series"`
	// VolumeByHour counts customer messages of the period by hour of the
	// day (in Zone), for the "when do customers write" chart.
	VolumeByHour [24]int `json:"volume_by_hour"`
}

// Point is one bucket of a report.
type Point struct {
	Start time.Time `json:"start"`
	Totals
	// InboundByChannel splits Inbound by channel.
	InboundByChannel map[ChannelKind]int `json:"inbound_by_channel"`
}

// Report computes the report of [from, to) cut into buckets of the given
// length (0: one bucket). A bucket that is a whole number of days follows
// the calendar of the business's time zone, so a day is a day across
// daylight-saving changes (23 or 25 hours). The GUI's reports view draws
// its charts from it: per day (bucket 24h) or per week (168h, from a
// Monday), per channel.
func (d *Desk) Report(from, to time.Time, bucket time.Duration) (Report, error) {
	if !to.After(from) {
		return Report{}, Errorf(Invalid, "a report ends after it starts")
	}
	loc := d.zone()
	r := Report{From: from, To: to, Zone: loc.String(), Bucket: bucket.String(), ByChannel: map[ChannelKind]*Totals{}}
	var starts []time.Time
	for at := from; at.Before(to); at = nextBucket(at, bucket, loc) {
		starts = append(starts, at)
		if len(starts) > 5000 {
			return Report{}, Errorf(Invalid, "a report of more than 5000 buckets; choose larger buckets")
		}
	}
	r.Series = make([]Point, len(starts))
	for i := range starts {
		r.Series[i] = Point{Start: starts[i], InboundByChannel: map[ChannelKind]int{}}
	}
	index := func(at time.Time) int {
		if at.Before(from) || !at.Before(to) {
			return -1
		}
		i, found := slices.BinarySearchFunc(starts, at, func(s, t time.Time) int { return s.Compare(t) })
		if !found {
			i--
		}
		return i
	}
	f, err := d.collect(d.clock(), func(e *fact) {
		if e.Customer == OtherID {
			return
		}
		i := index(e.SentAt)
		if i < 0 {
			return
		}
		r.Totals.count(e)
		r.Series[i].count(e)
		if e.Channel != ChannelNone {
			channelTotals(r.ByChannel, e.Channel).count(e)
		}
		if e.Direction == In && e.Event != EventSurveyAnswer {
			r.Series[i].InboundByChannel[e.Channel]++
			r.VolumeByHour[e.SentAt.In(loc).Hour()]++
		}
	})
	if err != nil {
		return Report{}, err
	}
	r.FCRDays = int(f.window / (24 * time.Hour))
	f.totals(&r.Totals, "", from, to)
	for ch, t := range r.ByChannel {
		f.totals(t, ch, from, to)
	}
	for i := range r.Series {
		end := to
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		f.totals(&r.Series[i].Totals, "", starts[i], end)
	}
	return r, nil
}

// nextBucket returns the start of the bucket after at.
func nextBucket(at time.Time, bucket time.Duration, loc *time.Location) time.Time {
	const day = 24 * time.Hour
	switch {
	case bucket <= 0:
		return time.Unix(1<<62, 0) // one bucket
	case bucket%day == 0:
		w := at.In(loc)
		return time.Date(w.Year(), w.Month(), w.Day()+int(bucket/day), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	}
	return at.Add(bucket)
}

// ReportDays is the report of the last n days to now, in daily buckets
// starting at local midnight in the business's zone.
func (d *Desk) ReportDays(n int) (Report, error) {
	if n <= 0 {
		return Report{}, Errorf(Invalid, "the report needs at least one day")
	}
	loc := d.zone()
	now := d.clock().In(loc)
	from := time.Date(now.Year(), now.Month(), now.Day()-n+1, 0, 0, 0, 0, loc)
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	return d.Report(from, to, 24*time.Hour)
}
