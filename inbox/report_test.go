package inbox

import (
	"cmp"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// scanStore is a Store with just what the statistics read: customers,
// timelines (Scan, Message) and settings. Anything else panics.
type scanStore struct {
	Store
	customers []Customer
	msgs      []Message
	settings  map[string][]byte
}

func (s *scanStore) Customers() ([]Customer, error) { return s.customers, nil }

func (s *scanStore) Setting(key string) ([]byte, error) { return s.settings[key], nil }

func (s *scanStore) Message(id MessageID) (Message, error) {
	for _, m := range s.msgs {
		if m.ID == id {
			return m, nil
		}
	}
	return Message{}, Errorf(NotFound, "message %d does not exist", id)
}

// Scan walks customer by customer, oldest first, as the real store does.
func (s *scanStore) Scan(fn func(CustomerID, Entry) error) error {
	ms := slices.Clone(s.msgs)
	slices.SortStableFunc(ms, func(a, b Message) int {
		return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), a.SentAt.Compare(b.SentAt), cmp.Compare(a.ID, b.ID))
	})
	for _, m := range ms {
		if err := fn(m.CustomerID, Entry{ID: m.ID, SentAt: m.SentAt, Direction: m.Direction, Channel: m.Channel, State: m.State, Event: m.Event}); err != nil {
			return err
		}
	}
	return nil
}

// story builds timelines: day and hour after t0.
type tl struct{ s *scanStore }

func (b tl) add(c CustomerID, d Direction, ch ChannelKind, day, hour float64, event string) *Message {
	m := Message{ID: MessageID(len(b.s.msgs) + 1), CustomerID: c, Direction: d, Channel: ch, Event: event,
		SentAt: t0.Add(time.Duration((day*24 + hour) * float64(time.Hour)))}
	b.s.msgs = append(b.s.msgs, m)
	return &b.s.msgs[len(b.s.msgs)-1]
}

func (b tl) in(c CustomerID, ch ChannelKind, day, hour float64)  { b.add(c, In, ch, day, hour, "") }
func (b tl) out(c CustomerID, ch ChannelKind, day, hour float64) { b.add(c, Out, ch, day, hour, "") }
func (b tl) resolve(c CustomerID, day, hour float64)             { b.add(c, Event, "", day, hour, EventResolved) }

