package ui

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/couture/couture/inbox"
)

// newTestReports shows the reports view over desk in a window of the
// reports window's size.
func newTestReports(t *testing.T, desk *inbox.Desk) (*reportsView, fyne.Window) {
	t.Helper()
	v := newReportsView(desk, inline)
	w := test.NewWindow(v.content)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(1100, 800))
	v.load()
	return v, w
}

func TestReportsViewShowsTheDesksNumbers(t *testing.T) {
	useEnglish(t)
	desk := newDemoDesk(t)
	want, err := desk.ReportDays(30)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := newTestReports(t, desk)
	if !v.loaded || len(v.report.Series) != 30 {
		t.Fatalf("loaded %v, %d buckets; want 30 days", v.loaded, len(v.report.Series))
	}
	if want.Totals.Inbound == 0 || want.Totals.FirstResponseCount == 0 {
		t.Fatalf("the demo has no numbers to show: %+v", want.Totals)
	}
	got := texts(t, v.kpis)
	wantKPI := []string{
		"First response",
		"median · p90 " + durationValue(want.Totals.FirstResponseP90) + " · " + formatInt(want.Totals.FirstResponseCount) + " stories",
	}
	if len(got) < 2 || !slices.Equal(got[:2], wantKPI) {
		t.Errorf("first KPI %q, want %q", got, wantKPI)
	}
	// The volume chart stacks the channels customers wrote by.
	total := 0.0
	for _, s := range v.volume.series {
		for _, x := range s.values {
			total += x
		}
	}
	if int(total) != want.Totals.Inbound {
		t.Errorf("the volume chart adds up to %v messages, the report says %d", total, want.Totals.Inbound)
	}

	// By week: twelve buckets starting on Mondays.
	test.Tap(v.periodButtons[1])
	if n := len(v.report.Series); n != 12 {
		t.Fatalf("%d weekly buckets, want 12", n)
	}
	for _, p := range v.report.Series {
		if p.Start.Weekday() != time.Monday {
			t.Errorf("a week starts on %s", p.Start.Format("Monday 2006-01-02"))
		}
	}
}

func TestDurationValue(t *testing.T) {
	useEnglish(t)
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		secs *float64
		want string
	}{
		{nil, "—"},
		{f(42), "42 s"},
		{f(12*60 + 20), "12 min"},
		{f(3*3600 + 5*60), "3 h 05"},
		{f(2*86400 + 4*3600 + 10), "2 d 4 h"},
	}
	for _, tt := range tests {
		if got := durationValue(tt.secs); got != tt.want {
			t.Errorf("durationValue(%v) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

func TestNiceMax(t *testing.T) {
	for x, want := range map[float64]float64{0: 1, 0.3: 0.5, 7: 10, 12: 20, 45: 50, 101: 200} {
		if got := niceMax(x); got != want {
			t.Errorf("niceMax(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestReportsViewGolden(t *testing.T) {
	desk := newDemoDesk(t)
	for _, l := range looks {
		t.Run(l.name, func(t *testing.T) {
			useLook(t, l)
			_, w := newTestReports(t, desk)
			w.Resize(fyne.NewSize(1100, 1060)) // all of it, no scrolling
			assertGolden(t, "reports_"+l.name+".png", w)
		})
	}
}