// A resolution counts as first-contact when no inbound message arrives on
// ANY channel within the window; its window must have ended to count.
func TestFCRAcrossChannels(t *testing.T) {
	s := &scanStore{settings: map[string][]byte{}}
	b := tl{s}
	// 1: resolved on day 1, silence since: FCR.
	b.in(1, ChannelEmail, 0, 0)
	b.out(1, ChannelEmail, 0, 1)
	b.resolve(1, 1, 0)
	// 2: resolved by SMS, back on WhatsApp two days later: not FCR; that
	// second story resolved on day 4 and quiet since: FCR.
	b.in(2, ChannelSMS, 0, 0)
	b.out(2, ChannelSMS, 0, 2)
	b.resolve(2, 1, 0)
	b.in(2, ChannelWhatsApp, 3, 0)
	b.out(2, ChannelWhatsApp, 3, 1)
	b.resolve(2, 4, 0)
	// 3: resolved two days ago: the window has not ended, not counted.
	b.in(3, ChannelTelegram, 17, 0)
	b.resolve(3, 18, 0)
	// 4: answers the survey the day after: not a new contact.
	b.in(4, ChannelMatrix, 0, 0)
	b.out(4, ChannelMatrix, 0, 3)
	b.resolve(4, 0, 4)
	b.add(4, Out, ChannelMatrix, 0, 5, EventSurvey)
	sa := b.add(4, In, ChannelMatrix, 1, 0, EventSurveyAnswer)
	sa.Survey = &SurveyScore{CES, 6}
	// 5: writes again on e-mail 9 days after: outside the window, FCR.
	b.in(5, ChannelEmail, 0, 0)
	b.resolve(5, 1, 0)
	b.in(5, ChannelEmail, 9, 0)
	// 6: writes again on the last day of the window: not FCR.
	b.in(6, ChannelSMS, 0, 0)
	b.resolve(6, 1, 0)
	b.in(6, ChannelEmail, 7, 23)
	// 7: resolved five days ago and back the next day: not FCR, but its
	// window has not ended, so it does not count yet.
	b.in(7, ChannelSMS, 14, 0)
	b.resolve(7, 15, 0)
	b.in(7, ChannelSMS, 16, 0)
	// Other: not a customer.
	b.in(OtherID, ChannelEmail, 0, 0)
	for id := range CustomerID(8) {
		s.customers = append(s.customers, Customer{ID: id, Status: Resolved})
	}
	d := NewDesk(s, &Options{Clock: func() time.Time { return t0.Add(20 * 24 * time.Hour) }})
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.FCREligible != 6 || st.FCRCount != 4 || st.FCRRate == nil || *st.FCRRate != 0.6667 || st.FCRDays != 7 {
		t.Errorf("FCR %d of %d (%v), window %d; want 4 of 6", st.FCRCount, st.FCREligible, st.FCRRate, st.FCRDays)
	}
	byCh := func(ch ChannelKind) [2]int {
		if x := st.ByChannel[ch]; x != nil {
			return [2]int{x.FCRCount, x.FCREligible}
		}
		return [2]int{}
	}
	for ch, want := range map[ChannelKind][2]int{ChannelEmail: {2, 2}, ChannelSMS: {0, 2}, ChannelWhatsApp: {1, 1}, ChannelMatrix: {1, 1}, ChannelTelegram: {0, 0}} {
		if got := byCh(ch); got != want {
			t.Errorf("%s: FCR %d of %d, want %d of %d", ch, got[0], got[1], want[0], want[1])
		}
	}
	if st.CESCount != 1 || st.CESAverage == nil || *st.CESAverage != 6 || st.CSATCount != 0 || st.CSATAverage != nil {
		t.Errorf("CES %v (%d), CSAT %v (%d)", st.CESAverage, st.CESCount, st.CSATAverage, st.CSATCount)
	}
	if st.SurveysSent != 1 || st.OtherTotal != 1 {
		t.Errorf("surveys sent %d, other %d", st.SurveysSent, st.OtherTotal)
	}
	// A smaller window changes the verdicts.
	s.settings[SettingService], _ = json.Marshal(Service{FCRDays: 2})
	st, _ = d.Stats()
	if st.FCREligible != 8 || st.FCRCount != 6 {
		t.Errorf("2-day window: FCR %d of %d, want 6 of 8", st.FCRCount, st.FCREligible)
	}
}

// First response and resolution: medians and nearest-rank 90th
// percentiles; automatic messages are not responses.
func TestStatsTimes(t *testing.T) {
	s := &scanStore{settings: map[string][]byte{}}
	b := tl{s}
	for i := range 10 {
		c := CustomerID(i + 1)
		b.in(c, ChannelEmail, 0, 0)
		b.add(c, Out, ChannelEmail, 0, 0.01, EventAck) // 36 s: not a response
		b.out(c, ChannelEmail, 0, float64(i+1))        // 1..10 hours
		b.resolve(c, 0, float64(2*(i+1)))
		s.customers = append(s.customers, Customer{ID: c, Status: Resolved})
	}
	d := NewDesk(s, &Options{Clock: func() time.Time { return t0.Add(24 * time.Hour) }})
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	h := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p / 3600
	}
	if h(st.FirstResponseMedian) != 5.5 || h(st.FirstResponseP90) != 9 || st.FirstResponseCount != 10 {
		t.Errorf("first response median %v h, p90 %v h, %d samples; want 5.5, 9, 10", h(st.FirstResponseMedian), h(st.FirstResponseP90), st.FirstResponseCount)
	}
	if h(st.ResolutionMedian) != 11 || h(st.ResolutionP90) != 18 {
		t.Errorf("resolution median %v h, p90 %v h; want 11, 18", h(st.ResolutionMedian), h(st.ResolutionP90))
	}
	if st.Acknowledgements != 10 || st.ByChannel[ChannelEmail].Inbound != 10 || st.ByChannel[ChannelEmail].Outbound != 20 {
		t.Errorf("acks %d, e-mail %+v", st.Acknowledgements, *st.ByChannel[ChannelEmail])
	}
	// t0 is 09:00 UTC: ten messages at hour 9, on 29 March.
	if st.VolumeByHour[9] != 10 || st.VolumeByDay["2026-03-29"] != 10 || len(st.VolumeByDay) != 30 || st.Zone != "UTC" {
		t.Errorf("volume by hour %v, by day (%d days) %v, zone %s", st.VolumeByHour, len(st.VolumeByDay), st.VolumeByDay, st.Zone)
	}
}

func TestPercentile(t *testing.T) {
	for _, tt := range []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{5}, 90, 5},
		{[]float64{1, 2}, 90, 2},
		{[]float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 90, 9},
		{[]float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11}, 90, 10},
		{[]float64{3, 1, 2}, 50, 2},
	} {
		if got := Percentile(tt.xs, tt.p); got == nil || *got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.xs, tt.p, got, tt.want)
		}
	}
	if Percentile(nil, 90) != nil {
		t.Error("Percentile of nothing is not nil")
	}
}

// Daily buckets follow the Paris calendar across the spring change: the
// day of 29 March 2026 has 23 hours.
func TestReportDailyAcrossDST(t *testing.T) {
	s := &scanStore{settings: map[string][]byte{}}
	h := parisHours(t)
	s.settings[SettingHours], _ = json.Marshal(h)
	b := tl{s}
	// t0 is 29 March 09:00 UTC (11:00 CEST). Messages at 23:30 Paris on
	// the 28th (22:30 UTC) and 23:30 Paris on the 29th (21:30 UTC).
	b.add(1, In, ChannelSMS, 0, 22.5-9-24, "")
	b.add(1, Out, ChannelSMS, 0, 22.75-9-24, "")
	b.add(1, In, ChannelEmail, 0, 21.5-9, "")
	b.add(1, In, ChannelEmail, 0, 22.5-9, "") // 00:30 on the 30th
	s.customers = []Customer{{ID: 1}}
	d := NewDesk(s, &Options{Clock: func() time.Time { return t0.Add(48 * time.Hour) }})
	from := paris(t, "2026-03-28 00:00")
	r, err := d.Report(from, paris(t, "2026-03-31 00:00"), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	var inbound []int
	for _, p := range r.Series {
		days = append(days, p.Start.In(h.Location()).Format("01-02 15:04"))
		inbound = append(inbound, p.Inbound)
	}
	if !slices.Equal(days, []string{"03-28 00:00", "03-29 00:00", "03-30 00:00"}) || !slices.Equal(inbound, []int{1, 1, 1}) {
		t.Errorf("days %v with %v inbound, want 28, 29, 30 March at midnight with one each", days, inbound)
	}
	if r.Totals.Inbound != 3 || r.Totals.Outbound != 1 || r.ByChannel[ChannelEmail].Inbound != 2 || r.Series[0].InboundByChannel[ChannelSMS] != 1 {
		t.Errorf("totals %+v, e-mail %+v", r.Totals, r.ByChannel[ChannelEmail])
	}
	if r.Totals.FirstResponseCount != 1 || r.Series[0].FirstResponseCount != 1 || *r.Series[0].FirstResponseMedian != 900 {
		t.Errorf("first response %+v", r.Series[0].Totals)
	}
	if r.VolumeByHour[23] != 2 || r.VolumeByHour[0] != 1 || r.Zone != "Europe/Paris" {
		t.Errorf("volume by hour %v in %s", r.VolumeByHour, r.Zone)
	}
	if _, err := d.Report(from, from, time.Hour); ErrorCode(err) != Invalid {
		t.Errorf("empty period: %v", err)
	}
}
